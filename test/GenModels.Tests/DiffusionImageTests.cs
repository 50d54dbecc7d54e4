using GenModels.MLNet;
using GenModels.MLNet.Diffusion;
using GenModels.Torch.Diffusion;
using GenModels.Torch.Networks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GenModels.Tests;

/// <summary>The diffusion model on image columns: the U-Net denoiser, chosen for C×H×W columns, per class.</summary>
public class DiffusionImageTests(ITestOutputHelper output)
{
    public const int Side = 8;

    public sealed class BarImage
    {
        [VectorType(1, Side, Side)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    public sealed class FlatRow
    {
        [VectorType(Side * Side)] public float[] Features { get; set; } = [];
    }

    /// <summary>8×8 images of a bright two-pixel-wide bar at a random offset: horizontal for "rows", vertical for "columns".</summary>
    public static BarImage[] Bars(int count, int seed)
    {
        var rnd = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            bool horizontal = i % 2 == 0;
            int offset = rnd.Next(1, Side - 2);
            var pixels = new float[Side * Side];
            for (int y = 0; y < Side; y++)
                for (int x = 0; x < Side; x++)
                {
                    int along = horizontal ? y : x;
                    pixels[y * Side + x] = (along == offset || along == offset + 1 ? 0.9f : 0.1f) + 0.03f * (float)Synthetic.Gaussian(rnd);
                }
            return new BarImage { Features = pixels, Label = horizontal ? "rows" : "columns" };
        }).ToArray();
    }

    /// <summary>How strongly an image's brightness varies between rows rather than between columns (positive: a horizontal bar).</summary>
    public static double Horizontality(float[] image)
    {
        double Spread(Func<int, int, float> at) => Enumerable.Range(0, Side).Select(a => Enumerable.Range(0, Side).Average(b => at(a, b))).ToArray() is var means
            ? means.Max() - means.Min() : 0;
        return Spread((y, x) => image[y * Side + x]) - Spread((x, y) => image[y * Side + x]);
    }

    private static DiffusionEstimator.Options Options(int epochs = 40) => new()
    {
        LabelColumnName = "Label", UNetChannels = 8, EmbeddingDimension = 32, Epochs = epochs, BatchSize = 32, Seed = 1, SamplingSteps = 20,
    };

    [Fact]
    public void TheUNetTakesAndGivesFlatRowsOfTheImageShape()
    {
        foreach (var shape in new[] { new[] { 1, 8, 8 }, new[] { 3, 12, 16 } })
        {
            var options = new DiffusionOptions { DataDimension = shape.Aggregate(1, (a, d) => a * d), ImageShape = shape, UNetChannels = 8, EmbeddingDimension = 16, ClassCount = 2 };
            using var denoiser = new Denoiser("d", options);
            using var x = randn(5, options.DataDimension);
            using var t = tensor(new long[] { 0, 10, 100, 500, 999 });
            using var classes = tensor(new long[] { 0, 1, 2, 0, 1 }); // 2 is the "no class" token
            using var prediction = denoiser.Predict(x, t, classes);
            Assert.Equal(new long[] { 5, options.DataDimension }, prediction.shape);
        }
        var bad = new DiffusionOptions { DataDimension = 100, ImageShape = [1, 10, 10] };
        var error = Assert.Throws<ArgumentOutOfRangeException>(bad.Validate);
        Assert.Equal("ImageShape", error.ParamName);
    }

    [Fact]
    public void TheUNetsGroupNormsStartAsTheIdentityScaleAndShift()
    {
        // TorchSharp 0.107's GroupNorm leaves its affine parameters uninitialised (they gave NaN from the first batch).
        for (int i = 0; i < 5; i++)
        {
            using var unet = new DiffusionUNet("u", new DiffusionOptions { DataDimension = 64, ImageShape = [1, 8, 8], UNetChannels = 8 });
            var norms = unet.named_parameters().Where(p => p.name.Contains("norm")).ToArray();
            Assert.NotEmpty(norms);
            Assert.All(norms, p => Assert.True(p.parameter.eq(p.name.EndsWith("weight") ? 1 : 0).all().item<bool>(), p.name));
        }
    }

    [Fact]
    public void AConditionalUNetModelDrawsImagesOfTheRequestedClassAndReloadsIdentically()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Bars(400, seed: 2));
        using var model = ml.Generative().Diffusion(Options()).Fit(train);
        Assert.Equal([1, Side, Side], model.Model.Options.ImageShape!);
        var type = (VectorDataViewType)model.Generate(1, seed: 1).Schema["Features"].Type;
        Assert.Equal([1, Side, Side], type.Dimensions.ToArray());

        foreach (var (label, sign) in new[] { ("rows", 1), ("columns", -1) })
        {
            var images = Synthetic.Column(model.Generate(40, seed: 3, label: label), "Features");
            double right = images.Count(image => sign * Horizontality(image) > 0.3) / (double)images.Length;
            output.WriteLine($"{label}: {right:P0} of the samples show a clear bar of that direction");
            Assert.True(right >= 0.85, $"{label}: only {right:P0} of the generated images show a bar of the requested direction");
        }

        var path = Path.Combine(Path.GetTempPath(), $"diffusion-unet-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, train.Schema, path);
            using var loaded = (DiffusionTransformer)ml.Model.Load(path, out _);
            Assert.Equal(Synthetic.Column(model.Generate(6, seed: 4, label: "rows"), "Features"),
                Synthetic.Column(loaded.Generate(6, seed: 4, label: "rows"), "Features"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AUNetOnAColumnThatIsNotAnImageIsRejectedNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var flat = ml.Data.LoadFromEnumerable(Bars(20, seed: 2).Select(b => new FlatRow { Features = b.Features }));
        var options = new DiffusionEstimator.Options { Architecture = NetworkArchitecture.Convolutional, Epochs = 1 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Generative().Diffusion(options).Fit(flat));
        Assert.Contains("'Features'", error.Message);
        Assert.Contains("Architecture = Mlp", error.Message);

        // Without a request the flat column gets the MLP denoiser.
        using var mlp = ml.Generative().Diffusion(new DiffusionEstimator.Options { Epochs = 1, HiddenSizes = [16] }).Fit(flat);
        Assert.Null(mlp.Model.Options.ImageShape);
    }
}
