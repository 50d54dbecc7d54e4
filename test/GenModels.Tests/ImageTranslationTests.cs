using GenModels.MLNet;
using GenModels.MLNet.Translation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>Small synthetic image pairs with a known, deterministic map between input and target.</summary>
public static class SyntheticImages
{
    public const int Size = 16;

    /// <summary>A colour image: a random background and two rectangles of random colours, as 3×H×W floats in [0, 1].</summary>
    public static float[] Blocks(Random rnd)
    {
        int plane = Size * Size;
        var image = new float[3 * plane];
        var background = Enumerable.Range(0, 3).Select(_ => (float)rnd.NextDouble()).ToArray();
        for (int c = 0; c < 3; c++) Array.Fill(image, background[c], c * plane, plane);
        for (int k = 0; k < 2; k++)
        {
            int x0 = rnd.Next(Size - 4), y0 = rnd.Next(Size - 4), w = 3 + rnd.Next(Size - x0 - 3), h = 3 + rnd.Next(Size - y0 - 3);
            var colour = Enumerable.Range(0, 3).Select(_ => (float)rnd.NextDouble()).ToArray();
            for (int c = 0; c < 3; c++)
                for (int y = y0; y < y0 + h; y++)
                    for (int x = x0; x < x0 + w; x++) image[c * plane + y * Size + x] = colour[c];
        }
        // Quantise to bytes so that an MLImage holds exactly these values.
        for (int i = 0; i < image.Length; i++) image[i] = MathF.Round(image[i] * 255) / 255;
        return image;
    }

    /// <summary>The colour inversion 1 − x of every value.</summary>
    public static float[] Invert(float[] image) => image.Select(v => 1 - v).ToArray();

    /// <summary>An Rgba32 image of 3×H×W floats in [0, 1].</summary>
    public static MLImage ToImage(float[] values)
    {
        int plane = Size * Size;
        var rgba = new byte[4 * plane];
        for (int i = 0; i < plane; i++)
        {
            for (int c = 0; c < 3; c++) rgba[4 * i + c] = (byte)MathF.Round(values[c * plane + i] * 255);
            rgba[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(Size, Size, MLPixelFormat.Rgba32, rgba);
    }

    /// <summary>The pixels of <paramref name="image"/> as 3×H×W floats, read byte by byte from either pixel order.</summary>
    public static float[] FromImage(MLImage image)
    {
        var pixels = image.Pixels;
        int plane = image.Width * image.Height;
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        var values = new float[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            values[i] = pixels[4 * i + (bgra ? 2 : 0)] / 255f;
            values[plane + i] = pixels[4 * i + 1] / 255f;
            values[2 * plane + i] = pixels[4 * i + (bgra ? 0 : 2)] / 255f;
        }
        return values;
    }

    public static double MeanAbsoluteDifference(IEnumerable<float[]> a, IEnumerable<float[]> b) =>
        a.Zip(b).SelectMany(p => p.First.Zip(p.Second, (x, y) => (double)Math.Abs(x - y))).Average();
}

/// <summary>One pix2pix model trained on image pairs (colour inversion), shared by the tests that only read it.</summary>
public sealed class InversionModelFixture : IDisposable
{
    public const int TrainRows = 256;
    public MLContext ML { get; } = new(seed: 1);
    public ImageTranslationTransformer Model { get; }
    public (float[] Input, float[] Target)[] HeldOut { get; }
    public IDataView HeldOutData { get; }

    public InversionModelFixture()
    {
        var rnd = new Random(1);
        var train = Enumerable.Range(0, TrainRows).Select(_ => SyntheticImages.Blocks(rnd)).ToArray();
        HeldOut = Enumerable.Range(0, 64).Select(_ => SyntheticImages.Blocks(rnd)).Select(x => (x, SyntheticImages.Invert(x))).ToArray();
        Model = ML.Generative().ImageTranslation(new ImageTranslationEstimator.Options
        {
            InputColumnName = "Input", TargetColumnName = "Target", OutputColumnName = "Output",
            // Small networks and a higher learning rate than pix2pix's 2e-4 keep the test short (about 15 s on one thread).
            Channels = 16, DiscriminatorChannels = 16, Dropout = 0, Epochs = 60, BatchSize = 16, LearningRate = 1e-3, Seed = 1, NumberOfThreads = 1,
        }).Fit(ImageTranslationTests.Images(ML, train.Select(x => (x, SyntheticImages.Invert(x)))));
        HeldOutData = ImageTranslationTests.Images(ML, HeldOut);
    }

    public void Dispose() => Model.Dispose();
}

public class ImageTranslationTests(InversionModelFixture fixture, ITestOutputHelper output) : IClassFixture<InversionModelFixture>
{
    private const int Size = SyntheticImages.Size;

    public sealed class ImagePair
    {
        [ImageType(Size, Size)] public MLImage Input { get; set; } = null!;
        [ImageType(Size, Size)] public MLImage Target { get; set; } = null!;
    }

    public sealed class ImageInputRow
    {
        [ImageType(Size, Size)] public MLImage Input { get; set; } = null!;
    }

    public sealed class TranslatedRow
    {
        [ImageType(Size, Size)] public MLImage Output { get; set; } = null!;
    }

    public sealed class GreyToColourRow
    {
        [VectorType(1, Size, Size)] public float[] Input { get; set; } = [];
        [ImageType(Size, Size)] public MLImage Target { get; set; } = null!;
    }

    public sealed class VectorPair
    {
        [VectorType(3, Size, Size)] public float[] Input { get; set; } = [];
        [VectorType(3, Size, Size)] public float[] Target { get; set; } = [];
    }

    internal static IDataView Images(MLContext ml, IEnumerable<(float[] Input, float[] Target)> pairs) =>
        ml.Data.LoadFromEnumerable(pairs.Select(p => new ImagePair { Input = SyntheticImages.ToImage(p.Input), Target = SyntheticImages.ToImage(p.Target) }).ToArray());

    private float[][] Translate(IDataView data) =>
        fixture.Model.Transform(data).GetColumn<MLImage>("Output").Select(SyntheticImages.FromImage).ToArray();

    [Fact]
    public void LearnsColourInversionToLowL1OnHeldOutImages()
    {
        var translated = Translate(fixture.HeldOutData);
        double l1 = SyntheticImages.MeanAbsoluteDifference(translated, fixture.HeldOut.Select(p => p.Target));
        double identity = SyntheticImages.MeanAbsoluteDifference(fixture.HeldOut.Select(p => p.Input), fixture.HeldOut.Select(p => p.Target));
        var last = fixture.Model.Training!.History[^1].Losses;
        output.WriteLine($"held-out L1 {l1:F4} (identity {identity:F4}); last epoch {string.Join(", ", last.Select(l => $"{l.Key} {l.Value:F4}"))}; {fixture.Model.Training.Elapsed.TotalSeconds:F0} s");
        Assert.True(l1 < 0.07, $"held-out L1 {l1:F4} is not low");
        Assert.True(l1 < identity / 6, $"held-out L1 {l1:F4} is not clearly better than the identity's {identity:F4}");
        Assert.Equal(["l1", "g_adversarial", "d_loss"], last.Keys);
    }

    [Fact]
    public void OutputIsAnImageColumnOfTheTargetSizeWithEachPixelWhereItBelongs()
    {
        var transformed = fixture.Model.Transform(fixture.HeldOutData);
        var type = Assert.IsType<ImageDataViewType>(transformed.Schema["Output"].Type);
        Assert.Equal((Size, Size), (type.Height, type.Width));
        Assert.True(fixture.Model.OutputIsImage);
        Assert.Equal([3, Size, Size], fixture.Model.OutputShape);
        // An image target and a vector target of the same values train the same network: each output pixel's red, green
        // and blue bytes are the vector output's values at (0, y, x), (1, y, x) and (2, y, x), scaled to 0–255.
        var ml = new MLContext(seed: 4);
        var rnd = new Random(4);
        var pairs = Enumerable.Range(0, 16).Select(_ => SyntheticImages.Blocks(rnd)).Select(x => (x, SyntheticImages.Invert(x))).ToArray();
        var images = Images(ml, pairs);
        var vectors = ml.Data.LoadFromEnumerable(pairs.Select(p => new VectorPair { Input = p.Item1, Target = p.Item2 }).ToArray());
        ImageTranslationEstimator.Options Options() => new() { Channels = 8, DiscriminatorChannels = 8, Epochs = 1, BatchSize = 8, Seed = 5, NumberOfThreads = 1 };
        using var imageModel = ml.Generative().ImageTranslation(Options()).Fit(images);
        using var vectorModel = ml.Generative().ImageTranslation(Options()).Fit(vectors);
        var fromImages = imageModel.Transform(images).GetColumn<MLImage>("Output").Select(i => i.Pixels.ToArray()).ToArray();
        var fromVectors = Synthetic.Column(vectorModel.Transform(vectors), "Output");
        for (int n = 0; n < pairs.Length; n++)
        {
            var expected = new byte[4 * Size * Size];
            for (int i = 0; i < Size * Size; i++)
            {
                for (int c = 0; c < 3; c++) expected[4 * i + c] = (byte)Math.Clamp(MathF.Round(fromVectors[n][c * Size * Size + i] * 255), 0, 255);
                expected[4 * i + 3] = 255;
            }
            Assert.Equal(expected, fromImages[n]); // Rgba32, row by row
        }

        // The schema shape the estimator promises is the one the transformer gives.
        var estimator = fixture.ML.Generative().ImageTranslation("Output", "Input", "Target");
        var shape = estimator.GetOutputSchema(BadInputTests.Shape(fixture.HeldOutData.Schema));
        Assert.Equal(type, shape.Single(c => c.Name == "Output").ItemType);
    }

    [Fact]
    public void PredictionEngineTranslatesAnImageRowLikeTheBatch()
    {
        var batch = fixture.Model.Transform(fixture.HeldOutData).GetColumn<MLImage>("Output").Take(5).Select(i => i.Pixels.ToArray()).ToArray();
        using var engine = fixture.ML.Model.CreatePredictionEngine<ImageInputRow, TranslatedRow>(fixture.Model);
        for (int i = 0; i < 5; i++)
        {
            var single = engine.Predict(new ImageInputRow { Input = SyntheticImages.ToImage(fixture.HeldOut[i].Input) }).Output;
            Assert.Equal((Size, Size), (single.Width, single.Height));
            // One row per call may round the last bit differently from a batch (see README): at most one level of 255.
            var pixels = single.Pixels.ToArray();
            Assert.Equal(batch[i].Length, pixels.Length);
            Assert.True(pixels.Zip(batch[i]).All(p => Math.Abs(p.First - p.Second) <= 1), $"row {i} differs from the batch");
        }
        // The model keeps working after the engine is disposed.
        Assert.Equal(64, Translate(fixture.HeldOutData).Length);
    }

    [Fact]
    public void SavedImageModelLoadsWithTheSameImages()
    {
        var path = Path.Combine(Path.GetTempPath(), $"genmodels-translation-{Guid.NewGuid():N}.zip");
        try
        {
            fixture.ML.Model.Save(fixture.Model, null, path); // an image-only schema has no columns ML.NET can save beside the model
            using var loaded = (ImageTranslationTransformer)fixture.ML.Model.Load(path, out _);
            Assert.Null(loaded.Training);
            Assert.Equal(fixture.Model.OutputShape, loaded.OutputShape);
            var before = fixture.Model.Transform(fixture.HeldOutData).GetColumn<MLImage>("Output").Select(i => Convert.ToHexString(i.Pixels)).ToArray();
            var after = loaded.Transform(fixture.HeldOutData).GetColumn<MLImage>("Output").Select(i => Convert.ToHexString(i.Pixels)).ToArray();
            Assert.Equal(before, after);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void GreyVectorsToColourImagesSaveAndLoadInAnotherProcessWithIdenticalImages()
    {
        // Input: 1×16×16 grey vectors; target: colour images (channels differ); output: an image column.
        var ml = new MLContext(seed: 2);
        var rnd = new Random(2);
        var grey = Enumerable.Range(0, 48).Select(_ => SyntheticImages.Blocks(rnd)[..(Size * Size)]).ToArray();
        var rows = grey.Select(g => new GreyToColourRow
        {
            Input = g,
            Target = SyntheticImages.ToImage([.. g.Select(v => 1 - v), .. g, .. g.Select(v => v / 2)]),
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.Generative().ImageTranslation(new ImageTranslationEstimator.Options
        {
            Channels = 8, DiscriminatorChannels = 8, Epochs = 2, BatchSize = 16, Seed = 3, NumberOfThreads = 1, TransformBatchSize = 20,
        }).Fit(data);
        Assert.Equal([1, Size, Size], model.InputShape);
        Assert.Equal([3, Size, Size], model.OutputShape);

        var folder = Directory.CreateTempSubdirectory("genmodels-translation-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "translation.zip");
            ml.Model.Save(model, null, modelPath);
            var csv = Path.Combine(folder, "input.csv");
            File.WriteAllLines(csv, grey.Select(g => string.Join(",", g.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
            var resultPath = Path.Combine(folder, "output.txt");
            // The probe reads the CSV as flat vectors of 256 values and writes each output image's pixel bytes.
            var stdout = LoadProbe.Run(modelPath, csv, Size * Size, "Output", resultPath, "Input");
            Assert.Contains("GenModels assembly loaded by ML.NET: True", stdout);
            var expected = model.Transform(data).GetColumn<MLImage>("Output").Select(i => Convert.ToHexString(i.Pixels) + " " + i.PixelFormat).ToArray();
            Assert.Equal(expected, File.ReadAllLines(resultPath));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void VectorTargetsGiveAVectorColumnWithTheTargetsDimensions()
    {
        var ml = new MLContext(seed: 3);
        var rnd = new Random(3);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 32).Select(_ => SyntheticImages.Blocks(rnd))
            .Select(x => new VectorPair { Input = x, Target = SyntheticImages.Invert(x) }).ToArray());
        using var model = ml.Generative().ImageTranslation(new ImageTranslationEstimator.Options
        {
            Channels = 8, Adversarial = false, Epochs = 1, BatchSize = 16, Seed = 1, NumberOfThreads = 1,
        }).Fit(data);
        var type = Assert.IsType<VectorDataViewType>(model.Transform(data).Schema["Output"].Type);
        Assert.Equal([3, Size, Size], type.Dimensions.ToArray());
        Assert.False(model.OutputIsImage);
        Assert.Equal(["l1"], model.Training!.History[^1].Losses.Keys); // L1 only: no adversarial losses
        Assert.All(Synthetic.Column(model.Transform(data), "Output"), v => Assert.All(v, x => Assert.InRange(x, 0f, 1f)));
    }

    private sealed class TextColumnRow
    {
        public string Input { get; set; } = "";
        [ImageType(Size, Size)] public MLImage Target { get; set; } = null!;
    }

    private sealed class SmallTargetRow
    {
        [ImageType(Size, Size)] public MLImage Input { get; set; } = null!;
        [ImageType(8, 8)] public MLImage Target { get; set; } = null!;
    }

    private sealed class FlatVectorRow
    {
        [VectorType(3 * Size * Size)] public float[] Input { get; set; } = [];
        [ImageType(Size, Size)] public MLImage Target { get; set; } = null!;
    }

    private sealed class PathRow
    {
        public string Path { get; set; } = "";
        [ImageType(Size, Size)] public MLImage Target { get; set; } = null!;
    }

    public static TheoryData<string> BadSchemas => new() { "missing input", "missing target", "text input", "flat vector input", "unsized image", "sizes differ" };

    [Theory]
    [MemberData(nameof(BadSchemas))]
    public void BadInputsAreRejectedNamingTheColumnAtFitAndAtGetOutputSchema(string problem)
    {
        var ml = new MLContext(seed: 1);
        var image = SyntheticImages.ToImage(SyntheticImages.Blocks(new Random(1)));
        var (data, column, expected) = problem switch
        {
            "missing input" => (ml.Data.LoadFromEnumerable(new[] { new ImagePair { Input = image, Target = image } }), "Sketch", "was not found"),
            "missing target" => (ml.Data.LoadFromEnumerable(new[] { new ImagePair { Input = image, Target = image } }), "Photo", "was not found"),
            "text input" => (ml.Data.LoadFromEnumerable(new[] { new TextColumnRow { Input = "a", Target = image } }), "Input", "String"),
            "flat vector input" => (ml.Data.LoadFromEnumerable(new[] { new FlatVectorRow { Input = new float[3 * Size * Size], Target = image } }), "Input", "C, H, W"),
            "unsized image" => (UnsizedImages(ml, image), "Input", "ResizeImages"),
            "sizes differ" => (ml.Data.LoadFromEnumerable(new[] { new SmallTargetRow { Input = image, Target = MLImage.CreateFromPixels(8, 8, MLPixelFormat.Rgba32, new byte[256]) } }), "Target", "8×8"),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
        var estimator = ml.Generative().ImageTranslation("Output", problem == "missing input" ? "Sketch" : "Input", problem == "missing target" ? "Photo" : "Target");
        var fit = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        Assert.Contains($"'{column}'", fit.Message);
        Assert.Contains(expected, fit.Message);
        if (problem == "flat vector input") return; // a schema shape has no vector dimensions: only Fit can tell
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(BadInputTests.Shape(data.Schema)));
        Assert.Contains($"'{column}'", shape.Message);
    }

    private sealed class OddSizeRow
    {
        [VectorType(1, 15, 15)] public float[] Input { get; set; } = [];
        [VectorType(1, 15, 15)] public float[] Target { get; set; } = [];
    }

    [Fact]
    public void ImagesTheUNetCannotHalveAreRejectedBeforeTrainingNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new OddSizeRow { Input = new float[225], Target = new float[225] } });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Generative().ImageTranslation("Output", "Input", "Target").Fit(data));
        Assert.Contains("'Input'", error.Message);
        Assert.Contains("15×15", error.Message);
        Assert.Contains("even", error.Message);
    }

    [Fact]
    public void TransformRejectsInputsOfAnotherSizeNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var small = ml.Data.LoadFromEnumerable(new[] { new SmallTargetRow { Input = MLImage.CreateFromPixels(8, 8, MLPixelFormat.Rgba32, new byte[256]), Target = MLImage.CreateFromPixels(8, 8, MLPixelFormat.Rgba32, new byte[256]) } });
        var renamed = ml.Transforms.CopyColumns("Input", "Target").Fit(small).Transform(small); // Input now an 8×8 image
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Model.Transform(renamed));
        Assert.Contains("'Input'", error.Message);
        Assert.Contains("3×16×16", error.Message);
    }

    private static IDataView UnsizedImages(MLContext ml, MLImage target)
    {
        var folder = Directory.CreateTempSubdirectory("genmodels-translation-images-").FullName;
        SyntheticImages.ToImage(SyntheticImages.Blocks(new Random(2))).Save(Path.Combine(folder, "a.png"));
        var rows = ml.Data.LoadFromEnumerable(new[] { new PathRow { Path = "a.png", Target = target } });
        return ml.Transforms.LoadImages("Input", folder, "Path").Fit(rows).Transform(rows);
    }
}
