using GenModels.Torch.Networks;
using GenModels.Torch.Vae;
using static TorchSharp.torch;

namespace GenModels.Torch.Scoring;

/// <summary>How an encoder/decoder model scores a row as anomalous (higher = more anomalous).</summary>
public enum AnomalyScoreKind
{
    /// <summary>Mean squared error between the row and its reconstruction through the deterministic code. Any model.</summary>
    ReconstructionError,
    /// <summary>−ELBO in nats, averaged over posterior samples: an upper bound on −log p(x). VAE only.</summary>
    NegativeElbo,
    /// <summary>−log p(x) estimated with k importance samples (IWAE bound), in nats: the tightest density score. VAE only.</summary>
    NegativeLogLikelihood,
}

/// <summary>Per-row anomaly scores of reconstruction models.</summary>
public static class AnomalyScores
{
    /// <summary>True when <paramref name="model"/> can produce <paramref name="kind"/>.</summary>
    public static bool Supports(IReconstructionModel model, AnomalyScoreKind kind) =>
        kind == AnomalyScoreKind.ReconstructionError || model is VariationalAutoencoder;

    /// <summary>Scores each row of <paramref name="x"/> ([n, D] → [n]); <paramref name="samples"/> is the number of posterior draws.</summary>
    public static Tensor Compute(IReconstructionModel model, Tensor x, AnomalyScoreKind kind, int samples, Generator? generator = null)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one sample is needed.");
        return kind switch
        {
            AnomalyScoreKind.ReconstructionError => (x - model.Reconstruct(x)).square().mean(new long[] { 1 }),
            AnomalyScoreKind.NegativeElbo => Vae(model, kind).NegativeElbo(x, samples, generator),
            AnomalyScoreKind.NegativeLogLikelihood => -Vae(model, kind).ImportanceWeightedLogLikelihood(x, samples, generator),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown score kind."),
        };
    }

    private static VariationalAutoencoder Vae(IReconstructionModel model, AnomalyScoreKind kind) =>
        model as VariationalAutoencoder ?? throw new ArgumentException($"The {kind} score needs a variational autoencoder, not a {model.GetType().Name}.", nameof(kind));
}
