using GenModels.Torch.Training;
using static TorchSharp.torch;

namespace GenModels.Torch.Gan;

/// <summary>Builds and trains a <see cref="GenerativeAdversarialNetwork"/> in one call.</summary>
public static class GanTraining
{
    /// <summary>
    /// Builds a GAN with weights seeded by <paramref name="training"/>'s seed and trains it on <paramref name="data"/>:
    /// [rows, DataDimension], plus a last column of class indices for a conditional GAN. Both networks use the
    /// training options' learning rate unless <paramref name="discriminatorLearningRate"/> is given.
    /// </summary>
    public static (GenerativeAdversarialNetwork Model, TrainingResult Result) Fit(Tensor data, GanOptions options, TrainingOptions training,
        double? discriminatorLearningRate = null)
    {
        options.Validate();
        long expectedColumns = options.DataDimension + (options.IsConditional ? 1 : 0);
        if (data.ndim != 2 || data.shape[1] != expectedColumns)
            throw new ArgumentException($"Expected training data of shape [rows, {expectedColumns}], got [{string.Join(", ", data.shape)}].", nameof(data));
        var (model, result) = ModelTraining.Fit(data, training, () => new GenerativeAdversarialNetwork(options),
            (model, noise) => new GanStep(model, training.LearningRate, discriminatorLearningRate ?? training.LearningRate, noise));
        model.Growth?.Complete(); // a grown GAN ends at full resolution even when training stopped before the schedule's end
        return (model, result);
    }
}
