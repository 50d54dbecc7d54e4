using GenModels.Torch.Training;
using static TorchSharp.torch;

namespace GenModels.Torch.Vae;

/// <summary>Builds and trains a <see cref="VariationalAutoencoder"/> in one call.</summary>
public static class VaeTraining
{
    /// <summary>
    /// A latent dimension whose mean KL to the prior over the training rows is below this many nats carries (almost) no
    /// information about the input. When every dimension is below it, the code has collapsed onto the prior.
    /// </summary>
    public const double CollapsedKlPerDimension = 0.02;

    /// <summary>Share of the planned optimiser steps over which the KL weight warms up from 0 to β (see <see cref="VaeStep"/>).</summary>
    public const double KlWarmupShare = 0.25;

    /// <summary>
    /// Builds a VAE from <paramref name="options"/> with weights seeded by <paramref name="training"/>'s seed and trains it on
    /// the rows of <paramref name="data"/> ([rows, InputDimension]). Same seed, same data ⇒ same weights on CPU.
    /// <paramref name="knownAnomalies"/>, when given, are kept out of the ELBO and pushed to a high reconstruction error.
    /// The result warns when the code collapsed (<see cref="KlPerDimension"/> below <see cref="CollapsedKlPerDimension"/> everywhere).
    /// </summary>
    public static (VariationalAutoencoder Model, TrainingResult Result) Fit(Tensor data, VaeOptions options, TrainingOptions training,
        KnownAnomalies? knownAnomalies = null)
    {
        options.Validate();
        long trainRows = data.shape[0] - (long)Math.Floor(data.shape[0] * TrainingBudget.ResolveEarlyStopping(data.shape[0], training).ValidationFraction);
        long warmup = (long)(KlWarmupShare * TrainingBudget.Resolve(trainRows, training.Epochs, training.BatchSize, training.TargetSteps).Steps(trainRows));
        var (model, result) = ModelTraining.Fit(data, training, () => new VariationalAutoencoder(options),
            (model, noise) => new VaeStep(model, training.LearningRate, noise, knownAnomalies, warmup));
        var kl = KlPerDimension(model, data);
        if (kl.All(k => k < CollapsedKlPerDimension))
        {
            var warning = $"The VAE's code collapsed: its KL to the prior is {string.Join(", ", kl.Select(k => k.ToString("G2")))} nats per latent dimension " +
                          $"(below {CollapsedKlPerDimension}), so the posterior ignores the input and every row gets about the same code. " +
                          (options.Beta > 1 ? $"Lower Beta (now {options.Beta}), " : "Lower Beta, ") +
                          "train for more steps (Epochs), or use the Autoencoder.";
            result = result with { Warnings = [.. result.Warnings, warning] };
        }
        return (model, result);
    }

    /// <summary>
    /// Mean KL(q(zₖ|x) ‖ N(0, 1)) of each latent dimension k over (up to the first 4,096) rows of <paramref name="data"/>, in nats:
    /// near 0 for a dimension the encoder does not use.
    /// </summary>
    public static double[] KlPerDimension(VariationalAutoencoder model, Tensor data)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        bool training = model.training;
        model.eval();
        var (mean, logVar) = model.EncodeDistribution(data.narrow(0, 0, Math.Min(4096, data.shape[0])));
        var kl = (-0.5 * (1 + logVar - mean.square() - logVar.exp())).mean(new long[] { 0 });
        if (training) model.train();
        return kl.data<float>().Select(v => (double)v).ToArray();
    }
}
