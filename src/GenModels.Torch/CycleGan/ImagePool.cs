using static TorchSharp.torch;

namespace GenModels.Torch.CycleGan;

/// <summary>
/// CycleGAN's history of generated images (Shrivastava et al. 2017): until the pool is full each new image is stored and
/// shown; after that each new image is, with probability ½, swapped for a random stored one (which is shown instead), so
/// a discriminator learns from earlier translations as well as the latest ones.
/// </summary>
public sealed class ImagePool : IDisposable
{
    private readonly int capacity;
    private readonly Random random;
    private Tensor? images; // [capacity, C, H, W], outside every dispose scope
    private int count;

    /// <summary>A pool of <paramref name="capacity"/> images (0 = pass every batch through) drawing from <paramref name="seed"/>.</summary>
    public ImagePool(int capacity, int seed)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The pool size must be ≥ 0.");
        this.capacity = capacity;
        random = new Random(seed);
    }

    /// <summary>The images a discriminator sees for the generated batch <paramref name="generated"/> [n, C, H, W] (detached).</summary>
    public Tensor Query(Tensor generated)
    {
        var batch = generated.detach();
        if (capacity == 0) return batch;
        images ??= zeros(new[] { (long)capacity }.Concat(batch.shape.Skip(1)).ToArray(), batch.dtype, batch.device).DetachFromDisposeScope();
        var shown = batch.clone();
        using (no_grad())
            for (int i = 0; i < batch.shape[0]; i++)
            {
                if (count < capacity) { images[count++].copy_(batch[i]); continue; }
                if (random.NextDouble() >= 0.5) continue;
                int slot = random.Next(capacity);
                shown[i].copy_(images[slot]);   // show an old image …
                images[slot].copy_(batch[i]);   // … and keep the new one in its place
            }
        return shown;
    }

    /// <inheritdoc />
    public void Dispose() => images?.Dispose();
}
