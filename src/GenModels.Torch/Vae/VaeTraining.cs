using GenModels.Torch.Training;
using static TorchSharp.torch;

namespace GenModels.Torch.Vae;

/// <summary>Builds and trains a <see cref="VariationalAutoencoder"/> in one call.</summary>
public static class VaeTraining
{
    /// <summary>
    /// Builds a VAE from <paramref name="options"/> with weights seeded by <paramref name="training"/>'s seed and trains it on
    /// the rows of <paramref name="data"/> ([rows, InputDimension]). Same seed, same data ⇒ same weights on CPU.
    /// </summary>
    public static (VariationalAutoencoder Model, TrainingResult Result) Fit(Tensor data, VaeOptions options, TrainingOptions training)
    {
        options.Validate();
        return ModelTraining.Fit(data, training, () => new VariationalAutoencoder(options),
            (model, noise) => new VaeStep(model, training.LearningRate, noise));
    }
}
