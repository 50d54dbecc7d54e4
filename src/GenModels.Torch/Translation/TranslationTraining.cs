using GenModels.Torch.Training;
using static TorchSharp.torch;

namespace GenModels.Torch.Translation;

/// <summary>Builds and trains an <see cref="ImageTranslationNetwork"/> in one call.</summary>
public static class TranslationTraining
{
    /// <summary>
    /// Builds the networks with weights seeded by <paramref name="training"/>'s seed and trains them on <paramref name="data"/>:
    /// [rows, input values + target values], each image channel-major. Both networks use the training options' learning
    /// rate unless <paramref name="discriminatorLearningRate"/> is given.
    /// </summary>
    public static (ImageTranslationNetwork Model, TrainingResult Result) Fit(Tensor data, TranslationOptions options, TrainingOptions training,
        double? discriminatorLearningRate = null)
    {
        options.Validate();
        var g = options.Generator;
        long expectedColumns = (long)(g.InputChannels + g.OutputChannels) * g.Height * g.Width;
        if (data.ndim != 2 || data.shape[1] != expectedColumns)
            throw new ArgumentException($"Expected training data of shape [rows, {expectedColumns}], got [{string.Join(", ", data.shape)}].", nameof(data));
        return ModelTraining.Fit(data, training, () => new ImageTranslationNetwork(options),
            (model, _) => new TranslationStep(model, training.LearningRate, discriminatorLearningRate ?? training.LearningRate));
    }
}
