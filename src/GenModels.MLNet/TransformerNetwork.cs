namespace GenModels.MLNet;

/// <summary>
/// The trained network behind a transformer and its lifetime, counted like a safe handle. The transformer's creator holds
/// one reference, and every row-to-row mapper handed out (one per <c>PredictionEngine</c>) holds another: ML.NET's
/// <c>PredictionEngine</c> and <c>TransformerChain</c> dispose the transformer they were made from, so each engine's
/// disposal gives back the reference its mapper took instead of destroying a model other engines still use. The network
/// is released when the count reaches zero (or, if nobody disposes, by TorchSharp when the transformer is collected); after
/// that every use throws <see cref="ObjectDisposedException"/> naming the transformer.
/// </summary>
internal sealed class TransformerNetwork<TNetwork>(TNetwork network, string owner) where TNetwork : class, IDisposable
{
    private readonly TNetwork network = network;
    private int references = 1;

    /// <summary>The network; throws <see cref="ObjectDisposedException"/> once released.</summary>
    public TNetwork Value => Volatile.Read(ref references) > 0 ? network : throw Disposed();

    /// <summary>Takes a reference for a row-to-row mapper (given back when its engine disposes the transformer).</summary>
    public void Lease()
    {
        int current;
        do
        {
            current = Volatile.Read(ref references);
            if (current <= 0) throw Disposed();
        } while (Interlocked.CompareExchange(ref references, current + 1, current) != current);
    }

    /// <summary>Gives back one reference; the last one releases the network's native memory.</summary>
    public void Release()
    {
        int current;
        do
        {
            current = Volatile.Read(ref references);
            if (current <= 0) return; // already released: disposing twice is harmless
        } while (Interlocked.CompareExchange(ref references, current - 1, current) != current);
        if (current == 1) network.Dispose();
    }

    private ObjectDisposedException Disposed() => new(owner,
        $"This {owner} was disposed: its network has been released. Load or train the model again to use it.");
}
