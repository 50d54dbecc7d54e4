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
        string[]? inputSlotNames, TrainingResult? training, float[]? featureScales)
        : base(featureColumnName, network.InputDimension, batchSize, noiseSeed,
            DescribeOutputs([(NetworkOutputRole.Score, scoreColumnName), (NetworkOutputRole.PredictedLabel, predictedLabelColumnName)],
                network.InputDimension, network.LatentDimension, inputSlotNames), inputSlotNames)
    {
        if (!AnomalyScores.Supports(network, scoreKind))
            throw new ArgumentOutOfRangeException(nameof(scoreKind), scoreKind, $"A {network.GetType().Name} cannot produce the {scoreKind} score.");
        if (!float.IsFinite(threshold)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a finite number.");
        if (AnomalyScores.NeedsFeatureScales(scoreKind) && (featureScales is null || featureScales.Length != network.InputDimension || featureScales.Any(v => !(v > 0) || !float.IsFinite(v))))
            throw new ArgumentException($"The {scoreKind} score needs {network.InputDimension} positive feature scales.", nameof(featureScales));
        FeatureScales = AnomalyScores.NeedsFeatureScales(scoreKind) ? featureScales : null;
        NetworkModel = network;
        ScoreKind = scoreKind;
        ScoreSamples = scoreSamples;
        Threshold = threshold;
        Training = training;
    }

    /// <summary>The trained network: a <c>VariationalAutoencoder</c> or an <c>Autoencoder</c> from GenModels.Torch.</summary>
    public IReconstructionModel NetworkModel { get; }
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
    /// <summary>Loss history of the training run; null for a loaded model or a changed threshold.</summary>
    public TrainingResult? Training { get; }
    /// <summary>The score column's name.</summary>
    public string ScoreColumnName => Outputs[0].Name;
    /// <summary>The predicted-label column's name.</summary>
    public string PredictedLabelColumnName => Outputs[1].Name;

    private protected override IReconstructionModel Network => NetworkModel;

    /// <summary>A copy of this detector (with its own copy of the network) that flags scores above <paramref name="threshold"/>.</summary>
    public GenerativeAnomalyDetectionTransformer WithThreshold(float threshold) =>
        new(ReconstructionNetworks.Clone(NetworkModel), InputColumnName, BatchSize, NoiseSeed, ScoreColumnName, PredictedLabelColumnName,
            ScoreKind, ScoreSamples, threshold, InputSlotNames, null, FeatureScales?.ToArray());

    private protected override void Map(Tensor input, Tensor?[] outputs, Generator noise)
    {
        var scales = FeatureScales is null ? null : tensor(FeatureScales.ToArray());
        var scores = AnomalyScores.Compute(NetworkModel, input, ScoreKind, ScoreSamples, noise, scales).unsqueeze(1);
        outputs[0]?.copy_(scores);
        outputs[1]?.copy_(scores.gt(Threshold).to_type(ScalarType.Float32));
    }

    // Settings after the shared header (version 0x00010001): string networkKind; int scoreKind; int scoreSamples; float threshold;
    // then (added by issue 12, to fold into the versioned format) int featureScaleCount; float[featureScaleCount] featureScales.
    private protected override void WriteSettings(BinaryWriter writer)
    {
        writer.Write(ReconstructionNetworks.KindOf(NetworkModel));
        writer.Write((int)ScoreKind);
        writer.Write(ScoreSamples);
        writer.Write(Threshold);
        // Issue 12: the feature scales of the scaled reconstruction error (count 0 when the score does not use them).
        writer.Write(FeatureScales?.Count ?? 0);
        foreach (var v in FeatureScales ?? []) writer.Write(v);
    }

    private static VersionInfo GetVersionInfo() =>
        ModelPersistence.Version("GMANOMLY", LoaderSignature, 0x00010001, typeof(GenerativeAnomalyDetectionTransformer));

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static GenerativeAnomalyDetectionTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, GetVersionInfo(), (reader, network) =>
        {
            var header = ReadHeader(reader);
            string kind = reader.ReadString();
            var scoreKind = (AnomalyScoreKind)reader.ReadInt32();
            int samples = reader.ReadInt32();
            float threshold = reader.ReadSingle();
            // Issue 12: feature scales appended after the threshold.
            int scaleCount = reader.ReadInt32();
            if (!Enum.IsDefined(scoreKind) || samples < 1 || header.Outputs.Length != 2 || scaleCount < 0 || scaleCount > header.InputDimension)
                throw new InvalidDataException("The saved anomaly detector's settings are corrupt.");
            var scales = scaleCount == 0 ? null : Enumerable.Range(0, scaleCount).Select(_ => reader.ReadSingle()).ToArray();
            var model = ReconstructionNetworks.Deserialize(kind, network);
            return new GenerativeAnomalyDetectionTransformer(model, header.InputColumnName, header.BatchSize, header.NoiseSeed,
                header.Outputs[0].Name, header.Outputs[1].Name, scoreKind, samples, threshold, header.InputSlotNames, null, scales);
        });
}
