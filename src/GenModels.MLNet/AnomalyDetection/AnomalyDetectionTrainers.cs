using GenModels.MLNet.Persistence;
using GenModels.Torch.Networks;
using GenModels.Torch.Scoring;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace GenModels.MLNet.AnomalyDetection;

/// <summary>
/// Trains a variational autoencoder on normal rows and scores new rows by how unlikely the model finds them.
/// Created by <c>mlContext.AnomalyDetection.Trainers.Vae(...)</c>.
/// </summary>
public sealed class VaeAnomalyDetectionTrainer : IEstimator<GenerativeAnomalyDetectionTransformer>
{
    /// <summary>Options of <see cref="VaeAnomalyDetectionTrainer"/>.</summary>
    public sealed class Options : AnomalyDetectionTrainerOptions
    {
        /// <summary>
        /// How rows are scored. The default is <see cref="AnomalyScoreKind.ReconstructionError"/> through the posterior mean:
        /// it is deterministic (a row always gets the same score) and it detected best in our measurements. On one-class
        /// Fashion-MNIST the density scores (<see cref="AnomalyScoreKind.NegativeElbo"/>, <see cref="AnomalyScoreKind.NegativeLogLikelihood"/>)
        /// rank images largely by how many pixels are lit, so plain, dark items of another class look "likely" (the known
        /// failure of likelihoods as outlier scores). Choose a density score when the density itself is what you mean by normal.
        /// </summary>
        public override AnomalyScoreKind ScoreKind { get; set; } = AnomalyScoreKind.ReconstructionError;
        /// <summary>Weight of the KL term (1 = standard VAE).</summary>
        public double Beta = ReconstructionEstimatorOptions.Defaults.Beta;

        internal override void Validate()
        {
            base.Validate();
            if (!(Beta >= 0) || double.IsInfinity(Beta))
                throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "β must be a finite number ≥ 0 (1 = standard VAE).");
        }
    }

    private readonly IHostEnvironment env;
    private readonly Options options;

    internal VaeAnomalyDetectionTrainer(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.env = env;
        this.options = options;
    }

    /// <summary>Adds Score and PredictedLabel; throws if the feature column is missing or not a known-size vector of Single.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => AnomalyFitting.OutputShape(inputSchema, options);

    /// <summary>Trains on every row of <paramref name="input"/> and sets the threshold.</summary>
    public GenerativeAnomalyDetectionTransformer Fit(IDataView input) =>
        AnomalyFitting.Fit(env, nameof(VaeAnomalyDetectionTrainer), input, options,
            data => ReconstructionFitting.FitVae(env, data, options, options.Beta));
}

/// <summary>
/// Trains a deterministic autoencoder on normal rows and scores new rows by their reconstruction error.
/// Created by <c>mlContext.AnomalyDetection.Trainers.Autoencoder(...)</c>.
/// </summary>
public sealed class AutoencoderAnomalyDetectionTrainer : IEstimator<GenerativeAnomalyDetectionTransformer>
{
    /// <summary>Options of <see cref="AutoencoderAnomalyDetectionTrainer"/>.</summary>
    public sealed class Options : AnomalyDetectionTrainerOptions
    {
        /// <summary>How rows are scored: an autoencoder offers <see cref="AnomalyScoreKind.ReconstructionError"/> only.</summary>
        public override AnomalyScoreKind ScoreKind { get; set; } = AnomalyScoreKind.ReconstructionError;

        internal override void Validate()
        {
            base.Validate();
            if (ScoreKind != AnomalyScoreKind.ReconstructionError)
                throw new ArgumentOutOfRangeException(nameof(ScoreKind), ScoreKind, "An autoencoder scores by reconstruction error only; use the VAE detector for ELBO or log-likelihood scores.");
        }
    }

    private readonly IHostEnvironment env;
    private readonly Options options;

    internal AutoencoderAnomalyDetectionTrainer(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.env = env;
        this.options = options;
    }

    /// <summary>Adds Score and PredictedLabel; throws if the feature column is missing or not a known-size vector of Single.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => AnomalyFitting.OutputShape(inputSchema, options);

    /// <summary>Trains on every row of <paramref name="input"/> and sets the threshold.</summary>
    public GenerativeAnomalyDetectionTransformer Fit(IDataView input) =>
        AnomalyFitting.Fit(env, nameof(AutoencoderAnomalyDetectionTrainer), input, options,
            data => ReconstructionFitting.FitAutoencoder(env, data, options));
}

/// <summary>What both detectors share: schema shape, training, and the threshold from the training scores.</summary>
internal static class AnomalyFitting
{
    public static SchemaShape OutputShape(SchemaShape inputSchema, AnomalyDetectionTrainerOptions options) =>
        ReconstructionFitting.OutputShape(inputSchema, options.FeatureColumnName,
            [SchemaShapes.SingleScalar(options.ScoreColumnName), SchemaShapes.BooleanScalar(options.PredictedLabelColumnName)]);

    public static GenerativeAnomalyDetectionTransformer Fit<TModel>(IHostEnvironment env, string component, IDataView input,
        AnomalyDetectionTrainerOptions options, Func<ReconstructionFitting.PreparedData, (TModel Model, TrainingResult Result)> train)
        where TModel : IReconstructionModel
    {
        using var data = ReconstructionFitting.Prepare(env, component, input, options);
        var (model, result) = train(data);
        float threshold = options.Threshold ?? ContaminationThreshold(model, data, options);
        return new GenerativeAnomalyDetectionTransformer(model, options.FeatureColumnName, options.TransformBatchSize, data.Seed,
            options.ScoreColumnName, options.PredictedLabelColumnName, options.ScoreKind, options.ScoreSamples, threshold, data.SlotNames, result);
    }

    /// <summary>The training scores' (1 − contamination) quantile: about that share of training rows scores above it.</summary>
    private static float ContaminationThreshold(IReconstructionModel model, ReconstructionFitting.PreparedData data, AnomalyDetectionTrainerOptions options)
    {
        long rows = data.Rows.shape[0];
        var scores = new float[rows];
        using (no_grad())
        using (var noise = new Generator((ulong)data.Seed + 2))
        {
            for (long start = 0; start < rows; start += options.TransformBatchSize)
            {
                using var scope = NewDisposeScope();
                long count = Math.Min(options.TransformBatchSize, rows - start);
                var batch = AnomalyScores.Compute(model, data.Rows.narrow(0, start, count), options.ScoreKind, options.ScoreSamples, noise);
                batch.data<float>().CopyTo(scores, (int)start);
            }
        }
        Array.Sort(scores);
        long index = Math.Clamp((long)Math.Ceiling((1 - options.Contamination) * rows) - 1, 0, rows - 1);
        return scores[index];
    }
}
