using TorchSharp;

namespace GenModels.Torch;

/// <summary>
/// How many threads libtorch's operators use while the library computes. libtorch's worker threads spin while they wait,
/// so a process competing for the cores slows the default (one thread per core). Measured on 2 cores (README,
/// <c>threads</c> benchmark: VAE 784-400-20), two threads trained 1.6 times faster than one on an idle machine, and one
/// thread trained 1.7 times faster than two next to one competing CPU-bound process; batch scoring behaved alike (1.8 times
/// faster idle, 1.1 times slower with a competitor). The default is therefore libtorch's own, every core
/// (<see cref="DefaultCount"/>), and <see cref="Count"/> or a training option's <c>NumberOfThreads</c> lowers it for
/// applications that share their machine.
/// </summary>
public static class TorchThreads
{
    private static int count = DefaultCount;

    /// <summary>The logical cores: libtorch's own default.</summary>
    public static int DefaultCount => Environment.ProcessorCount;

    /// <summary>
    /// The thread count the library's training, transforming and generating use unless a training option says otherwise.
    /// Set it once at start-up to change it for the whole application (1 to 1,024).
    /// </summary>
    public static int Count
    {
        get => count;
        set
        {
            if (value < 1 || value > 1024) throw new ArgumentOutOfRangeException(nameof(Count), value, "Between 1 and 1,024 threads.");
            count = value;
        }
    }

    /// <summary>
    /// Runs libtorch's operators on the calling thread with <paramref name="threads"/> threads (null: <see cref="Count"/>)
    /// until the scope is disposed, then restores the previous count. libtorch keeps the count per thread, so threads
    /// already running torch code keep theirs; a thread that first uses torch while the scope is open starts with this count.
    /// </summary>
    public static Scope Use(int? threads = null)
    {
        int wanted = threads ?? count;
        if (wanted < 1) throw new ArgumentOutOfRangeException(nameof(threads), wanted, "At least one thread.");
        int previous = torch.get_num_threads();
        if (previous != wanted) torch.set_num_threads(wanted);
        return new Scope(previous, previous != wanted);
    }

    /// <summary>Restores the thread count when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly int previous;
        private readonly bool changed;

        internal Scope(int previous, bool changed)
        {
            this.previous = previous;
            this.changed = changed;
        }

        /// <summary>Restores the previous thread count.</summary>
        public void Dispose()
        {
            if (changed) torch.set_num_threads(previous);
        }
    }
}
