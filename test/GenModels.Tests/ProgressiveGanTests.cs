using GenModels.MLNet;
using GenModels.MLNet.Gan;
using GenModels.Torch.Gan;
using GenModels.Torch.Serialization;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using static TorchSharp.torch;

namespace GenModels.Tests;

/// <summary>Progressive growing of the convolutional GAN (Karras et al. 2018) on tiny images.</summary>
public class ProgressiveGanTests
{
    private const int Size = 16;

    public sealed class ImageRow
    {
        [VectorType(1, Size, Size)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    public sealed class SmallImageRow
    {
        [VectorType(1, 8, 8)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    public sealed class FlatRow
    {
        [VectorType(Size * Size)] public float[] Features { get; set; } = [];
    }

    public sealed class SizedRow
    {
        [VectorType(1, 12, 12)] public float[] Features { get; set; } = [];
    }

    /// <summary>16×16 images with one bright 2-pixel-wide row ("horizontal") or column ("vertical").</summary>
    private static ImageRow[] Bars(int count, int seed)
    {
        var rnd = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var pixels = new float[Size * Size];
            bool horizontal = i % 2 == 0;
            int line = rnd.Next(Size - 1);
            for (int k = 0; k < Size; k++)
                for (int w = 0; w < 2; w++) pixels[horizontal ? (line + w) * Size + k : k * Size + line + w] = 1;
            return new ImageRow { Features = pixels, Label = horizontal ? "horizontal" : "vertical" };
        }).ToArray();
    }

    /// <summary>8×8 images with one bright row ("horizontal") or column ("vertical"), as in <see cref="ConvolutionalGanTests"/>.</summary>
    private static SmallImageRow[] SmallBars(int count, int seed)
    {
        var rnd = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var pixels = new float[64];
            bool horizontal = i % 2 == 0;
            int line = rnd.Next(8);
            for (int k = 0; k < 8; k++) pixels[horizontal ? line * 8 + k : k * 8 + line] = 1;
            return new SmallImageRow { Features = pixels, Label = horizontal ? "horizontal" : "vertical" };
        }).ToArray();
    }

    private static GanOptions Growing(int start = 4, int classes = 2) => new()
    {
        DataDimension = Size * Size, ImageShape = [1, Size, Size], Architecture = GanArchitecture.Convolutional,
        NoiseDimension = 8, ClassCount = classes, ConvolutionChannels = 8, Output = GeneratorOutput.Sigmoid,
        ProgressiveGrowing = true, StartResolution = start,
    };

    [Fact]
    public void TheScheduleSplitsTheStepsOverTheStagesAndFadesEachNewBlockFromZeroToOne()
    {
        var schedule = new GrowthSchedule(Stages: 3, FadeInShare: 0.5, PlannedSteps: 300);
        var path = Enumerable.Range(0, 300).Select(i => schedule.At(i)).ToArray();
        Assert.Equal([0, 1, 2], path.Select(p => p.Stage).Distinct());
        Assert.Equal(100, path.Count(p => p.Stage == 0));
        Assert.Equal(100, path.Count(p => p.Stage == 1));
        Assert.All(path.Where(p => p.Stage == 0), p => Assert.Equal(1, p.Alpha));
        for (int stage = 1; stage < 3; stage++)
        {
            var alphas = path.Where(p => p.Stage == stage).Select(p => p.Alpha).ToArray();
            Assert.Equal(0, alphas[0]);                                            // the new block starts invisible,
            Assert.True(alphas.Zip(alphas.Skip(1)).All(a => a.Second >= a.First)); // rises without going back,
            Assert.Equal(0.5, alphas[25], 3);                                      // linearly over the first half,
            Assert.All(alphas[50..], a => Assert.Equal(1, a));                     // then stabilises at full weight
        }
        Assert.True(schedule.IsFinal(299));
        Assert.False(schedule.IsFinal(249));
        Assert.Equal((2, 1.0), new GrowthSchedule(3, 0, 10).At(7));               // no fading: each block at full weight at once
    }

    [Theory]
    [InlineData(4, new[] { 4, 8, 16 })]
    [InlineData(8, new[] { 8, 16 })]
    public void EachStageGeneratesAndDiscriminatesImagesAtItsResolution(int start, int[] resolutions)
    {
        using var gan = new GenerativeAdversarialNetwork(Growing(start));
        var growth = gan.Growth!;
        Assert.Equal(resolutions.Length - 1, growth.FinalStage);
        using var scope = NewDisposeScope();
        var z = gan.SampleNoise(5);
        var labels = tensor(new long[] { 0, 1, 0, 1, 1 });
        var real = rand(5, Size * Size);
        for (int stage = 0; stage < resolutions.Length; stage++)
            foreach (double alpha in new[] { 0, 0.5, 1 })
            {
                growth.Set(stage, alpha);
                int r = resolutions[stage];
                Assert.Equal((r, r), growth.Resolution);
                var fake = gan.Generator.forward(z, labels);
                Assert.Equal(new long[] { 5, r * r }, fake.shape);
                Assert.Equal(new long[] { 5, r * r }, growth.Downsample(real).shape);
                Assert.Equal(new long[] { 5 }, gan.Discriminator.forward(fake, labels).shape);
            }
        growth.Complete();
        Assert.Equal(new long[] { 5, Size * Size }, gan.Generator.forward(z, labels).shape);
        Assert.Equal(new long[] { 5, Size * Size }, gan.Generate(z, labels).shape);
    }

    [Fact]
    public void AtFadeInZeroANewStageDrawsThePreviousStageUpsampledAndSeesRealImagesTheSameWay()
    {
        using var gan = new GenerativeAdversarialNetwork(Growing());
        var growth = gan.Growth!;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = gan.SampleNoise(4);
        var labels = tensor(new long[] { 0, 1, 1, 0 });
        var real = rand(4, Size * Size);
        static Tensor Up(Tensor flat, int r) => ProgressiveLayout.Upsample(flat.view(-1, 1, r, r)).flatten(1);

        growth.Set(1, 1);
        var previous = gan.Generator.forward(z, labels);
        var previousReal = growth.Downsample(real);
        growth.Set(2, 0);
        Assert.True(gan.Generator.forward(z, labels).allclose(Up(previous, 8), rtol: 1e-5, atol: 1e-6));
        Assert.True(growth.Downsample(real).allclose(Up(previousReal, 8), rtol: 1e-5, atol: 1e-6));
        growth.Set(2, 0.5);
        Assert.False(gan.Generator.forward(z, labels).allclose(Up(previous, 8), rtol: 1e-3, atol: 1e-4)); // the new block shows
        growth.Set(2, 1);
        Assert.Same(real, growth.Downsample(real));                                                        // full size: the data itself
    }

    [Fact]
    public void TheTrainingStepWalksTheStagesInOrderAndTheTrainedGanDrawsFullSizeImages()
    {
        using var threads = GenModels.Torch.TorchThreads.Use(1); // tiny convolutions: more threads only wait on each other
        var options = Growing();
        using var gan = GenModels.Torch.Networks.TorchRandom.Seeded(1, () => new GenerativeAdversarialNetwork(options));
        using var noise = new Generator(2);
        using var step = new GanStep(gan, 1e-3, 1e-3, noise);
        var batch = cat([rand(8, Size * Size), tensor(new float[] { 0, 1, 0, 1, 0, 1, 0, 1 }).view(8, 1)], 1);
        Assert.Throws<InvalidOperationException>(() => step.TrainStep(batch));
        step.BeginTraining(12);
        var schedule = new GrowthSchedule(3, options.FadeInShare, 12);
        for (int i = 0; i < 12; i++)
        {
            using var scope = NewDisposeScope();
            Assert.Equal(!schedule.IsFinal(i), step.IsWarmingUp); // early stopping ignores the stages before the last
            var losses = step.TrainStep(batch);
            Assert.True(losses.IsFinite);
            Assert.Equal(schedule.At(i), (gan.Growth!.Stage, gan.Growth.Alpha));
        }
        Assert.False(step.IsWarmingUp);

        // Through the shared loop: the trained network ends at full size, even with fewer steps than stages.
        using var data = cat([rand(20, Size * Size), (arange(20) % 2).to_type(ScalarType.Float32).view(20, 1)], 1);
        var (trained, result) = GanTraining.Fit(data, options, new TrainingOptions { Epochs = 1, BatchSize = 10, Seed = 1 });
        using var _ = trained;
        Assert.Equal(2, result.Steps);
        Assert.Equal((2, 1.0), (trained.Growth!.Stage, trained.Growth.Alpha));
    }

    [Fact]
    public void AGrownConditionalGanDrawsTheRequestedOrientationAtFullSize()
    {
        // The 8×8 bars of ConvolutionalGanTests, grown from 2×2 in three stages (its last stage is the plain GAN's network),
        // with the settings of the plain GAN there plus a third more epochs and a shorter weight average, since only the
        // last third of the steps trains at full size.
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SmallBars(800, seed: 1));
        using var gan = ml.Generative().Gan(new GanEstimator.Options
        {
            LabelColumnName = "Label", NoiseDimension = 16, ConvolutionChannels = 16, Output = GeneratorOutput.Sigmoid, EmaDecay = 0.95,
            ProgressiveGrowing = true, StartResolution = 2, Epochs = 40, LearningRate = 1e-3, BatchSize = 64, Seed = 1, NumberOfThreads = 1,
        }).Fit(train);
        Assert.Equal((2, 1.0), (gan.Model.Growth!.Stage, gan.Model.Growth.Alpha));
        var horizontal = gan.Generate(200, seed: 2, label: "horizontal");
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 1, 8, 8), horizontal.Schema["Features"].Type);
        double h = Synthetic.Column(horizontal, "Features").Average(image => Orientation(image, 8));
        double v = Synthetic.Column(gan.Generate(200, seed: 2, label: "vertical"), "Features").Average(image => Orientation(image, 8));
        Assert.True(h > 0.02 && v < -0.02, $"mean orientation: 'horizontal' {h:F3}, 'vertical' {v:F3}");
    }

    [Fact]
    public void AGrownGanSavesAndLoadsBitIdentically()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Bars(64, seed: 1));
        using var gan = ml.Generative().Gan(new GanEstimator.Options
        {
            LabelColumnName = "Label", NoiseDimension = 8, ConvolutionChannels = 8, Output = GeneratorOutput.Sigmoid,
            ProgressiveGrowing = true, StartResolution = 4, FadeInShare = 0.3, Epochs = 3, BatchSize = 16, Seed = 1, NumberOfThreads = 1,
        }).Fit(train);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 1, Size, Size), gan.Generate(1, seed: 5).Schema["Features"].Type);
        var path = Path.Combine(Path.GetTempPath(), $"genmodels-growing-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(gan, train.Schema, path);
            using var loaded = (GanTransformer)ml.Model.Load(path, out _);
            Assert.True(loaded.Model.Options.ProgressiveGrowing);
            Assert.Equal(0.3, loaded.Model.Options.FadeInShare);
            Assert.Equal(Network(gan), Network(loaded));                  // options and every weight, byte for byte
            Assert.Equal(Bits(gan.Generate(20, seed: 5)), Bits(loaded.Generate(20, seed: 5)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Growing settings that are wrong on their own, each with the setting its exception must name.</summary>
    public static TheoryData<string, Action> BadGrowingSettings => new()
    {
        { "ProgressiveGrowing", () => new GanOptions { DataDimension = 4, ProgressiveGrowing = true }.Validate() }, // an MLP has nothing to grow
        { "StartResolution", () => new GenerativeAdversarialNetwork(Growing(start: 16)).Dispose() }, // already the full size
        { "StartResolution", () => new GenerativeAdversarialNetwork(Growing(start: 0)).Dispose() },
        { "FadeInShare", () => { var fade = Growing(); fade.FadeInShare = 1.5; fade.Validate(); } },
        // Through the estimator, at construction.
        { "ProgressiveGrowing", () => new MLContext(seed: 1).Generative().Gan(new GanEstimator.Options { ProgressiveGrowing = true, Architecture = GanArchitecture.Mlp }) },
        { "FadeInShare", () => new MLContext(seed: 1).Generative().Gan(new GanEstimator.Options { ProgressiveGrowing = true, FadeInShare = -0.1 }) },
    };

    [Theory]
    [MemberData(nameof(BadGrowingSettings))]
    public void BadGrowingSettingsAreRejectedNamingTheSetting(string setting, Action create) =>
        Assert.Equal(setting, Assert.ThrowsAny<ArgumentException>(create).ParamName);

    [Fact]
    public void AnImageSizeThatTheStartResolutionCannotDoubleUpToIsExplained()
    {
        var notAPowerOfTwo = Growing();
        notAPowerOfTwo.ImageShape = [1, 24, 24];
        notAPowerOfTwo.DataDimension = 576;
        var e = Assert.Throws<ArgumentOutOfRangeException>(notAPowerOfTwo.Validate);
        Assert.Equal("StartResolution", e.ParamName);
        Assert.Contains("24 / 4 = 6", e.Message);
    }

    [Fact]
    public void AColumnThatCannotGrowIsNamedAtFitBeforeRowsAreRead()
    {
        var ml = new MLContext(seed: 1);
        var flat = Assert.Throws<ArgumentException>(() => ml.Generative().Gan(new GanEstimator.Options { ProgressiveGrowing = true })
            .Fit(ml.Data.LoadFromEnumerable(new[] { new FlatRow { Features = new float[Size * Size] } })));
        Assert.Equal("ProgressiveGrowing", flat.ParamName);
        Assert.Contains("'Features'", flat.Message);
        var twelve = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Generative().Gan(new GanEstimator.Options { ProgressiveGrowing = true })
            .Fit(ml.Data.LoadFromEnumerable(new[] { new SizedRow { Features = new float[144] } })));
        Assert.Equal("StartResolution", twelve.ParamName);
        Assert.Contains("'Features' (12×12 images)", twelve.Message);
    }

    private static byte[] Network(GanTransformer gan)
    {
        using var stream = new MemoryStream();
        ModelSerializer.Save(stream, "GenerativeAdversarialNetwork", gan.Model.Options, gan.Model);
        return stream.ToArray();
    }

    private static string[] Bits(IDataView data) => Synthetic.Column(data, "Features")
        .Select(v => string.Join(" ", v.Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8")))).ToArray();

    /// <summary>How much more the image varies between rows than between columns (positive: horizontal structure).</summary>
    private static double Orientation(float[] image, int size)
    {
        var rows = Enumerable.Range(0, size).Select(r => Enumerable.Range(0, size).Average(c => (double)image[r * size + c])).ToArray();
        var cols = Enumerable.Range(0, size).Select(c => Enumerable.Range(0, size).Average(r => (double)image[r * size + c])).ToArray();
        static double Variance(double[] v) => v.Average(x => (x - v.Average()) * (x - v.Average()));
        return Variance(rows) - Variance(cols);
    }
}
