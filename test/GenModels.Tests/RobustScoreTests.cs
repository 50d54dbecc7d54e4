using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Vae;
using GenModels.Torch.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

using static GenModels.Tests.AnomalyDetectionTests;

namespace GenModels.Tests;

/// <summary>The default anomaly score, the collapse warning and training with known anomalies.</summary>
public class RobustScoreTests
{
    /// <summary>
    /// Columns 0–3 follow one factor t tightly (noise 0.1); columns 4–7 are independent N(0, 1) noise that no code can
    /// rebuild. A 2-D code reconstructs the first four well and the last four poorly.
    /// </summary>
    private static LabelledRow Correlated(Random rnd, double t)
    {
        var x = new float[Synthetic.Dimension];
        for (int j = 0; j < 4; j++) x[j] = (float)(t + 0.1 * Synthetic.Gaussian(rnd));
        for (int j = 4; j < 8; j++) x[j] = (float)Synthetic.Gaussian(rnd);
        return new LabelledRow { Features = x };
    }

    [Theory]
    [InlineData("Vae")]
    [InlineData("Autoencoder")]
    public void ARowThatBreaksCorrelationsOutscoresOneWithASingleLargeValueInANoisyColumn(string detector)
    {
        var ml = new MLContext(seed: 1);
        var rnd = new Random(7);
        var train = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 1000).Select(_ => Correlated(rnd, Synthetic.Gaussian(rnd))).ToArray());
        var extreme = new LabelledRow { Features = [0, 0, 0, 0, 5, 0, 0, 0] };          // one value 5σ out, in a column that is noise anyway
        var broken = new LabelledRow { Features = [1, -1, 1, -1, 0, 0, 0, 0] };         // every value typical, the correlation broken
        var probe = ml.Data.LoadFromEnumerable(new[] { extreme, broken });

        float[] Scores(AnomalyScoreKind? kind, AnomalyScoreKind expected)
        {
            using var model = detector == "Vae"
                ? ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { ScoreKind = kind, Seed = 1 }).Fit(train)
                : ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { ScoreKind = kind, Seed = 1 }).Fit(train);
            Assert.Equal(expected, model.ScoreKind);
            return model.Transform(probe).GetColumn<float>("Score").ToArray();
        }

        var scaled = Scores(null, AnomalyScoreKind.ScaledReconstructionError); // the default for real-valued (Gaussian) columns
        Assert.True(scaled[1] > 2 * scaled[0], $"default score: one extreme value {scaled[0]:G3}, broken correlation {scaled[1]:G3}");
        // The plain mean squared error ranks them the other way: the extreme value dominates it.
        var plain = Scores(AnomalyScoreKind.ReconstructionError, AnomalyScoreKind.ReconstructionError);
        Assert.True(plain[0] > plain[1], $"plain error: one extreme value {plain[0]:G3}, broken correlation {plain[1]:G3}");
    }

    [Theory]
    [InlineData(1.0, false)]
    [InlineData(50.0, true)]
    public void TheCollapseWarningFiresWhenTheCodeIgnoresTheInputAndOnlyThen(double beta, bool collapses)
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var data = ml.Data.LoadFromEnumerable(DefaultsTests.Segments());
        using var model = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { Beta = beta, Seed = 1 }).Fit(data);
        bool warned = model.Training!.Warnings.Any(w => w.Contains("collapsed"));
        Assert.Equal(collapses, warned);
        Assert.Equal(collapses, messages.Any(m => m.Contains("code collapsed") && m.Contains("Lower Beta")));
        Assert.Contains(messages, m => m.Contains("epochs (derived"));
    }

    /// <summary>
    /// 1,000 normal rows on the curved manifold plus 60 anomalies in one tight cluster off it, which an unsupervised model
    /// learns to reconstruct like normal data; <paramref name="known"/> of them are marked in the Boolean IsAnomaly column.
    /// </summary>
    private static LabelledRow[] WithCluster(int known, int seed, int normal = 1000, int anomalies = 60)
    {
        var rnd = new Random(seed);
        var rows = Synthetic.CurvedManifold(normal, seed).Select(r => new LabelledRow { Features = r.Features }).ToList();
        // The cluster sits inside the cloud of normal rows (at their centre, which the curve does not pass through), so its
        // code is typical: only the reconstruction tells it apart, until the network learns it.
        var centre = Enumerable.Range(0, Synthetic.Dimension).Select(j => rows.Average(r => r.Features[j])).ToArray();
        for (int i = 0; i < anomalies; i++)
            rows.Add(new LabelledRow { Features = centre.Select(c => (float)(c + 0.03 * Synthetic.Gaussian(rnd))).ToArray(), IsAnomaly = i < known, Label = 1 });
        return rows.OrderBy(_ => rnd.Next()).ToArray();
    }

    private static double Auc(MLContext ml, ITransformer model, IDataView test) => ml.AnomalyDetection.Evaluate(model.Transform(test)).AreaUnderRocCurve;

    [Theory]
    [InlineData("Vae")]
    [InlineData("Autoencoder")]
    public void LabelledAnomaliesImproveDetectionAndNoMarkedRowChangesNothing(string detector)
    {
        var ml = new MLContext(seed: 1);
        var test = ml.Data.LoadFromEnumerable(WithCluster(0, seed: 2, normal: 300, anomalies: 30));
        IEstimator<GenerativeAnomalyDetectionTransformer> Trainer(string? label) => detector == "Vae"
            ? ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { LabelColumnName = label, Seed = 1 })
            : ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { LabelColumnName = label, Seed = 1 });

        var unlabelledData = ml.Data.LoadFromEnumerable(WithCluster(0, seed: 1));
        using var plain = Trainer(null).Fit(unlabelledData);
        using var none = Trainer("IsAnomaly").Fit(unlabelledData);
        Assert.Equal(plain.Transform(test).GetColumn<float>("Score"), none.Transform(test).GetColumn<float>("Score"));

        using var labelled = Trainer("IsAnomaly").Fit(ml.Data.LoadFromEnumerable(WithCluster(6, seed: 1)));
        double before = Auc(ml, plain, test), after = Auc(ml, labelled, test);
        Assert.True(after > before + 0.1 && after > 0.9, $"{detector}: AUC {before:F3} unsupervised, {after:F3} with 6 of 60 anomalies labelled");
    }

    [Fact]
    public void ALabelColumnOfAnotherTypeIsRejectedNamingIt()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(WithCluster(1, seed: 1, normal: 50, anomalies: 5));
        var trainer = ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { LabelColumnName = "Tag", Epochs = 1 });
        Assert.Contains("'Tag'", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data)).Message);
        Assert.Contains("'Tag'", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(BadInputTests.Shape(data.Schema))).Message);
        var missing = ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { LabelColumnName = "Nope", Epochs = 1 });
        Assert.Contains("'Nope'", Assert.Throws<ArgumentOutOfRangeException>(() => missing.Fit(data)).Message);
    }
}
