using GenModels.MLNet.Persistence;
using GenModels.Torch.Networks;
using GenModels.Torch.Scoring;
using GenModels.Torch.Training;
using GenModels.Torch.Vae;
using Microsoft.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace GenModels.MLNet.AnomalyDetection;

/// <summary>
/// Trains a variational autoencoder on normal rows and scores new rows by how unlikely the model finds them.
/// Created by <c>mlContext.AnomalyDetection.Trainers.Vae(...)</c>.
/// </summary>
public sealed class VaeAnomalyDetectionTrainer : AnomalyDetectionTrainerBase<VaeAnomalyDetectionTrainer.Options>
{
    /// <summary>Options of <see cref="VaeAnomalyDetectionTrainer"/>.</summary>
    public sealed class Options : AnomalyDetectionTrainerOptions
    {
        /// <summary>
        /// How rows are scored. Null (the default) gives <see cref="AnomalyScoreKind.ScaledReconstructionError"/> for the
        /// Gaussian likelihood: the reconstruction error through the posterior mean with each feature divided by the robust
        /// scale of its errors on the training rows, plus the code's KL to the prior. It is deterministic (a row always gets
        /// the same score), and on the small tables of the tabular-anomaly benchmark it detected better than the plain
        /// <see cref="AnomalyScoreKind.ReconstructionError"/>, which lets one noisy or extreme column dominate. For the
        /// Bernoulli likelihood (pixels) the default is the plain error, which detected better on Fashion-MNIST
        /// (see <see cref="AnomalyDetectionTrainerOptions.Defaults.ScoreKindFor"/>). On one-class Fashion-MNIST the sampled density scores
        /// (<see cref="AnomalyScoreKind.NegativeElbo"/>, <see cref="AnomalyScoreKind.NegativeLogLikelihood"/>) rank images
        /// largely by how many pixels are lit, so plain, dark items of another class look "likely" (the known failure of
        /// likelihoods as outlier scores). Choose a density score when the density itself is what you mean by normal.
        /// </summary>
        public override AnomalyScoreKind? ScoreKind { get; set; }
        /// <summary>Weight of the KL term (1 = standard VAE).</summary>
        public double Beta = ReconstructionEstimatorOptions.Defaults.Beta;

        internal override void Validate()
        {
            base.Validate();
            VaeOptions.CheckBeta(Beta);
        }
    }

    internal VaeAnomalyDetectionTrainer(IHostEnvironment env, Options options) : base(env, options) { }

    private protected override (IReconstructionModel, TrainingResult) Train(EstimatorFitting.PreparedData data, KnownAnomalies? known) =>
        EstimatorFitting.FitVae(env, data, options, options.Beta, known);
}

/// <summary>
/// Trains a deterministic autoencoder on normal rows and scores new rows by their reconstruction error.
/// Created by <c>mlContext.AnomalyDetection.Trainers.Autoencoder(...)</c>.
/// </summary>
public sealed class AutoencoderAnomalyDetectionTrainer : AnomalyDetectionTrainerBase<AutoencoderAnomalyDetectionTrainer.Options>
{
    /// <summary>Options of <see cref="AutoencoderAnomalyDetectionTrainer"/>.</summary>
    public sealed class Options : AnomalyDetectionTrainerOptions
    {
        /// <summary>
        /// How rows are scored: <see cref="AnomalyScoreKind.ScaledReconstructionError"/> (each feature's error divided by the
        /// robust scale of its errors on the training rows) or the plain <see cref="AnomalyScoreKind.ReconstructionError"/>.
        /// Null (the default) chooses by the likelihood: scaled for Gaussian, plain for Bernoulli (see
        /// <see cref="AnomalyDetectionTrainerOptions.Defaults.ScoreKindFor"/>).
        /// </summary>
        public override AnomalyScoreKind? ScoreKind { get; set; }

        internal override void Validate()
        {
            base.Validate();
            if (ScoreKind is not (null or AnomalyScoreKind.ReconstructionError or AnomalyScoreKind.ScaledReconstructionError))
                throw new ArgumentOutOfRangeException(nameof(ScoreKind), ScoreKind, "An autoencoder scores by reconstruction error only; use the VAE detector for ELBO or log-likelihood scores.");
        }
    }

    internal AutoencoderAnomalyDetectionTrainer(IHostEnvironment env, Options options) : base(env, options) { }

    private protected override (IReconstructionModel, TrainingResult) Train(EstimatorFitting.PreparedData data, KnownAnomalies? known) =>
        EstimatorFitting.FitAutoencoder(env, data, options, known);
}

/// <summary>What both detectors share: the schema shape, training, and the threshold from the training scores.</summary>
public abstract class AnomalyDetectionTrainerBase<TOptions> : GenerativeEstimatorBase<TOptions, GenerativeAnomalyDetectionTransformer>
    where TOptions : AnomalyDetectionTrainerOptions
{
    private protected AnomalyDetectionTrainerBase(IHostEnvironment env, TOptions options) : base(env, options) { }

    /// <summary>Trains the network on the prepared rows, with the known anomalies when there are any.</summary>
    private protected abstract (IReconstructionModel Model, TrainingResult Result) Train(EstimatorFitting.PreparedData data, KnownAnomalies? known);

    /// <summary>
    /// Adds Score and PredictedLabel; throws if the feature column is missing or not a known-size vector of Single, or if
    /// the label column (when named) is missing or neither Boolean nor Single.
    /// </summary>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (options.LabelColumnName is { } label)
        {
            if (!inputSchema.TryFindColumn(label, out var column)) throw Errors.MissingColumn(nameof(inputSchema), "label", label);
            if (column.Kind != SchemaShape.Column.VectorKind.Scalar || !(column.ItemType is BooleanDataViewType || column.ItemType == NumberDataViewType.Single))
                throw Errors.SchemaMismatch(nameof(inputSchema), "label", label, "Boolean or Single", SchemaShapes.Describe(column));
        }
        return EstimatorFitting.OutputShape(inputSchema, options.FeatureColumnName,
            [SchemaShapes.AnomalyScore(options.ScoreColumnName), SchemaShapes.AnomalyPredictedLabel(options.PredictedLabelColumnName)]);
    }

    /// <summary>
    /// Trains on every row of <paramref name="input"/> (mostly normal rows; rows marked in the label column, if named, as
    /// known anomalies) and sets the threshold.
    /// </summary>
    public override GenerativeAnomalyDetectionTransformer Fit(IDataView input)
    {
        var label = options.LabelColumnName is null ? null : KnownAnomalyLabels.Column(input.Schema, options.LabelColumnName);
        using var all = EstimatorFitting.Prepare(env, GetType().Name, input, options, label);
        int d = all.Dimension;
        using var split = label is null ? null : KnownAnomalyLabels.Split(all.Rows, d);
        var normalRows = split?.Normal ?? all.Rows;
        var anomalyRows = split?.Anomalies;
        if (normalRows.shape[0] == 0)
            throw new InvalidOperationException($"Every training row is marked as an anomaly in column '{options.LabelColumnName}'; the detector needs normal (unmarked) rows to learn from.");
        var data = new EstimatorFitting.PreparedData { Rows = normalRows, Dimension = d, Shape = all.Shape, SlotNames = all.SlotNames, Seed = all.Seed };
        // Weight = input length: the reconstruction loss sums over the features, the margin term is in [0, 1] per row.
        var known = anomalyRows is null ? null : new KnownAnomalies(anomalyRows, d);
        var (model, result) = Train(data, known);
        using var scales = AnomalyScores.NeedsFeatureScales(options.ResolvedScoreKind) ? AnomalyScores.FitFeatureScales(model, normalRows) : null;
        float threshold = options.Threshold ?? Threshold(model, data, anomalyRows, scales, options);
        return new GenerativeAnomalyDetectionTransformer(model, options.FeatureColumnName, options.TransformBatchSize, data.Seed,
            options.ScoreColumnName, options.PredictedLabelColumnName, options.ResolvedScoreKind, options.ScoreSamples, threshold,
            options.NonFiniteRowsAreAnomalies, data.SlotNames, result, scales?.data<float>().ToArray());
    }

    /// <summary>
    /// The unmarked training rows' (1 − contamination) score quantile, so that about that share of them scores above it;
    /// with known anomalies, lowered to their median score when it is below, but not below the unmarked rows' median.
    /// </summary>
    private static float Threshold(IReconstructionModel model, EstimatorFitting.PreparedData data, Tensor? knownAnomalies, Tensor? scales, AnomalyDetectionTrainerOptions options)
    {
        var scores = Scores(model, data.Rows, data.Seed, scales, options);
        float threshold = Quantile(scores, 1 - options.Contamination);
        if (knownAnomalies is null) return threshold;
        float knownMedian = Quantile(Scores(model, knownAnomalies, data.Seed, scales, options), 0.5);
        return Math.Max(Math.Min(threshold, knownMedian), Quantile(scores, 0.5));
    }

    private static float[] Scores(IReconstructionModel model, Tensor rows, int seed, Tensor? scales, AnomalyDetectionTrainerOptions options)
    {
        long count = rows.shape[0];
        var scores = new float[count];
        using (no_grad())
        using (var noise = new Generator((ulong)seed + 2))
        {
            for (long start = 0; start < count; start += options.TransformBatchSize)
            {
                using var scope = NewDisposeScope();
                long n = Math.Min(options.TransformBatchSize, count - start);
                AnomalyScores.Compute(model, rows.narrow(0, start, n), options.ResolvedScoreKind, options.ScoreSamples, noise, scales).data<float>().CopyTo(scores, (int)start);
            }
        }
        return scores;
    }

    /// <summary>The value with about a <paramref name="q"/> share of <paramref name="values"/> at or below it.</summary>
    private static float Quantile(float[] values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((long)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
