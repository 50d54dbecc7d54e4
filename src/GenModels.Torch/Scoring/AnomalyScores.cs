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
    /// <summary>
    /// Reconstruction errors through the deterministic code, each divided by a robust scale of that feature's errors on the
    /// training rows (<see cref="AnomalyScores.FitFeatureScales"/>), then ½Σ of their squares; a VAE adds the KL of the
    /// row's code from the prior. Deterministic. A column the model cannot reconstruct well on normal rows (noisy or
    /// heavy-tailed) weighs less than one it reconstructs tightly, so a row that breaks the correlations between columns
    /// outscores one with a single large but typical-looking value. For a VAE this is −ELBO with the posterior mean for z
    /// and a Gaussian decoder whose per-feature scale is the robust scale, up to a constant. Any model.
    /// </summary>
    ScaledReconstructionError,
}

/// <summary>Per-row anomaly scores of reconstruction models.</summary>
public static class AnomalyScores
{
    /// <summary>Consistency constant of the median absolute value: median |e| / 0.6745 estimates σ for Gaussian errors.</summary>
    private const double MadToSigma = 0.6744897501960817;
    /// <summary>Smallest feature scale, relative to the mean scale: a column reconstructed exactly (constant) cannot weigh infinitely.</summary>
    public const double MinRelativeScale = 1e-2;

    /// <summary>True when <paramref name="model"/> can produce <paramref name="kind"/>.</summary>
    public static bool Supports(IReconstructionModel model, AnomalyScoreKind kind) =>
        kind is AnomalyScoreKind.ReconstructionError or AnomalyScoreKind.ScaledReconstructionError || model is VariationalAutoencoder;

    /// <summary>True when <paramref name="kind"/> needs the feature scales of <see cref="FitFeatureScales"/>.</summary>
    public static bool NeedsFeatureScales(AnomalyScoreKind kind) => kind == AnomalyScoreKind.ScaledReconstructionError;

    /// <summary>
    /// Scores each row of <paramref name="x"/> ([n, D] → [n]); <paramref name="samples"/> is the number of posterior draws;
    /// <paramref name="featureScales"/> ([D], from <see cref="FitFeatureScales"/>) is required by <see cref="AnomalyScoreKind.ScaledReconstructionError"/>.
    /// </summary>
    public static Tensor Compute(IReconstructionModel model, Tensor x, AnomalyScoreKind kind, int samples, Generator? generator = null, Tensor? featureScales = null)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one sample is needed.");
        return kind switch
        {
            AnomalyScoreKind.ReconstructionError => MeanSquaredError(x, model.Reconstruct(x)),
            AnomalyScoreKind.ScaledReconstructionError => Scaled(model, x,
                featureScales ?? throw new ArgumentNullException(nameof(featureScales), "The scaled reconstruction error needs the feature scales fitted on the training rows.")),
            AnomalyScoreKind.NegativeElbo => Vae(model, kind).NegativeElbo(x, samples, generator),
            AnomalyScoreKind.NegativeLogLikelihood => -Vae(model, kind).ImportanceWeightedLogLikelihood(x, samples, generator),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown score kind."),
        };
    }

    /// <summary>
    /// The robust scale of each feature's reconstruction error on <paramref name="rows"/> (the training rows, outliers
    /// included): median |xⱼ − x̂ⱼ| / 0.6745, at least <see cref="MinRelativeScale"/> × the mean scale. The median ignores
    /// the few rows the model reconstructs badly, so outliers in the training data do not inflate it. Returns [D].
    /// </summary>
    public static Tensor FitFeatureScales(IReconstructionModel model, Tensor rows, int batchSize = 1024)
    {
        if (rows.shape[0] == 0) throw new ArgumentException("Feature scales need at least one row.", nameof(rows));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < rows.shape[0]; start += batchSize)
        {
            var batch = rows.narrow(0, start, Math.Min(batchSize, rows.shape[0] - start));
            parts.Add((batch - model.Reconstruct(batch)).abs());
        }
        var sorted = cat(parts, 0).sort(0).Values;
        long n = sorted.shape[0];
        var scale = (sorted[(n - 1) / 2] + sorted[n / 2]) / (2 * MadToSigma);
        var floor = Math.Max(scale.mean().item<float>() * MinRelativeScale, 1e-12);
        return scale.clamp_min(floor).MoveToOuterDisposeScope();
    }

    /// <summary>True when <paramref name="kind"/> has a one-row managed form (<see cref="ComputeRow"/>): the deterministic scores.</summary>
    public static bool HasRowForm(AnomalyScoreKind kind) => kind is AnomalyScoreKind.ReconstructionError or AnomalyScoreKind.ScaledReconstructionError;

    /// <summary>
    /// The score of one row <paramref name="x"/> through the managed copy of a model: the formulas of <see cref="Compute"/>
    /// for the deterministic kinds (<see cref="HasRowForm"/>), for single-row scoring without libtorch.
    /// </summary>
    public static float ComputeRow(RowReconstructionModel model, ReadOnlySpan<float> x, AnomalyScoreKind kind, ReadOnlySpan<float> featureScales)
    {
        if (!HasRowForm(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Only the deterministic scores have a one-row form.");
        int k = model.LatentDimension, d = model.InputDimension;
        bool kl = kind == AnomalyScoreKind.ScaledReconstructionError && model.IsVariational;
        Span<float> mean = stackalloc float[k];
        Span<float> logVariance = kl ? stackalloc float[k] : default;
        Span<float> reconstruction = d <= 4096 ? stackalloc float[d] : new float[d];
        model.Encode(x, mean, logVariance);
        model.Decode(mean, reconstruction);
        if (kind == AnomalyScoreKind.ReconstructionError) return MeanSquaredError(x, reconstruction);
        if (featureScales.Length != d) throw new ArgumentException($"The scaled reconstruction error needs {d} feature scales.", nameof(featureScales));
        double sum = 0;
        for (int j = 0; j < d; j++)
        {
            float scaled = (x[j] - reconstruction[j]) / featureScales[j];
            sum += scaled * scaled;
        }
        double score = 0.5 * sum;
        if (kl)
            for (int i = 0; i < k; i++) score -= 0.5 * (1 + logVariance[i] - mean[i] * mean[i] - Math.Exp(logVariance[i])); // KL to N(0, I)
        return (float)score;
    }

    /// <summary>Mean squared difference of each row of <paramref name="x"/> ([n, D]) and its reconstruction: the <see cref="AnomalyScoreKind.ReconstructionError"/> ([n]).</summary>
    public static Tensor MeanSquaredError(Tensor x, Tensor reconstruction) => (x - reconstruction).square().mean(new long[] { 1 });

    /// <summary>Mean squared difference of one row and its reconstruction (the <see cref="AnomalyScoreKind.ReconstructionError"/> of one row).</summary>
    public static float MeanSquaredError(ReadOnlySpan<float> x, ReadOnlySpan<float> reconstruction)
    {
        double sum = 0;
        for (int j = 0; j < x.Length; j++)
        {
            float e = x[j] - reconstruction[j];
            sum += e * e;
        }
        return (float)(sum / x.Length);
    }

    private static Tensor Scaled(IReconstructionModel model, Tensor x, Tensor featureScales)
    {
        if (model is VariationalAutoencoder vae)
        {
            var (mean, logVar) = vae.EncodeDistribution(x);
            var z = (x - vae.Decode(mean)) / featureScales;
            return 0.5 * z.square().sum(-1) + VariationalAutoencoder.KlToStandardNormal(mean, logVar);
        }
        return 0.5 * ((x - model.Reconstruct(x)) / featureScales).square().sum(-1);
    }

    private static VariationalAutoencoder Vae(IReconstructionModel model, AnomalyScoreKind kind) =>
        model as VariationalAutoencoder ?? throw new ArgumentException($"The {kind} score needs a variational autoencoder, not a {model.GetType().Name}.", nameof(kind));
}
