using GenModels.Torch.Gan;
using GenModels.Torch.Training;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GenModels.Tests;

public class GanTorchTests(ITestOutputHelper output)
{
    /// <summary>Points around the modes (x, y) with standard deviation <paramref name="sigma"/>; the class is the mode's index.</summary>
    public static (float[] Points, int[] Classes) Mixture((double X, double Y)[] modes, int count, double sigma, int seed)
    {
        var rnd = new Random(seed);
        var points = new float[count * 2];
        var classes = new int[count];
        for (int i = 0; i < count; i++)
        {
            int m = rnd.Next(modes.Length);
            classes[i] = m;
            points[2 * i] = (float)(modes[m].X + sigma * Synthetic.Gaussian(rnd));
            points[2 * i + 1] = (float)(modes[m].Y + sigma * Synthetic.Gaussian(rnd));
        }
        return (points, classes);
    }

    public static (double X, double Y)[] Ring(int modes, double radius) =>
        Enumerable.Range(0, modes).Select(i => (radius * Math.Cos(2 * Math.PI * i / modes), radius * Math.Sin(2 * Math.PI * i / modes))).ToArray();

    /// <summary>Modes with at least 1 % of the samples within 3σ, and the share of samples within 3σ of some mode.</summary>
    public static (int Covered, double HighQuality, int[] Nearest) Coverage(float[] samples, (double X, double Y)[] modes, double sigma)
    {
        int n = samples.Length / 2;
        var counts = new int[modes.Length];
        var nearest = new int[n];
        int good = 0;
        for (int i = 0; i < n; i++)
        {
            double best = double.MaxValue;
            for (int m = 0; m < modes.Length; m++)
            {
                double dx = samples[2 * i] - modes[m].X, dy = samples[2 * i + 1] - modes[m].Y, d = Math.Sqrt(dx * dx + dy * dy);
                if (d < best) { best = d; nearest[i] = m; }
            }
            if (best <= 3 * sigma) { good++; counts[nearest[i]]++; }
        }
        return (counts.Count(c => c >= 0.01 * n), good / (double)n, nearest);
    }

    [Fact]
    public void DefaultGanFindsEveryModeOfARing()
    {
        var modes = Ring(6, 2);
        var (points, _) = Mixture(modes, 2400, 0.1, seed: 1);
        using var data = tensor(points, new long[] { 2400, 2 });
        var options = new GanOptions { DataDimension = 2, NoiseDimension = 8, GeneratorHiddenSizes = [64, 64], DiscriminatorHiddenSizes = [64, 64], EmaDecay = 0 };
        var (gan, result) = GanTraining.Fit(data, options, new TrainingOptions { Epochs = 100, BatchSize = 128, LearningRate = 1e-3, Seed = 1 });
        using var _ = gan;
        using var generator = new Generator(2);
        using var samples = gan.Generate(gan.SampleNoise(2000, generator));
        var (covered, quality, _) = Coverage(samples.data<float>().ToArray(), modes, 0.1);
        output.WriteLine($"covered {covered}/6, high quality {quality:P1}, last d_accuracy {result.History[^1].Losses["d_accuracy"]:F3}, {result.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(6, covered);
        Assert.True(quality > 0.5, $"only {quality:P1} of samples lie within 3σ of a mode");
    }

    [Fact]
    public void EmaFollowsTheGeneratorAndGenerationUsesIt()
    {
        var options = new GanOptions { DataDimension = 2, NoiseDimension = 4, GeneratorHiddenSizes = [8], DiscriminatorHiddenSizes = [8], EmaDecay = 0.5 };
        using var gan = new GenerativeAdversarialNetwork(options);
        var before = gan.AveragedGenerator.parameters().First().detach().clone();
        using (no_grad()) gan.Generator.parameters().First().add_(1.0);
        gan.UpdateAverage();
        var after = gan.AveragedGenerator.parameters().First();
        // ema ← 0.5·ema + 0.5·(ema + 1) = ema + 0.5
        Assert.True((after - before - 0.5).abs().max().item<float>() < 1e-6);
        using var z = gan.SampleNoise(3);
        using (no_grad())
            Assert.True(gan.Generate(z).eq(gan.AveragedGenerator.forward(z, null)).all().item<bool>());
    }

    /// <summary>Mean absolute change of the generator's weights made by one training step on <paramref name="batch"/>.</summary>
    private static double WeightChange(GanStep step, GenerativeAdversarialNetwork gan, Tensor batch)
    {
        var before = gan.Generator.parameters().Select(p => p.detach().clone()).ToArray();
        using (NewDisposeScope()) step.TrainStep(batch);
        double change = gan.Generator.parameters().Zip(before, (p, b) => (p - b).abs().sum().item<float>()).Sum();
        foreach (var b in before) b.Dispose();
        return change;
    }

    [Fact]
    public void LearningRatesDecayLinearlyOverTheLastPartOfThePlannedSteps()
    {
        // Adam moves each weight by about the learning rate per step, so the weights' change measures the rate in force.
        var options = new GanOptions { DataDimension = 2, NoiseDimension = 4, GeneratorHiddenSizes = [16], DiscriminatorHiddenSizes = [16], LearningRateDecayStart = 0.5 };
        using var data = randn(32, 2, generator: new Generator(1));
        double[] Changes(GanOptions o)
        {
            manual_seed(3);
            using var gan = new GenerativeAdversarialNetwork(o);
            using var noise = new Generator(4);
            using var step = new GanStep(gan, 1e-2, 1e-2, noise);
            step.BeginTraining(10);
            return Enumerable.Range(0, 10).Select(_ => WeightChange(step, gan, data)).ToArray();
        }
        var decayed = Changes(options);
        var constant = Changes(new GanOptions { DataDimension = 2, NoiseDimension = 4, GeneratorHiddenSizes = [16], DiscriminatorHiddenSizes = [16] });
        Assert.Equal(constant.Take(6), decayed.Take(6));                         // factor 1 up to step 5 of 10
        output.WriteLine($"ratios of the last four steps: {string.Join(", ", Enumerable.Range(6, 4).Select(i => (decayed[i] / constant[i]).ToString("F3")))}");
        for (int i = 6; i < 10; i++)                                             // then 5/6, 4/6, 3/6, 2/6
            Assert.InRange(decayed[i] / constant[i], LearningRateDecay.Factor(i, 10, 0.5) - 0.05, LearningRateDecay.Factor(i, 10, 0.5) + 0.05);
    }

    [Fact]
    public void PackedDiscriminatorJudgesWholePacksOfRows()
    {
        var options = new GanOptions { DataDimension = 3, NoiseDimension = 4, GeneratorHiddenSizes = [8], DiscriminatorHiddenSizes = [8], Pac = 4 };
        using var gan = new GenerativeAdversarialNetwork(options);
        var first = gan.Discriminator.parameters().First();
        Assert.Equal(new long[] { 8, 12 }, first.shape);                         // one input of 4 rows × 3 columns
        using var rows = randn(8, 3);
        using (no_grad()) Assert.Equal(new long[] { 2 }, gan.Discriminator.forward(rows, null).shape);
        using var noise = new Generator(1);
        using var step = new GanStep(gan, 1e-3, 1e-3, noise);
        step.BeginTraining(2);
        using (NewDisposeScope()) Assert.True(step.TrainStep(randn(10, 3)).IsFinite); // cut to 8 rows, 2 packs
        using (NewDisposeScope()) Assert.True(step.TrainStep(randn(3, 3)).IsFinite);  // a batch under one pack is repeated up to 4 rows

        Assert.Throws<ArgumentException>(() => new GanOptions { DataDimension = 2, ClassCount = 3, Pac = 2 }.Validate());
        Assert.Throws<ArgumentException>(() => new GanOptions { DataDimension = 16, ImageShape = [1, 4, 4], Architecture = GanArchitecture.Convolutional, Pac = 2 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new GanOptions { DataDimension = 2, Pac = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new GanOptions { DataDimension = 2, LearningRateDecayStart = 1.5 }.Validate());
    }
}
