using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.Diffusion;
using GenModels.Torch.Diffusion;
using GenModels.Torch.Gan;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>The diffusion model as an ML.NET data source, on the three-mode mixture the GAN tests use.</summary>
public class DiffusionTests(ITestOutputHelper output)
{
    private static DiffusionEstimator.Options Options(string? label = "Label", int epochs = 300, int seed = 1) => new()
    {
        LabelColumnName = label, HiddenSizes = [128, 128], EmbeddingDimension = 32, Epochs = epochs, BatchSize = 128, Seed = seed,
    };

    private static float[][] Rows(IDataView data) => Synthetic.Column(data, "Features");

    /// <summary>Share of rows within 4σ of mode <paramref name="mode"/>.</summary>
    private static double ShareNear(float[][] rows, int mode) =>
        rows.Count(r => Math.Sqrt(Math.Pow(r[0] - GanTests.ThreeModes[mode].X, 2) + Math.Pow(r[1] - GanTests.ThreeModes[mode].Y, 2)) < 4 * GanTests.Sigma) / (double)rows.Length;

    [Fact]
    public void UnconditionalModelCoversEveryModeWithSharpSamples()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(GanTests.Points(1500, seed: 3));
        using var model = ml.Generative().Diffusion(Options(label: null)).Fit(train);
        var rows = Rows(model.Generate(600, seed: 5));
        var shares = Enumerable.Range(0, 3).Select(m => ShareNear(rows, m)).ToArray();
        output.WriteLine($"shares near each mode: {string.Join(", ", shares.Select(s => s.ToString("F3")))}; total {shares.Sum():F3}");
        Assert.All(shares, s => Assert.True(s > 0.2, $"a mode is missed: {string.Join(", ", shares)}"));
        Assert.True(shares.Sum() > 0.85, $"only {shares.Sum():P0} of the samples lie within 4σ of a mode");
    }

    [Fact]
    public void ConditionalModelWithGuidanceDrawsTheRequestedClass()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(GanTests.Points(1500, seed: 4));
        using var model = ml.Generative().Diffusion(Options()).Fit(train);
        for (int mode = 0; mode < 3; mode++)
        {
            var plain = ShareNear(Rows(model.Generate(200, seed: 6, label: GanTests.ClassNames[mode])), mode);
            var guided = ShareNear(Rows(model.Generate(200, seed: 6, label: GanTests.ClassNames[mode], new SamplingOptions { Steps = 50, GuidanceScale = 3 })), mode);
            output.WriteLine($"{GanTests.ClassNames[mode]}: {plain:P0} plain, {guided:P0} with guidance 3");
            Assert.True(plain > 0.85, $"{GanTests.ClassNames[mode]}: {plain:P0}");
            Assert.True(guided > 0.85, $"{GanTests.ClassNames[mode]} guided: {guided:P0}");
        }
        // Every class in turn when no label is asked, with the label column in the class's type.
        var mixed = model.Generate(9, seed: 1);
        Assert.Equal(GanTests.ClassNames.Concat(GanTests.ClassNames).Concat(GanTests.ClassNames),
            mixed.GetColumn<ReadOnlyMemory<char>>("Label").Select(l => l.ToString()));
    }

    [Fact]
    public void DdimWithEtaZeroIsDeterministicAndInterpolatesBetweenNoisePoints()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(GanTests.Points(300, seed: 7));
        using var model = ml.Generative().Diffusion(Options(epochs: 5)).Fit(train);
        Assert.Equal(Rows(model.Generate(20, seed: 3)), Rows(model.Generate(20, seed: 3)));
        Assert.NotEqual(Rows(model.Generate(20, seed: 3)), Rows(model.Generate(20, seed: 4)));
        var ddpm = new SamplingOptions { Ancestral = true };
        Assert.Equal(Rows(model.Generate(10, seed: 3, sampling: ddpm)), Rows(model.Generate(10, seed: 3, sampling: ddpm)));

        var from = model.SampleNoise(1);
        var to = model.SampleNoise(2);
        var path = model.Interpolate(from, to, 5, InterpolationKind.Spherical, label: "left");
        var endpoints = Rows(model.Transform(ml.Data.LoadFromEnumerable(new[]
        {
            new NoiseRow { Label = "left", Noise = from }, new NoiseRow { Label = "left", Noise = to },
        })));
        // The path is one batch of 5 rows, the endpoints a batch of 2: libtorch may round the last bits differently.
        for (int j = 0; j < 2; j++)
        {
            Assert.Equal(endpoints[0][j], path[0][j], 1e-4f);
            Assert.Equal(endpoints[1][j], path[4][j], 1e-4f);
        }
    }

    public sealed class NoiseRow
    {
        public string Label { get; set; } = "";
        [VectorType(2)] public float[] Noise { get; set; } = [];
    }

    [Fact]
    public void SavedModelGeneratesTheSameRowsInAnotherProcess()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(GanTests.Points(300, seed: 8));
        using var model = ml.Generative().Diffusion(Options(epochs: 3)).Fit(train);
        var folder = Directory.CreateTempSubdirectory("genmodels-diffusion-").FullName;
        try
        {
            var path = Path.Combine(folder, "diffusion.zip");
            ml.Model.Save(model, train.Schema, path);
            var requests = Enumerable.Range(0, 30).Select(i => new NoiseRow { Label = GanTests.ClassNames[i % 3], Noise = model.SampleNoise(100 + i) }).ToArray();
            var csv = Path.Combine(folder, "requests.csv");
            File.WriteAllLines(csv, requests.Select(r => r.Label + "," + string.Join(",", r.Noise.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
            var expected = Rows(model.Transform(ml.Data.LoadFromEnumerable(requests)))
                .Select(v => string.Join(" ", v.Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8"))));
            LoadProbe.Run(path, csv, 2, "Features", Path.Combine(folder, "out.txt"), "Noise", "Label");
            Assert.Equal(expected, File.ReadAllLines(Path.Combine(folder, "out.txt")));

            var loaded = (DiffusionTransformer)ml.Model.Load(path, out _);
            Assert.Equal(Rows(model.Generate(12, seed: 9, label: "top")), Rows(loaded.Generate(12, seed: 9, label: "top")));
            Assert.Equal(model.ClassNames, loaded.ClassNames);
            Assert.Equal(model.Sampling.Steps, loaded.Sampling.Steps);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void GenerationReportsProgressAndCanBeCancelled()
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.Generative().Diffusion(Options(label: null, epochs: 1)).Fit(ml.Data.LoadFromEnumerable(GanTests.Points(100, seed: 9)));
        var reports = new List<(int Done, int Total)>();
        var rows = Rows(model.Generate(10, seed: 1, sampling: new SamplingOptions { Steps = 20, Progress = new SyncProgress(reports.Add) }));
        Assert.Equal(10, rows.Length);
        Assert.Equal((20, 20), reports[^1]);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Rows(model.Generate(10, seed: 1, sampling: new SamplingOptions { CancellationToken = cancel.Token })));
    }

    private sealed class SyncProgress(Action<(int, int)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }

    public sealed class NumericLabelRow
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    [Theory]
    [InlineData("steps0", "Steps")]
    [InlineData("stepsTooMany", "Steps")]
    [InlineData("eta", "Eta")]
    [InlineData("guidance", "GuidanceScale")]
    [InlineData("ancestralFewSteps", "Steps")]
    public void BadSamplerSettingsAreRejectedNamingTheSetting(string setting, string parameter)
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.Generative().Diffusion(Options(epochs: 1)).Fit(ml.Data.LoadFromEnumerable(GanTests.Points(60, seed: 10)));
        var sampling = setting switch
        {
            "steps0" => new SamplingOptions { Steps = 0 },
            "stepsTooMany" => new SamplingOptions { Steps = 1001 },
            "eta" => new SamplingOptions { Eta = 1.5 },
            "guidance" => new SamplingOptions { GuidanceScale = -1 },
            _ => new SamplingOptions { Ancestral = true, Steps = 50 },
        };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Generate(5, sampling: sampling));
        Assert.Equal(parameter, error.ParamName);
        var options = Options(epochs: 1);
        options.SamplingSteps = 2000;
        Assert.Equal("Steps", Assert.Throws<ArgumentOutOfRangeException>(() => ml.Generative().Diffusion(options)).ParamName);
    }

    [Fact]
    public void BadRequestsAndBadTrainingDataGiveClearErrors()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(GanTests.Points(60, seed: 11));
        using var model = ml.Generative().Diffusion(Options(epochs: 1)).Fit(train);
        Assert.Contains("'middle'", Assert.Throws<ArgumentException>(() => model.Generate(5, label: "middle")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Generate(-1));

        var nan = GanTests.Points(20, seed: 12);
        nan[3].Features[1] = float.NaN;
        Assert.Contains("row 3", Assert.Throws<InvalidOperationException>(() => ml.Generative().Diffusion(Options(epochs: 1)).Fit(ml.Data.LoadFromEnumerable(nan))).Message);
        var single = GanTests.Points(20, seed: 13).Select(p => { p.Label = "left"; return p; });
        Assert.Contains("single class", Assert.Throws<InvalidOperationException>(() => ml.Generative().Diffusion(Options(epochs: 1)).Fit(ml.Data.LoadFromEnumerable(single))).Message);
        var numeric = ml.Data.LoadFromEnumerable(new[] { new NumericLabelRow { Features = [0, 0], Label = 1 } });
        Assert.Contains("'Label'", Assert.ThrowsAny<ArgumentException>(() => ml.Generative().Diffusion(Options(epochs: 1)).Fit(numeric)).Message);
    }
}
