using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Networks;
using GenModels.Torch.Scoring;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(GenerativeAnomalyDetectionTransformer), null, typeof(SignatureLoadModel), "Generative Anomaly Detection Transformer", GenerativeAnomalyDetectionTransformer.LoaderSignature)]

namespace GenModels.MLNet.AnomalyDetection;

/// <summary>
/// A trained VAE or autoencoder that scores rows as anomalies: adds <c>Score</c> (Single, higher = more anomalous) and
/// <c>PredictedLabel</c> (Boolean, score above <see cref="Threshold"/>), the columns <c>mlContext.AnomalyDetection.Evaluate</c>
/// reads. Created by <c>mlContext.AnomalyDetection.Trainers.Vae(...)</c> or <c>.Autoencoder(...)</c>.
/// </summary>
public sealed class GenerativeAnomalyDetectionTransformer : ReconstructionTransformerBase
{
    internal const string LoaderSignature = "GenModelsAnomaly";

    internal GenerativeAnomalyDetectionTransformer(IReconstructionModel network, string featureColumnName, int batchSize, int noiseSeed,
        string scoreColumnName, string predictedLabelColumnName, AnomalyScoreKind scoreKind, int scoreSamples, float threshold,
        bool nonFiniteRowsAreAnomalies, string[]? inputSlotNames, TrainingResult? training, float[]? featureScales)
        : base(network, featureColumnName, batchSize, noiseSeed,
            DescribeOutputs([(NetworkOutputRole.Score, scoreColumnName), (NetworkOutputRole.PredictedLabel, predictedLabelColumnName)],
                network, inputSlotNames), inputSlotNames)
    {
        if (!AnomalyScores.Supports(network, scoreKind))
            throw new ArgumentOutOfRangeException(nameof(scoreKind), scoreKind, $"A {network.GetType().Name} cannot produce the {scoreKind} score.");
        if (!float.IsFinite(threshold)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a finite number.");
        Limits.CheckSamples(scoreSamples, nameof(scoreSamples));
        if (AnomalyScores.NeedsFeatureScales(scoreKind) && (featureScales is null || featureScales.Length != network.InputDimension || featureScales.Any(v => !(v > 0) || !float.IsFinite(v))))
            throw new ArgumentException($"The {scoreKind} score needs {network.InputDimension} positive feature scales.", nameof(featureScales));
        FeatureScales = AnomalyScores.NeedsFeatureScales(scoreKind) ? featureScales : null;
        ScoreKind = scoreKind;
        ScoreSamples = scoreSamples;
        Threshold = threshold;
        NonFiniteRowsAreAnomalies = nonFiniteRowsAreAnomalies;
        Training = training;
    }

    /// <summary>The trained network: a <c>VariationalAutoencoder</c> or an <c>Autoencoder</c> from GenModels.Torch.</summary>
    public IReconstructionModel Model => Network;
    /// <summary>How rows are scored.</summary>
    public AnomalyScoreKind ScoreKind { get; }
    /// <summary>Posterior samples per row for the sampled scores.</summary>
    public int ScoreSamples { get; }
    /// <summary>
    /// The robust scale of each feature's reconstruction error on the training rows, which the
    /// <see cref="AnomalyScoreKind.ScaledReconstructionError"/> score divides by; null for the other scores.
    /// </summary>
    public IReadOnlyList<float>? FeatureScales { get; }
    /// <summary>Rows whose score is above this are predicted anomalies.</summary>
    public float Threshold { get; }
    /// <summary>
    /// True when a row with a NaN or infinite feature (or, rarer, a score that overflows) gets the score +∞ and is predicted an anomaly (the default); false
    /// keeps ML.NET's <c>RandomizedPca</c> behaviour, a NaN score and a "normal" label.
    /// </summary>
    public bool NonFiniteRowsAreAnomalies { get; }
    /// <summary>Loss history of the training run; null for a loaded model or a changed threshold.</summary>
    public TrainingResult? Training { get; }
    /// <summary>The score column's name.</summary>
    public string ScoreColumnName => Outputs[0].Name;
    /// <summary>The predicted-label column's name.</summary>
    public string PredictedLabelColumnName => Outputs[1].Name;

    /// <summary>A copy of this detector (with its own copy of the network) that flags scores above <paramref name="threshold"/>.</summary>
    public GenerativeAnomalyDetectionTransformer WithThreshold(float threshold) =>
        new(ReconstructionNetworks.Clone(Network), InputColumnName, BatchSize, NoiseSeed, ScoreColumnName, PredictedLabelColumnName,
            ScoreKind, ScoreSamples, threshold, NonFiniteRowsAreAnomalies, InputSlotNames, null, FeatureScales?.ToArray());

    // The feature scales as a tensor, made once: a PredictionEngine maps one row per call, and building it per call was a
    // visible share of a row's time. It lives as long as the mappers that use it (released by the collector, not by
    // Dispose, because an engine may outlive this transformer's own reference).
    private Tensor? scaleTensor;

    private protected override void Map(Tensor input, Tensor?[] outputs, Generator noise)
    {
        var scales = FeatureScales is null ? null : LazyInitializer.EnsureInitialized(ref scaleTensor, () => tensor(FeatureScales.ToArray()).DetachFromDisposeScope());
        var scores = AnomalyScores.Compute(Network, input, ScoreKind, ScoreSamples, noise, scales).unsqueeze(1);
        // A NaN or infinite feature always makes every score NaN or infinite (each has a squared error or a likelihood term
        // of that feature), so one pass over the scores finds the non-finite rows.
        if (NonFiniteRowsAreAnomalies) scores = scores.nan_to_num(float.PositiveInfinity, float.PositiveInfinity, float.PositiveInfinity);
        outputs[0]?.copy_(scores);
        outputs[1]?.copy_(scores.gt(Threshold)); // copy_ converts the Boolean to 0/1
    }

    private float[]? scaleValues; // the feature scales as an array, for the one-row form

    private protected override bool MapsRow(NetworkOutputRole role) => AnomalyScores.HasRowForm(ScoreKind);

    private protected override void MapRow(RowReconstructionModel model, ReadOnlySpan<float> input, float[]?[] results)
    {
        var scales = FeatureScales is null ? null : LazyInitializer.EnsureInitialized(ref scaleValues, () => FeatureScales.ToArray());
        float score = AnomalyScores.ComputeRow(model, input, ScoreKind, scales);
        if (NonFiniteRowsAreAnomalies && !float.IsFinite(score)) score = float.PositiveInfinity; // as Map's nan_to_num
        if (results[0] is { } scoreResult) scoreResult[0] = score;
        if (results[1] is { } label) label[0] = score > Threshold ? 1 : 0;
    }

    // The deterministic scores have an ONNX form; the sampled ones (ELBO, log-likelihood) do not.
    private protected override bool CanExportOnnx => ScoreKind is AnomalyScoreKind.ReconstructionError or AnomalyScoreKind.ScaledReconstructionError;

    private protected override void ExportOnnx(OnnxGraph graph, string x, string mean, string? logVar, Func<string> reconstruction,
        Dictionary<NetworkOutputRole, Func<string>> values)
    {
        int d = InputDimension;
        var error = graph.Node("Sub", [x, reconstruction()]);
        string score;
        if (ScoreKind == AnomalyScoreKind.ReconstructionError)
            score = OnnxNetworks.RowSum(graph, OnnxNetworks.Square(graph, error), d, 1f / d);
        else
        {
            // ½·Σ((x − x̂)/s)², plus the code's KL to the prior for a VAE: −½·Σ(1 + logVar − mean² − exp(logVar)).
            var scaled = graph.Node("Div", [error, graph.Constant(FeatureScales!.ToArray(), 1, d)]);
            score = OnnxNetworks.RowSum(graph, OnnxNetworks.Square(graph, scaled), d, 0.5f);
            if (logVar is not null)
            {
                int k = ((IReconstructionModel)Network).LatentDimension;
                var inner = graph.Node("Sub", [graph.Node("Sub", [graph.Node("Add", [logVar, graph.Constant([1f], 1)]), OnnxNetworks.Square(graph, mean)]), graph.Node("Exp", [logVar])]);
                score = graph.Node("Add", [score, OnnxNetworks.RowSum(graph, inner, k, -0.5f)]);
            }
        }
        if (NonFiniteRowsAreAnomalies)
            score = graph.Node("Where", [OnnxNetworks.NonFiniteRows(graph, x, d), graph.Constant([float.PositiveInfinity], 1), score]);
        values[NetworkOutputRole.Score] = () => score;
        values[NetworkOutputRole.PredictedLabel] = () => graph.Node("Greater", [score, graph.Constant([Threshold], 1)]);
    }

    // Settings after the shared header:
    //   format 1: string networkKind; int scoreKind; int scoreSamples; float threshold;
    //   format 2: the same, then bool nonFiniteRowsAreAnomalies; int featureScaleCount (0 when the score does not use them);
    //             featureScaleCount × float, the scaled reconstruction error's feature scales.
    //   Format-1 models load with nonFiniteRowsAreAnomalies = true and no feature scales.
    private protected override void WriteSettings(BinaryWriter writer)
    {
        writer.Write(ReconstructionNetworks.KindOf(Network));
        writer.Write((int)ScoreKind);
        writer.Write(ScoreSamples);
        writer.Write(Threshold);
        writer.Write(NonFiniteRowsAreAnomalies);
        writer.Write(FeatureScales?.Count ?? 0);
        foreach (var v in FeatureScales ?? []) writer.Write(v);
    }

    private static readonly ModelFormat SavedFormat = new("GMANOMLY", LoaderSignature, typeof(GenerativeAnomalyDetectionTransformer));

    private protected override ModelFormat Format => SavedFormat;

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static GenerativeAnomalyDetectionTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, SavedFormat, (reader, network, format) =>
        {
            var header = ReadHeader(reader);
            string kind = reader.ReadString();
            var scoreKind = ModelPersistence.ReadEnum<AnomalyScoreKind>(reader, "score kind");
            int samples = ModelPersistence.ReadCount(reader, "the score sample count", 1, Limits.MaxSamples);
            float threshold = reader.ReadSingle();
            bool nonFinite = true;
            float[]? scales = null;
            if (format >= ModelFormat.Version2)
            {
                nonFinite = reader.ReadBoolean();
                int scaleCount = ModelPersistence.ReadCount(reader, "the feature scale count", 0, header.InputDimension);
                scales = scaleCount == 0 ? null : Enumerable.Range(0, scaleCount).Select(_ => reader.ReadSingle()).ToArray();
            }
            if (header.Outputs.Length != 2 || header.Outputs[0].Role != NetworkOutputRole.Score || header.Outputs[1].Role != NetworkOutputRole.PredictedLabel)
                throw new InvalidDataException("The saved anomaly detector is corrupt: its output columns are not Score and PredictedLabel.");
            return LoadWith(header, ReconstructionNetworks.Deserialize(kind, network), model =>
                new GenerativeAnomalyDetectionTransformer(model, header.InputColumnName, header.BatchSize, header.NoiseSeed,
                    header.Outputs[0].Name, header.Outputs[1].Name, scoreKind, samples, threshold, nonFinite, header.InputSlotNames, null, scales));
        });
}
