using GenModels.MLNet;
using GenModels.MLNet.Diffusion;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>The generator metrics on distributions whose answers are known.</summary>
public class GeneratorEvaluationTests(ITestOutputHelper output)
{
    public sealed class Row
    {
        [VectorType(4)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    private static Row[] Gaussian(int count, int seed, float[] mean, float scale = 1) =>
        Enumerable.Range(0, count).Select(_ => (Random: new Random(seed++), 0)).Select(r => new Row
        {
            Features = mean.Select(m => (float)(m + scale * Synthetic.Gaussian(r.Random))).ToArray(),
        }).ToArray();

    [Fact]
    public void TwoSamplesOfOneDistributionAreCloseByEveryMeasure()
    {
        var ml = new MLContext(seed: 1);
        var result = ml.Generative().Evaluate(ml.Data.LoadFromEnumerable(Gaussian(2000, 1, new float[4])), ml.Data.LoadFromEnumerable(Gaussian(2000, 100_000, new float[4])));
        output.WriteLine(result.ToString());
        Assert.Equal(2000, result.RealRows);
        Assert.True(result.FrechetDistance < 0.05, $"Fréchet distance {result.FrechetDistance}");
        Assert.True(Math.Abs(result.KernelDistance) < 3 * result.KernelDistanceStandardDeviation + 1e-3, $"KID {result.KernelDistance} ± {result.KernelDistanceStandardDeviation}");
        Assert.InRange(result.Precision, 0.8, 1.0);
        Assert.InRange(result.Recall, 0.8, 1.0);
    }

    [Theory]
    [InlineData(1f, 2f, 1f, 5.0)]   // shifted mean: ‖μ‖² = 1 + 4
    [InlineData(0f, 0f, 2f, 4.0)]   // scaled covariance 4I against I in 4-D: 4·(1 + 4 − 2·2)
    public void GaussiansGetTheClosedFormFrechetDistance(float shiftX, float shiftY, float scale, double expected)
    {
        var ml = new MLContext(seed: 1);
        var result = ml.Generative().Evaluate(ml.Data.LoadFromEnumerable(Gaussian(4000, 1, new float[4])),
            ml.Data.LoadFromEnumerable(Gaussian(4000, 200_000, [shiftX, shiftY, 0, 0], scale)));
        output.WriteLine(result.ToString());
        Assert.InRange(result.FrechetDistance, expected * 0.92, expected * 1.08);
        Assert.True(result.KernelDistance > 10 * result.KernelDistanceStandardDeviation, $"KID {result.KernelDistance} ± {result.KernelDistanceStandardDeviation}");
    }

    [Fact]
    public void AGeneratorThatDropsHalfTheModesHasRecallNearAHalfAndFullPrecision()
    {
        var ml = new MLContext(seed: 1);
        var real = Gaussian(1000, 1, [-5, 0, 0, 0], 0.5f).Concat(Gaussian(1000, 50_000, [5, 0, 0, 0], 0.5f));
        var generated = Gaussian(2000, 100_000, [-5, 0, 0, 0], 0.5f);
        var result = ml.Generative().Evaluate(ml.Data.LoadFromEnumerable(real), ml.Data.LoadFromEnumerable(generated));
        output.WriteLine(result.ToString());
        Assert.InRange(result.Recall, 0.4, 0.6);
        Assert.InRange(result.Precision, 0.9, 1.0);
    }

    [Fact]
    public void AClassifierTrainedOnRealRowsScoresEachRequestedClass()
    {
        var ml = new MLContext(seed: 1);
        Row[] Labelled(int count, int seed, Func<int, string> label) => Enumerable.Range(0, count).Select(i =>
        {
            var mode = i % 3;
            var row = Gaussian(1, seed + i, [mode * 6f, 0, 0, 0], 0.5f)[0];
            row.Label = label(mode);
            return row;
        }).ToArray();
        string[] names = ["a", "b", "c"];
        var real = ml.Data.LoadFromEnumerable(Labelled(600, 1, m => names[m]));
        var classifier = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy())
            .Fit(real);
        // A "generator" that draws class c's rows when asked for c, except that rows requested as "c" look like "a".
        var generated = ml.Data.LoadFromEnumerable(Labelled(300, 10_000, m => m == 0 ? "c" : names[m]).Concat(Labelled(90, 20_000, m => names[m]).Where(r => r.Label == "a")));
        var result = ml.Generative().Evaluate(real, generated, new GeneratorEvaluationOptions { Classifier = classifier });
        output.WriteLine(string.Join(", ", result.ClassAccuracy.Select(p => $"{p.Key} {p.Value:F2}")));
        Assert.Equal(1.0, result.ClassAccuracy["a"], 2);
        Assert.Equal(1.0, result.ClassAccuracy["b"], 2);
        Assert.True(result.ClassAccuracy["c"] < 0.6, $"class c accuracy {result.ClassAccuracy["c"]}");
    }

    public sealed class WideRow
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
    }

    [Fact]
    public void MismatchedOrMissingColumnsAreNamed()
    {
        var ml = new MLContext(seed: 1);
        var real = ml.Data.LoadFromEnumerable(Gaussian(20, 1, new float[4]));
        var wide = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 20).Select(i => new WideRow { Features = [i, 0, 1] }));
        Assert.Contains("'Features'", Assert.Throws<ArgumentException>(() => ml.Generative().Evaluate(real, wide)).Message);
        Assert.Contains("'Other'", Assert.ThrowsAny<ArgumentException>(() => ml.Generative().Evaluate(real, real, "Other")).Message);
        Assert.Equal("MaxRows", Assert.Throws<ArgumentOutOfRangeException>(() => ml.Generative().Evaluate(real, real, new GeneratorEvaluationOptions { MaxRows = 2 })).ParamName);
    }
}
