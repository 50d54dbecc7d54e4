using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using GenModels.MLNet;
using GenModels.MLNet.Gan;
using GenModels.Torch.Gan;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

public class GanTests(ITestOutputHelper output)
{
    public sealed class PointRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    public sealed class LabelRow
    {
        public string Label { get; set; } = "";
        [VectorType(8)] public float[] Noise { get; set; } = [];
    }

    internal static readonly (double X, double Y)[] ThreeModes = [(-2, 0), (2, 0), (0, 2.5)];
    internal static readonly string[] ClassNames = ["left", "right", "top"];
    internal const double Sigma = 0.1;

    internal static PointRow[] Points(int count, int seed)
    {
        var (points, classes) = GanTorchTests.Mixture(ThreeModes, count, Sigma, seed);
        return Enumerable.Range(0, count).Select(i => new PointRow { Features = [points[2 * i], points[2 * i + 1]], Label = ClassNames[classes[i]] }).ToArray();
    }

    private static GanEstimator.Options Options(string? label = "Label", int epochs = 60, int seed = 1) => new()
    {
        LabelColumnName = label, NoiseDimension = 8, GeneratorHiddenSizes = [64, 64], DiscriminatorHiddenSizes = [64, 64],
        Epochs = epochs, LearningRate = 1e-3, BatchSize = 64, Seed = seed,
    };

    private static float[] Flat(IDataView data, string column = "Features") => Synthetic.Column(data, column).SelectMany(v => v).ToArray();

    [Fact]
    public void UnconditionalGanFindsEveryModeAndItsRowsFeedAnMLNetPipeline()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Points(1500, seed: 1));
        using var gan = ml.Generative().Gan(Options(label: null)).Fit(train);
        var synthetic = gan.Generate(rowCount: 900, seed: 7);
        Assert.Equal(900, synthetic.GetRowCount());
        Assert.Equal(train.Schema["Features"].Type, synthetic.Schema["Features"].Type);
        var (covered, quality, _) = GanTorchTests.Coverage(Flat(synthetic), ThreeModes, Sigma);
        output.WriteLine($"covered {covered}/3, within 3σ {quality:P1}, d_accuracy {gan.Training!.History[^1].Losses["d_accuracy"]:F3}");
        Assert.Equal(3, covered);
        Assert.True(quality > 0.6, $"only {quality:P1} of generated rows lie within 3σ of a mode");
        // Synthetic rows flow into ML.NET like real ones.
        var clusters = ml.Clustering.Trainers.KMeans("Features", numberOfClusters: 3).Fit(synthetic);
        Assert.NotNull(clusters.Model);
    }

    [Fact]
    public void ConditionalGanPutsSamplesNearTheRequestedClassAndTrainsAClassifier()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Points(1500, seed: 2));
        using var gan = ml.Generative().Gan(Options()).Fit(train);
        Assert.Equal(ClassNames, gan.ClassNames);
        for (int c = 0; c < 3; c++)
        {
            var rows = gan.Generate(rowCount: 300, seed: 3, label: ClassNames[c]);
            Assert.All(rows.GetColumn<string>("Label"), l => Assert.Equal(ClassNames[c], l));
            var (_, _, nearest) = GanTorchTests.Coverage(Flat(rows), ThreeModes, Sigma);
            double share = nearest.Count(m => m == c) / 300.0;
            Assert.True(share > 0.9, $"only {share:P0} of '{ClassNames[c]}' samples are nearest its mode");
        }
        // Every class in turn when no label is asked, and a classifier trained only on synthetic rows classifies real ones.
        var synthetic = gan.Generate(rowCount: 900, seed: 4);
        Assert.Equal(ClassNames, synthetic.GetColumn<string>("Label").Take(3));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy());
        var classifier = pipeline.Fit(synthetic);
        var metrics = ml.MulticlassClassification.Evaluate(classifier.Transform(ml.Data.LoadFromEnumerable(Points(600, seed: 3))));
        Assert.True(metrics.MacroAccuracy > 0.95, $"accuracy on real points of a classifier trained on generated ones: {metrics.MacroAccuracy:F3}");
    }

    [Fact]
    public void SameSeedsGiveIdenticalRowsAndOtherSeedsDoNot()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Points(300, seed: 5));
        using var a = ml.Generative().Gan(Options(epochs: 2)).Fit(train);
        using var b = ml.Generative().Gan(Options(epochs: 2)).Fit(train);
        Assert.Equal(Flat(a.Generate(50, seed: 1)), Flat(b.Generate(50, seed: 1)));
        Assert.Equal(Flat(a.Generate(50, seed: 1)), Flat(a.Generate(50, seed: 1)));
        Assert.NotEqual(Flat(a.Generate(50, seed: 1)), Flat(a.Generate(50, seed: 2)));
        using var c = ml.Generative().Gan(Options(epochs: 2, seed: 2)).Fit(train);
        Assert.NotEqual(Flat(a.Generate(50, seed: 1)), Flat(c.Generate(50, seed: 1)));
    }

    [Fact]
    public void InterpolationEndpointsEqualTheRowsGeneratedFromTheEndpoints()
    {
        var ml = new MLContext(seed: 1);
        using var gan = ml.Generative().Gan(Options(epochs: 2)).Fit(ml.Data.LoadFromEnumerable(Points(300, seed: 6)));
        float[] from = gan.SampleNoise(1), to = gan.SampleNoise(2);
        var requests = ml.Data.LoadFromEnumerable(new[] { new LabelRow { Label = "top", Noise = from }, new LabelRow { Label = "top", Noise = to } });
        var direct = Synthetic.Column(gan.Transform(requests), "Features");
        foreach (var kind in new[] { InterpolationKind.Linear, InterpolationKind.Spherical })
        {
            var path = gan.Interpolate(from, to, steps: 6, kind, label: "top");
            Assert.Equal(6, path.Length);
            // Same latent points, so the same rows (up to float rounding between batch sizes).
            Assert.All(direct[0].Zip(path[0]), p => Assert.Equal(p.First, p.Second, 1e-5));
            Assert.All(direct[1].Zip(path[^1]), p => Assert.Equal(p.First, p.Second, 1e-5));
            Assert.NotEqual(path[0], path[3]);
        }
    }

    [Fact]
    public void GeneratorSavesAndLoadsInAnotherProcessWithIdenticalRows()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Points(300, seed: 7));
        using var gan = ml.Generative().Gan(Options(epochs: 3)).Fit(train);
        var folder = Directory.CreateTempSubdirectory("genmodels-gan-").FullName;
        try
        {
            var path = Path.Combine(folder, "gan.zip");
            ml.Model.Save(gan, train.Schema, path);
            var requests = Enumerable.Range(0, 40).Select(i => new LabelRow { Label = ClassNames[i % 3], Noise = gan.SampleNoise(100 + i) }).ToArray();
            var csv = Path.Combine(folder, "requests.csv");
            File.WriteAllLines(csv, requests.Select(r => r.Label + "," + string.Join(",", r.Noise.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
            var expected = Synthetic.Column(gan.Transform(ml.Data.LoadFromEnumerable(requests)), "Features")
                .Select(v => string.Join(" ", v.Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8"))));
            LoadProbe.Run(path, csv, 8, "Features", Path.Combine(folder, "out.txt"), "Noise", "Label");
            Assert.Equal(expected, File.ReadAllLines(Path.Combine(folder, "out.txt")));

            var loaded = (GanTransformer)ml.Model.Load(path, out _);
            Assert.Equal(Flat(gan.Generate(30, seed: 9, label: "left")), Flat(loaded.Generate(30, seed: 9, label: "left")));
            Assert.Equal(gan.ClassNames, loaded.ClassNames);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }


    [Fact]
    public void VectorGansDecayTheirLearningRateAndAPackedGanSavesAndLoads()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Points(300, seed: 3));
        var options = Options(label: null, epochs: 2);
        options.Pac = 2;
        using var gan = ml.Generative().Gan(options).Fit(train);
        Assert.Equal(GanOptions.DefaultVectorLearningRateDecayStart, gan.Model.Options.LearningRateDecayStart);
        Assert.Equal(4, gan.Model.Discriminator.parameters().First().shape[1]); // two rows of two columns per input
        using var stream = new MemoryStream();
        ml.Model.Save(gan, train.Schema, stream);
        stream.Position = 0;
        var loaded = (GanTransformer)ml.Model.Load(stream, out _);
        Assert.Equal(2, loaded.Model.Options.Pac);
        Assert.Equal(Flat(gan.Generate(20, seed: 4)), Flat(loaded.Generate(20, seed: 4)));

        // Left unset, the noise has the column's length (here 2) up to 32, and the learning rate is the GAN's default.
        using var defaults = ml.Generative().Gan(new GanEstimator.Options { GeneratorHiddenSizes = [16], DiscriminatorHiddenSizes = [16], Epochs = 1, Seed = 1 }).Fit(train);
        Assert.Equal(2, defaults.NoiseDimension);
        Assert.Equal(1e-3, new GanEstimator.Options().LearningRate);

        var conditional = Options(epochs: 1);
        conditional.Pac = 2;
        var e = Assert.Throws<ArgumentException>(() => ml.Generative().Gan(conditional).Fit(train));
        Assert.Equal("Pac", e.ParamName);
        var decay = Options();
        decay.LearningRateDecayStart = 1.5;
        Assert.Equal("LearningRateDecayStart", Assert.Throws<ArgumentOutOfRangeException>(() => ml.Generative().Gan(decay)).ParamName);
    }

    public sealed class NumericLabelRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    [Fact]
    public void RequestsATrainedGanCannotAnswerAreRefusedNamingTheValue()
    {
        var ml = new MLContext(seed: 1);
        using var gan = ml.Generative().Gan(Options(epochs: 1)).Fit(ml.Data.LoadFromEnumerable(Points(100, seed: 8)));
        var unknown = Assert.Throws<ArgumentException>(() => gan.Generate(10, label: "bottom"));
        Assert.Contains("'bottom'", unknown.Message);
        Assert.Contains("'left'", unknown.Message); // the labels it knows
        Assert.Equal("rowCount", Assert.Throws<ArgumentOutOfRangeException>(() => gan.Generate(-1)).ParamName);
        var unknownInColumn = ml.Data.LoadFromEnumerable(new[] { new LabelRow { Label = "bottom", Noise = new float[8] } });
        Assert.Contains("'bottom'", Assert.Throws<ArgumentException>(() => Flat(gan.Transform(unknownInColumn))).Message);
        Assert.Contains("'Label'", Assert.Throws<ArgumentOutOfRangeException>(() => gan.Transform(ml.Data.LoadFromEnumerable(Points(3, 1).Select(p => new NumericLabelRow { Features = p.Features })))).Message);
        using var unconditional = ml.Generative().Gan(Options(label: null, epochs: 1)).Fit(ml.Data.LoadFromEnumerable(Points(50, seed: 11)));
        Assert.Throws<ArgumentException>(() => unconditional.Generate(5, label: "left"));
    }

    /// <summary>A GAN asked to train on data or settings it cannot use, and what its exception must say.</summary>
    public static TheoryData<string, Action<MLContext>, string[]> BadTrainingRequests => new()
    {
        { "one class", ml => ml.Generative().Gan(Options()).Fit(ml.Data.LoadFromEnumerable(Points(50, seed: 9).Select(p => { p.Label = "left"; return p; }))),
          ["single class", "'Label'"] },
        { "a NaN", ml =>
            {
                var rows = Points(50, seed: 10);
                rows[7].Features[1] = float.NaN;
                ml.Generative().Gan(Options()).Fit(ml.Data.LoadFromEnumerable(rows));
            }, ["row 7, slot 1"] },
        { "a numeric label", ml => ml.Generative().Gan(Options()).Fit(ml.Data.LoadFromEnumerable(Points(20, 1).Select(p => new NumericLabelRow { Features = p.Features }))),
          ["Text or Key"] },
        { "a missing label column", ml => ml.Generative().Gan(Options(label: "Missing")).Fit(ml.Data.LoadFromEnumerable(Points(20, 1))), ["'Missing'"] },
        { "no noise", ml => ml.Generative().Gan(new GanEstimator.Options { NoiseDimension = 0 }), ["NoiseDimension"] },
        { "an EMA decay of 1", ml => ml.Generative().Gan(new GanEstimator.Options { EmaDecay = 1 }), ["EmaDecay"] },
    };

    [Theory]
    [MemberData(nameof(BadTrainingRequests))]
    public void BadTrainingDataAndSettingsGiveClearErrors(string what, Action<MLContext> train, string[] expected)
    {
        var e = Assert.ThrowsAny<Exception>(() => train(new MLContext(seed: 1)));
        Assert.True(e is ArgumentException or InvalidOperationException, $"{what}: {e.GetType().Name}: {e.Message}");
        foreach (var part in expected) Assert.True(e.Message.Contains(part, StringComparison.Ordinal) || e is ArgumentException { ParamName: var name } && name == part,
            $"{what}: '{part}' is not in \"{e.Message}\"");
    }
}

public class ConvolutionalGanTests
{
    public sealed class ImageRow
    {
        [VectorType(1, 8, 8)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    /// <summary>8×8 images with one bright row ("horizontal") or one bright column ("vertical").</summary>
    private static ImageRow[] Bars(int count, int seed)
    {
        var rnd = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var pixels = new float[64];
            bool horizontal = i % 2 == 0;
            int line = rnd.Next(8);
            for (int k = 0; k < 8; k++) pixels[horizontal ? line * 8 + k : k * 8 + line] = 1;
            return new ImageRow { Features = pixels, Label = horizontal ? "horizontal" : "vertical" };
        }).ToArray();
    }

    /// <summary>How much more the image varies between rows than between columns (positive: horizontal structure).</summary>
    private static double Orientation(float[] image)
    {
        var rows = Enumerable.Range(0, 8).Select(r => Enumerable.Range(0, 8).Average(c => (double)image[r * 8 + c])).ToArray();
        var cols = Enumerable.Range(0, 8).Select(c => Enumerable.Range(0, 8).Average(r => (double)image[r * 8 + c])).ToArray();
        static double Variance(double[] v) => v.Average(x => (x - v.Average()) * (x - v.Average()));
        return Variance(rows) - Variance(cols);
    }

    [Fact]
    public void ImageColumnsGetAConvolutionalGanThatDrawsTheRequestedOrientation()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Bars(800, seed: 1));
        using var gan = ml.Generative().Gan(new GanEstimator.Options
        {
            LabelColumnName = "Label", NoiseDimension = 16, ConvolutionChannels = 16, Output = GeneratorOutput.Sigmoid,
            Epochs = 30, LearningRate = 1e-3, BatchSize = 64, Seed = 1,
        }).Fit(train);
        Assert.Equal(GanArchitecture.Convolutional, gan.Model.Options.Architecture);
        Assert.Equal(1, gan.Model.Options.LearningRateDecayStart); // images keep the rate constant unless asked
        var horizontal = gan.Generate(200, seed: 2, label: "horizontal");
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 1, 8, 8), horizontal.Schema["Features"].Type);
        double h = Synthetic.Column(horizontal, "Features").Average(Orientation);
        double v = Synthetic.Column(gan.Generate(200, seed: 2, label: "vertical"), "Features").Average(Orientation);
        Assert.True(h > 0.02 && v < -0.02, $"mean orientation: 'horizontal' {h:F3}, 'vertical' {v:F3}");
    }
}
