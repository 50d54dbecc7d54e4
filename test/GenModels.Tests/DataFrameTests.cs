using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Gan;
using GenModels.MLNet.Vae;
using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace GenModels.Tests;

/// <summary>
/// <c>Microsoft.Data.Analysis.DataFrame</c> in and out: a DataFrame is an <c>IDataView</c>, so it trains and is transformed
/// like any other, and <c>ToDataFrame</c> turns scored, encoded or generated rows back into one to look at.
/// </summary>
public class DataFrameTests
{
    private static readonly string[] Columns = ["Temperature", "Pressure", "Flow", "Vibration"];

    /// <summary>
    /// 300 sensor readings driven by one factor (each column a noisy multiple of it) as a DataFrame, with the readings of rows
    /// 10, 51, 92, 133 and 174 breaking the pattern (one column far from what the others imply). "Load" is a Double column.
    /// </summary>
    public static DataFrame Readings(out int[] outliers)
    {
        outliers = [10, 51, 92, 133, 174]; // each breaks a different column (row % 4)
        var rnd = new Random(4);
        int rows = 300;
        var columns = Columns.Select(name => new SingleDataFrameColumn(name, rows)).ToArray();
        var load = new DoubleDataFrameColumn("Load", rows);
        for (int r = 0; r < rows; r++)
        {
            double factor = Synthetic.Gaussian(rnd);
            load[r] = factor;
            for (int c = 0; c < columns.Length; c++)
                columns[c][r] = (float)((c + 1) * factor + 0.05 * Synthetic.Gaussian(rnd));
            if (outliers.Contains(r)) columns[r % columns.Length][r] = (float)(-(r % columns.Length + 1) * (factor + 5 * Math.Sign(factor + 1e-9)));
        }
        return new DataFrame([.. columns, load]);
    }

    private static IEstimator<ITransformer> Features(MLContext ml) =>
        ml.Transforms.Conversion.ConvertType("LoadSingle", "Load", DataKind.Single)
            .Append(ml.Transforms.Concatenate("Features", [.. Columns, "LoadSingle"]))
            .Append(ml.Transforms.NormalizeMeanVariance("Features"));

    [Fact]
    public void AnAnomalyDetectorTrainsAndScoresADataFrameAndItsTopScoredRowsComeBackAsOne()
    {
        var ml = new MLContext(seed: 1);
        var frame = Readings(out var outliers);
        var model = Features(ml).Append(ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { Seed = 1 })).Fit(frame);
        var scored = model.Transform(frame).ToDataFrame(-1);
        Assert.Equal(frame.Rows.Count, scored.Rows.Count);

        // The rows with the highest scores, as a DataFrame a person can look at: the planted outliers lead.
        scored.Columns.Add(new Int32DataFrameColumn("Row", Enumerable.Range(0, (int)scored.Rows.Count)));
        var top = scored.OrderByDescending("Score").Head(outliers.Length);
        var topRows = top.Columns["Row"].Cast<int>().ToArray();
        Assert.True(outliers.Intersect(topRows).Count() >= 4,
            $"top-scored rows {string.Join(", ", topRows)}; planted outliers {string.Join(", ", outliers)}");
        Assert.Equal(Columns.Concat(["Load", "LoadSingle", "Features", "Score", "PredictedLabel", "Row"]), top.Columns.Select(c => c.Name));
    }

    [Fact]
    public void AnEncoderTrainsOnADataFrameAndItsCodesComeBackAsADataFrameColumn()
    {
        var ml = new MLContext(seed: 1);
        var frame = Readings(out _);
        var model = Features(ml).Append(ml.Transforms.VaeEncode("Latent", "Features", latentDimension: 2)).Fit(frame);
        var encoded = model.Transform(frame).ToDataFrame(-1);
        var latent = encoded.Columns["Latent"];
        Assert.Equal(frame.Rows.Count, latent.Length);
        var codes = latent.Cast<VBuffer<float>>().Select(v => v.DenseValues().ToArray()).ToArray();
        Assert.All(codes, c => Assert.Equal(2, c.Length));

        // The code follows the factor that drives the readings: one code dimension correlates strongly with it.
        var load = frame.Columns["Load"].Cast<double>().ToArray();
        double best = Enumerable.Range(0, 2).Max(k => Math.Abs(Correlation(codes.Select(c => (double)c[k]).ToArray(), load)));
        Assert.True(best > 0.9, $"the best code dimension correlates {best:F3} with the driving factor");
    }

    [Fact]
    public void GeneratedRowsComeBackAsADataFrame()
    {
        var ml = new MLContext(seed: 1);
        var frame = Readings(out _);
        var features = Features(ml).Fit(frame);
        using var gan = ml.Generative().Gan(new GanEstimator.Options { Epochs = 2, Seed = 1 }).Fit(features.Transform(frame));
        var generated = gan.Generate(50, seed: 3).ToDataFrame(-1);
        Assert.Equal(50, generated.Rows.Count);
        Assert.All(generated.Columns["Features"].Cast<VBuffer<float>>(), v => Assert.Equal(Columns.Length + 1, v.Length));
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
        return cov / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
    }
}
