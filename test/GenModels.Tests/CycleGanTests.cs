using GenModels.MLNet;
using GenModels.MLNet.CycleGan;
using GenModels.Torch.CycleGan;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>
/// Two small unpaired image domains with a known invertible map between them: A holds dark 1×16×16 images with bright
/// rectangles, B the colour-inverted images of a disjoint set (bright background, dark rectangles). No B image is the
/// inverse of an A image the model trains on.
/// </summary>
public static class UnpairedDomains
{
    public const int Size = 16;
    public const int Pixels = Size * Size;

    /// <summary>A dark background (0 to 0.2) with two rectangles of bright grey (0.7 to 1).</summary>
    public static float[] Dark(Random rnd)
    {
        var image = new float[Pixels];
        Array.Fill(image, 0.2f * (float)rnd.NextDouble());
        for (int k = 0; k < 2; k++)
        {
            int x0 = rnd.Next(Size - 4), y0 = rnd.Next(Size - 4), w = 3 + rnd.Next(Size - x0 - 3), h = 3 + rnd.Next(Size - y0 - 3);
            float value = 0.7f + 0.3f * (float)rnd.NextDouble();
            for (int y = y0; y < y0 + h; y++)
                for (int x = x0; x < x0 + w; x++) image[y * Size + x] = value;
        }
        return image;
    }

    /// <summary>The map from A to B: 1 − x (its own inverse).</summary>
    public static float[] Invert(float[] image) => image.Select(v => 1 - v).ToArray();

    public static double L1(IEnumerable<float[]> a, IEnumerable<float[]> b) =>
        a.Zip(b).SelectMany(p => p.First.Zip(p.Second, (x, y) => (double)Math.Abs(x - y))).Average();
}

/// <summary>One CycleGAN trained on the unpaired inversion domains, shared by the tests that only read it.</summary>
public sealed class CycleGanFixture : IDisposable
{
    public const int TrainRows = 256;
    public MLContext ML { get; } = new(seed: 1);
    public CycleGanTransformer AToB { get; }
    public CycleGanTransformer BToA { get; }
    public List<GenModels.Torch.Training.TrainingProgress> Reports { get; } = [];
    public float[][] HeldOutA { get; }
    public float[][] HeldOutB { get; }

    public CycleGanFixture()
    {
        var rnd = new Random(1);
        var a = Enumerable.Range(0, TrainRows).Select(_ => UnpairedDomains.Dark(rnd)).ToArray();
        var b = Enumerable.Range(0, TrainRows).Select(_ => UnpairedDomains.Invert(UnpairedDomains.Dark(rnd))).ToArray(); // a disjoint draw
        HeldOutA = Enumerable.Range(0, 64).Select(_ => UnpairedDomains.Dark(rnd)).ToArray();
        HeldOutB = Enumerable.Range(0, 64).Select(_ => UnpairedDomains.Invert(UnpairedDomains.Dark(rnd))).ToArray();
        AToB = ML.Generative().CycleGan(CycleGanTests.SmallOptions(epochs: 25, progress: new SyncProgress(Reports.Add)))
            .Fit(CycleGanTests.Vectors(ML, a), CycleGanTests.Vectors(ML, b));
        BToA = AToB.Reverse();
    }

    public void Dispose()
    {
        AToB.Dispose();
        BToA.Dispose();
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post them to the thread pool).</summary>
    public sealed class SyncProgress(Action<GenModels.Torch.Training.TrainingProgress> report) : IProgress<GenModels.Torch.Training.TrainingProgress>
    {
        public void Report(GenModels.Torch.Training.TrainingProgress value) => report(value);
    }
}

public class CycleGanTests(CycleGanFixture fixture, ITestOutputHelper output) : IClassFixture<CycleGanFixture>
{
    private const int Size = UnpairedDomains.Size;

    public sealed class VectorRow
    {
        [VectorType(1, Size, Size)] public float[] Input { get; set; } = [];
    }

    public sealed class DomainRow
    {
        [VectorType(1, Size, Size)] public float[] Input { get; set; } = [];
        public bool IsDomainB { get; set; }
    }

    /// <summary>
    /// Small networks at full resolution (no down-sampling: the map is pixel-wise), a higher learning rate than CycleGAN's
    /// 2e-4 and one thread keep the tests short (the fixture's 400 steps take about 20 s of CPU). The identity term is off:
    /// it asks G_AB to leave bright-background images alone, which on this inversion held the generators at half an
    /// inversion after 400 steps (L1 0.41 to the true map, against 0.09 without it).
    /// </summary>
    internal static CycleGanEstimator.Options SmallOptions(int epochs, IProgress<GenModels.Torch.Training.TrainingProgress>? progress = null) => new()
    {
        Channels = 8, Downsamplings = 0, ResidualBlocks = 2, DiscriminatorChannels = 8, IdentityWeight = 0,
        Epochs = epochs, BatchSize = 16, LearningRate = 2e-3, Seed = 1, NumberOfThreads = 1, Progress = progress,
    };

    internal static IDataView Vectors(MLContext ml, IEnumerable<float[]> images) =>
        ml.Data.LoadFromEnumerable(images.Select(i => new VectorRow { Input = i }).ToArray());

    private static float[][] Translate(CycleGanTransformer model, MLContext ml, IEnumerable<float[]> images) =>
        model.Transform(Vectors(ml, images)).GetColumn<VBuffer<float>>("Output").Select(v => v.DenseValues().ToArray()).ToArray();

    [Fact]
    public void LearnsTheInversionBothWaysFromUnpairedImagesWithLowCycleError()
    {
        var ml = fixture.ML;
        var aToB = Translate(fixture.AToB, ml, fixture.HeldOutA);
        var bToA = Translate(fixture.BToA, ml, fixture.HeldOutB);
        var cycleA = Translate(fixture.BToA, ml, aToB);
        var cycleB = Translate(fixture.AToB, ml, bToA);
        double forward = UnpairedDomains.L1(aToB, fixture.HeldOutA.Select(UnpairedDomains.Invert));
        double backward = UnpairedDomains.L1(bToA, fixture.HeldOutB.Select(UnpairedDomains.Invert));
        double identity = UnpairedDomains.L1(fixture.HeldOutA, fixture.HeldOutA.Select(UnpairedDomains.Invert));
        double cycle = (UnpairedDomains.L1(cycleA, fixture.HeldOutA) + UnpairedDomains.L1(cycleB, fixture.HeldOutB)) / 2;
        output.WriteLine($"L1 to the true map: A→B {forward:F4}, B→A {backward:F4} (identity map {identity:F4}); cycle L1 {cycle:F4}");
        Assert.True(identity > 0.5, $"The identity map should be far from the inversion, got {identity:F3}.");
        Assert.True(forward < 0.15, $"A → B should invert held-out images, L1 {forward:F4}.");
        Assert.True(backward < 0.15, $"B → A should invert held-out images, L1 {backward:F4}.");
        Assert.True(cycle < 0.1, $"A → B → A should give the images back, cycle L1 {cycle:F4}.");
    }

    [Fact]
    public void ProgressReportsBothAdversarialLossesTheCycleAndTheIdentityLoss()
    {
        var last = fixture.Reports.Last(r => r.IsEpochEnd);
        Assert.Equal(["cycle_l1", "identity_l1", "adversarial_ab", "adversarial_ba", "d_a", "d_b"], last.Losses.Keys);
        Assert.All(last.Losses.Values, v => Assert.True(double.IsFinite(v)));
        Assert.True(last.Losses["cycle_l1"] < fixture.Reports.First().Losses["cycle_l1"], "The cycle loss should fall during training.");
        Assert.Equal(fixture.Reports.Where(r => r.IsEpochEnd).Select(r => r.Losses["cycle_l1"]), fixture.AToB.Training!.History.Select(h => h.Losses["cycle_l1"]));
    }

    [Fact]
    public void LearningRateDecaysLinearlyOverTheSecondHalf()
    {
        Assert.Equal(1, LearningRateDecay.Factor(0, 100, 0.5));
        Assert.Equal(1, LearningRateDecay.Factor(50, 100, 0.5));
        Assert.Equal(1 - 25 / 51.0, LearningRateDecay.Factor(75, 100, 0.5), 12);
        Assert.Equal(1 / 51.0, LearningRateDecay.Factor(100, 100, 0.5), 12);
        Assert.Equal(1, LearningRateDecay.Factor(99, 100, 1.0));
    }

    [Fact]
    public void OneViewWithADomainColumnTrainsTheSameModelAsTwoViews()
    {
        var ml = new MLContext(seed: 3);
        var a = fixture.HeldOutA[..32];
        var b = fixture.HeldOutB[..24];
        using var fromTwo = ml.Generative().CycleGan(SmallOptions(epochs: 1)).Fit(Vectors(ml, a), Vectors(ml, b));
        var rows = a.Select(i => new DomainRow { Input = i }).Concat(b.Select(i => new DomainRow { Input = i, IsDomainB = true })).ToArray();
        using var fromOne = ml.Generative().CycleGan(SmallOptions(epochs: 1)).Fit(ml.Data.LoadFromEnumerable(rows));
        Assert.Equal(Translate(fromTwo, ml, a), Translate(fromOne, ml, a));
        using var reverse = fromOne.Reverse();
        Assert.Equal(CycleGanDirection.BToA, reverse.Direction);
        Assert.NotEqual(Translate(fromOne, ml, b), Translate(reverse, ml, b));
    }

    [Fact]
    public void BothDirectionsSaveAndLoadInAnotherProcessWithIdenticalOutputs()
    {
        var ml = fixture.ML;
        var folder = Directory.CreateTempSubdirectory("genmodels-cyclegan-").FullName;
        try
        {
            var csv = Path.Combine(folder, "input.csv");
            var inputs = fixture.HeldOutA[..8].Concat(fixture.HeldOutB[..8]).ToArray();
            File.WriteAllLines(csv, inputs.Select(g => string.Join(",", g.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
            foreach (var model in new[] { fixture.AToB, fixture.BToA })
            {
                var modelPath = Path.Combine(folder, $"{model.Direction}.zip");
                ml.Model.Save(model, null, modelPath);
                var resultPath = Path.Combine(folder, $"{model.Direction}.txt");
                // The probe reads the CSV as flat vectors of 256 values and writes each output value's bit pattern.
                var stdout = LoadProbe.Run(modelPath, csv, UnpairedDomains.Pixels, "Output", resultPath, "Input");
                Assert.Contains("GenModels assembly loaded by ML.NET: True", stdout);
                var expected = Translate(model, ml, inputs).Select(v => string.Join(" ", v.Select(x => BitConverter.SingleToInt32Bits(x).ToString("x8")))).ToArray();
                Assert.Equal(expected, File.ReadAllLines(resultPath));
            }
            // One file holds both generators: the loaded A → B model reversed translates exactly like B → A.
            using var loaded = (CycleGanTransformer)ml.Model.Load(Path.Combine(folder, "AToB.zip"), out _);
            using var reversed = loaded.Reverse();
            Assert.Equal(Translate(fixture.BToA, ml, inputs), Translate(reversed, ml, inputs));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public sealed class VectorOutput
    {
        [VectorType(1, Size, Size)] public float[] Output { get; set; } = [];
    }

    [Fact]
    public void PredictionEngineTranslatesARowLikeTheBatch()
    {
        var ml = fixture.ML;
        var batch = Translate(fixture.BToA, ml, fixture.HeldOutB[..4]);
        using var engine = ml.Model.CreatePredictionEngine<VectorRow, VectorOutput>(fixture.BToA);
        // A batch of one may take other convolution kernels than a batch of four: equal to float rounding, not bit for bit.
        for (int i = 0; i < 4; i++)
            Assert.All(batch[i].Zip(engine.Predict(new VectorRow { Input = fixture.HeldOutB[i] }).Output), p => Assert.Equal(p.First, p.Second, 1e-5f));
    }

    public sealed class ImageRow
    {
        [ImageType(Size, Size)] public MLImage Input { get; set; } = null!;
    }

    [Fact]
    public void ImageColumnsGiveAnImageColumnOfTheSameSize()
    {
        var ml = new MLContext(seed: 1);
        var rnd = new Random(4);
        IDataView Images(int n) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, n).Select(_ => new ImageRow { Input = SyntheticImages.ToImage(SyntheticImages.Blocks(rnd)) }).ToArray());
        var a = Images(16);
        var estimator = ml.Generative().CycleGan(SmallOptions(epochs: 1));
        var shape = estimator.GetOutputSchema(BadInputTests.Shape(a.Schema));
        Assert.IsType<ImageDataViewType>(shape.Single(c => c.Name == "Output").ItemType);
        using var model = estimator.Fit(a, Images(16));
        Assert.Equal([3, Size, Size], model.ImageShape);
        var images = model.Transform(a).GetColumn<MLImage>("Output").ToArray();
        Assert.Equal(16, images.Length);
        Assert.All(images, i => Assert.Equal((Size, Size), (i.Width, i.Height)));
    }

    public sealed class SmallRow
    {
        [VectorType(1, 8, 8)] public float[] Input { get; set; } = new float[64];
    }

    public sealed class ColourRow
    {
        [VectorType(3, Size, Size)] public float[] Input { get; set; } = new float[3 * Size * Size];
    }

    public sealed class TextDomainRow
    {
        [VectorType(1, Size, Size)] public float[] Input { get; set; } = new float[Size * Size];
        public string IsDomainB { get; set; } = "B";
    }

    private sealed class PathRow
    {
        public string Path { get; set; } = "";
    }

    /// <summary>An image column of unknown size, as LoadImages gives before ResizeImages.</summary>
    private static IDataView Unsized(MLContext ml)
    {
        var folder = Directory.CreateTempSubdirectory("genmodels-cyclegan-images-").FullName;
        SyntheticImages.ToImage(SyntheticImages.Blocks(new Random(2))).Save(Path.Combine(folder, "a.png"));
        var rows = ml.Data.LoadFromEnumerable(new[] { new PathRow { Path = "a.png" } });
        return ml.Transforms.LoadImages("Input", folder, "Path").Fit(rows).Transform(rows);
    }

    public static TheoryData<string> BadInputs => new()
    {
        "domain A empty", "domain B empty", "domain column all false", "domain column all true", "sizes differ", "channels differ",
        "unsized image", "domain column missing", "domain column not Boolean", "image and vector",
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputsAreRejectedAtFitWithANamedError(string problem)
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.Generative().CycleGan(SmallOptions(epochs: 1));
        var some = Vectors(ml, fixture.HeldOutA[..4]);
        var none = Vectors(ml, []);
        IDataView Domains(bool b) => ml.Data.LoadFromEnumerable(fixture.HeldOutA[..4].Select(i => new DomainRow { Input = i, IsDomainB = b }).ToArray());
        IDataView Sized() => ml.Data.LoadFromEnumerable(new[] { new ImageRow { Input = SyntheticImages.ToImage(SyntheticImages.Blocks(new Random(1))) } });
        Exception error = problem switch
        {
            "domain A empty" => Assert.Throws<ArgumentException>(() => estimator.Fit(none, some)),
            "domain B empty" => Assert.Throws<ArgumentException>(() => estimator.Fit(some, none)),
            "domain column all false" => Assert.Throws<InvalidOperationException>(() => estimator.Fit(Domains(false))),
            "domain column all true" => Assert.Throws<InvalidOperationException>(() => estimator.Fit(Domains(true))),
            "sizes differ" => Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(some, ml.Data.LoadFromEnumerable(new[] { new SmallRow() }))),
            "channels differ" => Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(some, ml.Data.LoadFromEnumerable(new[] { new ColourRow() }))),
            "unsized image" => Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(Unsized(ml), Unsized(ml))),
            "domain column missing" => Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(some)),
            "domain column not Boolean" => Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(ml.Data.LoadFromEnumerable(new[] { new TextDomainRow() }))),
            "image and vector" => Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(Sized(), ml.Data.LoadFromEnumerable(new[] { new ColourRow() }))),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
        output.WriteLine(error.Message);
        var expected = problem switch
        {
            "domain A empty" or "domain column all true" => ["Domain A has no rows"],
            "domain B empty" or "domain column all false" => ["Domain B has no rows"],
            "sizes differ" => ["'Input'", "1×16×16", "1×8×8"],
            "channels differ" => ["'Input'", "3×16×16", "another channel count"],
            "unsized image" => ["'Input'", "ResizeImages"],
            "domain column missing" or "domain column not Boolean" => ["'IsDomainB'", problem == "domain column missing" ? "was not found" : "Boolean"],
            "image and vector" => new[] { "'Input'", "an image column" },
            _ => [],
        };
        foreach (var text in expected) Assert.Contains(text, error.Message);
    }

    [Fact]
    public void ImagesTheGeneratorsCannotHalveAreRejectedBeforeTrainingNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ml.Generative().CycleGan("Output", "Input").Fit(ml.Data.LoadFromEnumerable(new[] { new OddRow(), new OddRow { IsDomainB = true } })));
        Assert.Contains("'Input'", error.Message);
        Assert.Contains("divisible by 4", error.Message);
    }

    public sealed class OddRow
    {
        [VectorType(1, 10, 10)] public float[] Input { get; set; } = new float[100];
        public bool IsDomainB { get; set; }
    }

    [Fact]
    public void TransformRejectsImagesOfAnotherShapeNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.AToB.Transform(ml.Data.LoadFromEnumerable(new[] { new SmallRow() })));
        Assert.Contains("'Input'", error.Message);
        Assert.Contains("1×16×16", error.Message);
    }
}
