using System.Diagnostics;
using System.Reflection;
using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Vae;
using GenModels.Torch.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using static TorchSharp.torch;

namespace GenModels.Tests;

public class AnomalyDetectionTests
{
    public sealed class LabelledRow
    {
        [VectorType(Synthetic.Dimension)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
        public bool IsAnomaly { get; set; }
        public string Tag { get; set; } = "";
    }

    public sealed class AnomalyPrediction
    {
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }
    }

    /// <summary>Normal rows lie on the curved manifold; anomalies are manifold points pushed off it by Gaussian noise (σ = 0.25).</summary>
    public static LabelledRow[] Mixed(int normal, int anomalies, int seed)
    {
        var rnd = new Random(seed);
        var rows = Synthetic.CurvedManifold(normal + anomalies, seed).Select((r, i) => new LabelledRow { Features = r.Features, Tag = r.Tag }).ToArray();
        foreach (var r in rows.Skip(normal))
        {
            for (int j = 0; j < r.Features.Length; j++) r.Features[j] += (float)(0.25 * Synthetic.Gaussian(rnd));
            r.Label = 1;
            r.IsAnomaly = true;
        }
        return rows.OrderBy(_ => rnd.Next()).ToArray();
    }

    private static VaeAnomalyDetectionTrainer.Options VaeOptions(AnomalyScoreKind kind = AnomalyScoreKind.NegativeElbo) => new()
    {
        LatentDimension = 1, HiddenSizes = [64, 64], Epochs = 40, BatchSize = 64, LearningRate = 3e-3, Seed = 1, ScoreKind = kind, Beta = 0.1,
    };

    private static IDataView Train(MLContext ml, int rows = 1500) => Synthetic.Load(ml, Synthetic.CurvedManifold(rows, seed: 41));

    [Fact]
    public void VaeAndAutoencoderSeparatePointsOffTheManifoldWithAucNearOne()
    {
        var ml = new MLContext(seed: 1);
        var train = Train(ml);
        var test = ml.Data.LoadFromEnumerable(Mixed(500, 100, seed: 42));
        var results = new Dictionary<string, double>();
        foreach (var kind in Enum.GetValues<AnomalyScoreKind>())
        {
            using var vae = ml.AnomalyDetection.Trainers.Vae(VaeOptions(kind)).Fit(train);
            results[$"VAE {kind}"] = ml.AnomalyDetection.Evaluate(vae.Transform(test)).AreaUnderRocCurve;
        }
        using var ae = ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options
        {
            LatentDimension = 1, HiddenSizes = [64, 64], Epochs = 40, BatchSize = 64, LearningRate = 3e-3, Seed = 1,
        }).Fit(train);
        results["Autoencoder"] = ml.AnomalyDetection.Evaluate(ae.Transform(test)).AreaUnderRocCurve;
        var table = string.Join(", ", results.Select(r => $"{r.Key} {r.Value:F3}"));
        Assert.All(results.Values, auc => Assert.True(auc > 0.95, $"AUCs: {table}"));
    }

    [Fact]
    public void ContaminationSetsTheShareOfFlaggedTrainingRows()
    {
        var ml = new MLContext(seed: 1);
        var train = Train(ml, 1000);
        foreach (var contamination in new[] { 0.02, 0.1, 0.3 })
        {
            var options = VaeOptions();
            options.Epochs = 5;
            options.Contamination = contamination;
            using var model = ml.AnomalyDetection.Trainers.Vae(options).Fit(train);
            double flagged = model.Transform(train).GetColumn<bool>("PredictedLabel").Count(b => b) / 1000.0;
            Assert.InRange(flagged, contamination - 0.02, contamination + 0.02);
        }
    }

    [Fact]
    public void ChangingTheThresholdFlipsExactlyTheRowsBetweenTheOldAndNewThreshold()
    {
        var ml = new MLContext(seed: 1);
        var train = Train(ml, 500);
        var options = VaeOptions(AnomalyScoreKind.ReconstructionError); // deterministic scores
        options.Epochs = 5;
        var pipeline = ml.Transforms.NormalizeMinMax("Features").Append(ml.AnomalyDetection.Trainers.Vae(options));
        var model = pipeline.Fit(train);
        var scores = model.Transform(train).GetColumn<float>("Score").ToArray();
        var before = model.Transform(train).GetColumn<bool>("PredictedLabel").ToArray();
        float newThreshold = scores.Order().ElementAt(scores.Length / 2); // the median: about half the rows above
        var changed = ml.AnomalyDetection.ChangeThreshold(model, newThreshold);
        var after = changed.Transform(train).GetColumn<bool>("PredictedLabel").ToArray();
        Assert.Equal(scores.Select(s => s > newThreshold), after);
        Assert.True(after.Count(a => a) > before.Count(b => b) * 5);
        Assert.Equal(scores, changed.Transform(train).GetColumn<float>("Score")); // same network, same scores
        // The original model is untouched.
        Assert.Equal(before, model.Transform(train).GetColumn<bool>("PredictedLabel"));
        Assert.Throws<ArgumentException>(() => ml.AnomalyDetection.ChangeThreshold(ml.Transforms.NormalizeMinMax("Features").Fit(train), 1f));
    }

    [Fact]
    public void ImportanceWeightedEstimateIsAtLeastTheElboAndTightensWithMoreSamples()
    {
        var ml = new MLContext(seed: 1);
        var data = Train(ml, 1000);
        using var model = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { LatentDimension = 2, HiddenSizes = [64], Epochs = 20, BatchSize = 128, Seed = 1 }).Fit(data); // a fixed budget: this test is about the bound, not the derived one
        using var x = tensor(Synthetic.CurvedManifold(400, seed: 43).SelectMany(r => r.Features).ToArray(), new long[] { 400, Synthetic.Dimension });
        using var noGrad = no_grad();
        using var generator = new Generator(5);
        double elbo = -model.Model.NegativeElbo(x, samples: 50, generator).mean().item<float>();
        double Iwae(int k) => model.Model.ImportanceWeightedLogLikelihood(x, k, generator).mean().item<float>();
        double k1 = Iwae(1), k5 = Iwae(5), k50 = Iwae(50);
        Assert.True(Math.Abs(k1 - elbo) < 0.05 * Math.Abs(elbo) + 0.1, $"IWAE(k=1) {k1:F3} should match the ELBO {elbo:F3} in expectation");
        Assert.True(k5 > elbo && k50 > k5, $"ELBO {elbo:F3} ≤ IWAE k=5 {k5:F3} ≤ k=50 {k50:F3}");

        // The same figure from ML.NET: a column and a data-set estimate.
        var density = model.EstimateDensity(ml.Data.LoadFromEnumerable(Synthetic.CurvedManifold(400, seed: 43)), importanceSamples: 50);
        Assert.Equal(400, density.Rows);
        Assert.Equal(k50, density.MeanLogLikelihood, 0.1);
        Assert.Equal(-density.MeanLogLikelihood / (Synthetic.Dimension * Math.Log(2)), density.BitsPerDimension, 1e-9);
    }

    [Fact]
    public void LogLikelihoodColumnAgreesWithTheDensityEstimate()
    {
        var ml = new MLContext(seed: 1);
        var data = Train(ml, 300);
        using var model = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options
        {
            LatentDimension = 2, Epochs = 3, Seed = 1, LogLikelihoodColumnName = "LogLikelihood", ImportanceSamples = 20,
        }).Fit(data);
        var column = model.Transform(data).GetColumn<float>("LogLikelihood").ToArray();
        var estimate = model.EstimateDensity(data, importanceSamples: 20);
        Assert.Equal(column.Average(), estimate.MeanLogLikelihood, 1e-3); // same noise sequence from the same seed
    }

    [Fact]
    public void DetectorSavesAndLoadsInAnotherProcessAndWorksInAPredictionEngine()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(300, seed: 44);
        var train = Synthetic.Load(ml, rows);
        var options = VaeOptions();
        options.Epochs = 3;
        var model = ml.Transforms.NormalizeMinMax("Features").Append(ml.AnomalyDetection.Trainers.Vae(options)).Fit(train);
        var folder = Directory.CreateTempSubdirectory("genmodels-anomaly-").FullName;
        try
        {
            var path = Path.Combine(folder, "detector.zip");
            ml.Model.Save(model, train.Schema, path);
            var csv = Path.Combine(folder, "input.csv");
            File.WriteAllLines(csv, rows.Select(r => string.Join(",", r.Features.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
            var scores = model.Transform(train).GetColumn<float>("Score").Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8"));
            var labels = model.Transform(train).GetColumn<bool>("PredictedLabel").Select(b => b ? "true" : "false");
            LoadProbe.Run(path, csv, Synthetic.Dimension, "Score", Path.Combine(folder, "score.txt"));
            LoadProbe.Run(path, csv, Synthetic.Dimension, "PredictedLabel", Path.Combine(folder, "label.txt"));
            Assert.Equal(scores, File.ReadAllLines(Path.Combine(folder, "score.txt")));
            Assert.Equal(labels, File.ReadAllLines(Path.Combine(folder, "label.txt")));

            var loaded = ml.Model.Load(path, out _);
            var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, AnomalyPrediction>(loaded);
            var detScores = ml.Model.CreatePredictionEngine<Synthetic.Row, AnomalyPrediction>(model);
            var prediction = engine.Predict(rows[0]);
            Assert.True(float.IsFinite(prediction.Score));
            Assert.Equal(detScores.Predict(rows[0]).Score, prediction.Score);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }


    [Fact]
    public void EvaluateDetectorAcceptsBooleanLabelsAndRejectsOthersNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var options = VaeOptions(AnomalyScoreKind.ReconstructionError);
        options.Epochs = 10;
        using var model = ml.AnomalyDetection.Trainers.Vae(options).Fit(Train(ml, 500));
        var scored = model.Transform(ml.Data.LoadFromEnumerable(Mixed(300, 60, seed: 45)));
        var withBoolean = ml.AnomalyDetection.EvaluateDetector(scored, labelColumnName: "IsAnomaly");
        var withSingle = ml.AnomalyDetection.Evaluate(scored, labelColumnName: "Label");
        Assert.Equal(withSingle.AreaUnderRocCurve, withBoolean.AreaUnderRocCurve, 9);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.AnomalyDetection.EvaluateDetector(scored, labelColumnName: "Tag"));
        Assert.Contains("'Tag'", e.Message);
        Assert.Contains("Boolean, Single or a key with 2 values", e.Message);
        Assert.Contains("'Missing'", Assert.Throws<ArgumentOutOfRangeException>(() => ml.AnomalyDetection.EvaluateDetector(scored, labelColumnName: "Missing")).Message);
    }

    /// <summary>Detectors (and the encoder's importance samples) built with one bad setting each, and the parameter the exception must name.</summary>
    public static TheoryData<string, Func<MLContext, object>> BadDetectorSettings => new()
    {
        { "Contamination", ml => ml.AnomalyDetection.Trainers.Vae(contamination: 0.0) },
        { "Contamination", ml => ml.AnomalyDetection.Trainers.Vae(contamination: -0.1) },
        { "Contamination", ml => ml.AnomalyDetection.Trainers.Vae(contamination: 0.51) },
        { "Contamination", ml => ml.AnomalyDetection.Trainers.Vae(contamination: double.NaN) },
        { "Contamination", ml => ml.AnomalyDetection.Trainers.Autoencoder(contamination: 0.7) },
        { "ScoreSamples", ml => ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { ScoreSamples = 0 }) },
        { "ImportanceSamples", ml => ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { ImportanceSamples = 0 }) },
        { "ScoreKind", ml => ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { ScoreKind = AnomalyScoreKind.NegativeElbo }) },
        { "LatentDimension", ml => ml.AnomalyDetection.Trainers.Vae(latentDimension: 0) },
    };

    [Theory]
    [MemberData(nameof(BadDetectorSettings))]
    public void InvalidDetectorSettingsAreRejectedNamingTheParameter(string parameter, Func<MLContext, object> create) =>
        Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(() => create(new MLContext(seed: 1))).ParamName);

    [Fact]
    public void AMissingFeatureColumnIsNamedAtFit()
    {
        var ml = new MLContext(seed: 1);
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => ml.AnomalyDetection.Trainers.Vae(featureColumnName: "Pixels").Fit(Train(ml, 10)));
        Assert.Contains("'Pixels'", missing.Message);
    }

    [Fact]
    public void ANonFiniteThresholdIsRejected()
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { Epochs = 1 }).Fit(Train(ml, 20));
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => model.WithThreshold(float.NaN)).ParamName);
    }
}
