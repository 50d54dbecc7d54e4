using TorchSharp;

namespace GenModels.Torch.Networks;

/// <summary>
/// Seeded construction. Parameter initialisation draws from torch's global generator, so building a network under one lock
/// with the seed set makes weights reproducible even when several models are built on different threads.
/// </summary>
public static class TorchRandom
{
    private static readonly object GlobalGeneratorLock = new();

    /// <summary>Runs <paramref name="build"/> with torch's global generator seeded by <paramref name="seed"/>.</summary>
    public static T Seeded<T>(int seed, Func<T> build)
    {
        lock (GlobalGeneratorLock)
        {
            torch.manual_seed(seed);
            return build();
        }
    }
}
