using GenModels.Torch.Training;
using static TorchSharp.torch;

namespace GenModels.Torch.Autoencoders;

/// <summary>Builds and trains an <see cref="Autoencoder"/> in one call.</summary>
public static class AutoencoderTraining
{
    /// <summary>
    /// Builds an autoencoder from <paramref name="options"/> with weights seeded by <paramref name="training"/>'s seed and
    /// trains it on the rows of <paramref name="data"/> ([rows, InputDimension]). <paramref name="knownAnomalies"/>, when given,
    /// are kept out of the reconstruction loss and pushed to a high reconstruction error. <paramref name="inputNoise"/> makes
    /// it a denoising autoencoder (see <see cref="ResolveInputNoise"/>).
    /// </summary>
    public static (Autoencoder Model, TrainingResult Result) Fit(Tensor data, AutoencoderOptions options, TrainingOptions training,
        KnownAnomalies? knownAnomalies = null, double? inputNoise = 0)
    {
        options.Validate();
        double level = ResolveInputNoise(data.shape[0], training, inputNoise);
        if (!(level >= 0) || double.IsInfinity(level))
            throw new ArgumentOutOfRangeException(nameof(inputNoise), inputNoise, "The input noise must be a non-negative number of standard deviations.");
        return ModelTraining.Fit(data, training, () => new Autoencoder(options),
            (model, noise) => new AutoencoderStep(model, training.LearningRate, knownAnomalies, noise,
                level > 0 ? (data.std(0, keepdim: true).nan_to_num(0) * level).detach() : null));
    }

    /// <summary>
    /// Input noise used on a small table when the caller leaves it unset, in standard deviations of each feature: the
    /// denoising autoencoder (Vincent et al. 2008) must learn the table's structure to undo the noise instead of copying
    /// each row. Measured on 100 rows × 32 binary columns in three planted groups, with the derived early stopping, over
    /// three draws of the table: the 2-D code's silhouette of the groups was 0.81, 0.78 and 0.79 with 2 standard
    /// deviations (PCA: 0.76, 0.77, 0.74). With a shorter patience (5 epochs) it was 0.78, 0.77 and 0.76 with 2,
    /// 0.74, 0.80 and 0.75 with 1.5, 0.78, 0.73 and 0.74 with 1, and 0.66, 0.65 and 0.68 without noise.
    /// </summary>
    public const double DerivedInputNoise = 2.0;

    /// <summary>
    /// The noise level a run uses: <paramref name="inputNoise"/> when set; when null, <see cref="DerivedInputNoise"/> on
    /// a small table where early stopping is derived (<see cref="TrainingBudget.ResolveEarlyStopping"/>), else 0.
    /// </summary>
    public static double ResolveInputNoise(long rows, TrainingOptions training, double? inputNoise) =>
        inputNoise ?? (TrainingBudget.ResolveEarlyStopping(rows, training).Derived ? DerivedInputNoise : 0);
}
