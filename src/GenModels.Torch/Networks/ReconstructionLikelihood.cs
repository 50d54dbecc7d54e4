using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>How the decoder's output is read as a distribution over the input.</summary>
public enum ReconstructionLikelihood
{
    /// <summary>
    /// Gaussian with a learned per-feature scale (bounded below): for real-valued, e.g. normalised, features.
    /// For an autoencoder this is the squared error.
    /// </summary>
    Gaussian,
    /// <summary>Bernoulli on logits: for features in [0, 1] such as pixel intensities. For an autoencoder this is binary cross-entropy.</summary>
    Bernoulli,
}

/// <summary>Per-row negative log-likelihoods of the reconstruction models.</summary>
public static class Likelihoods
{
    /// <summary>Smallest Gaussian log-scale: stops a constant feature from driving the density to infinity.</summary>
    public const double MinLogScale = -4.6; // σ ≥ 0.01

    /// <summary>Gaussian −log p(x | mean, exp(logScale)), summed over features; one value per row.</summary>
    public static Tensor GaussianNll(Tensor x, Tensor mean, Tensor logScale)
    {
        var ls = logScale.clamp(MinLogScale, 5.0);
        var z = (x - mean) * (-ls).exp();
        return (0.5 * z.square() + ls + 0.5 * Math.Log(2 * Math.PI)).sum(-1);
    }

    /// <summary>Bernoulli −log p(x | sigmoid(logits)), summed over features; one value per row. x may be fractional in [0, 1].</summary>
    public static Tensor BernoulliNll(Tensor x, Tensor logits) =>
        nn.functional.binary_cross_entropy_with_logits(logits, x, reduction: nn.Reduction.None).sum(-1);

    /// <summary>Squared error summed over features; one value per row.</summary>
    public static Tensor SquaredError(Tensor x, Tensor reconstruction) => (x - reconstruction).square().sum(-1);
}
