using GenModels.Torch.Training;
using static TorchSharp.torch;

namespace GenModels.Torch.Autoencoders;

/// <summary>Builds and trains an <see cref="Autoencoder"/> in one call.</summary>
public static class AutoencoderTraining
{
    /// <summary>
    /// Builds an autoencoder from <paramref name="options"/> with weights seeded by <paramref name="training"/>'s seed and
    /// trains it on the rows of <paramref name="data"/> ([rows, InputDimension]). <paramref name="knownAnomalies"/>, when given,
    /// are kept out of the reconstruction loss and pushed to a high reconstruction error.
    /// </summary>
    public static (Autoencoder Model, TrainingResult Result) Fit(Tensor data, AutoencoderOptions options, TrainingOptions training,
        KnownAnomalies? knownAnomalies = null)
    {
        options.Validate();
        return ModelTraining.Fit(data, training, () => new Autoencoder(options),
            (model, noise) => new AutoencoderStep(model, training.LearningRate, knownAnomalies, noise));
    }
}
