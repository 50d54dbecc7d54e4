using GenModels.Torch.Training;
using static TorchSharp.torch;

namespace GenModels.Torch.CycleGan;

/// <summary>Builds and trains a <see cref="CycleGanNetwork"/> in one call.</summary>
public static class CycleGanTraining
{
    /// <summary>
    /// Builds the four networks with weights seeded by <paramref name="training"/>'s seed and trains them on the unpaired
    /// image sets <paramref name="domainA"/> and <paramref name="domainB"/> ([rows, C·H·W] each, channel-major, any row
    /// counts). An epoch passes over the larger set once; the smaller one is repeated in a seeded order, as in CycleGAN's
    /// unaligned data set. The generators use the training options' learning rate, the discriminators
    /// <paramref name="discriminatorLearningRate"/> when given.
    /// </summary>
    public static (CycleGanNetwork Model, TrainingResult Result) Fit(Tensor domainA, Tensor domainB, CycleGanOptions options, TrainingOptions training,
        double? discriminatorLearningRate = null)
    {
        options.Validate();
        training.Validate();
        var g = options.Generator;
        long size = (long)g.ImageChannels * g.Height * g.Width;
        foreach (var (data, name) in new[] { (domainA, nameof(domainA)), (domainB, nameof(domainB)) })
        {
            if (data.ndim != 2 || data.shape[1] != size)
                throw new ArgumentException($"Expected images of shape [rows, {size}], got [{string.Join(", ", data.shape)}].", name);
            if (data.shape[0] == 0) throw new ArgumentException("The domain has no images.", name);
        }
        using var rows = Unaligned(domainA, domainB, training.Seed);
        return ModelTraining.Fit(rows, training, () => new CycleGanNetwork(options),
            (model, _) => new CycleGanStep(model, training.LearningRate, discriminatorLearningRate ?? training.LearningRate, training.Seed + 2));
    }

    /// <summary>
    /// Rows of [a, b]: every image of the larger domain once, each beside an image of the other domain drawn by a seeded
    /// permutation (repeated as often as needed). No loss compares the two images of a row.
    /// </summary>
    private static Tensor Unaligned(Tensor a, Tensor b, int seed)
    {
        using var scope = NewDisposeScope();
        long rows = Math.Max(a.shape[0], b.shape[0]);
        using var generator = new Generator((ulong)seed + 3);
        Tensor Spread(Tensor x)
        {
            if (x.shape[0] == rows) return x;
            var repeats = (rows + x.shape[0] - 1) / x.shape[0];
            var order = cat(Enumerable.Range(0, (int)repeats).Select(_ => randperm(x.shape[0], generator: generator)).ToArray()).narrow(0, 0, rows);
            return x.index_select(0, order);
        }
        return cat([Spread(a), Spread(b)], 1).MoveToOuterDisposeScope();
    }
}
