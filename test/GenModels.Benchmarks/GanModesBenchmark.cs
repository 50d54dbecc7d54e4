// Mode coverage of GANs on 2-D Gaussian mixtures (a ring of 8 modes and a 5×5 grid), measured side by side in one run:
// modes covered (≥ 1 % of samples within 3σ) and the share of high-quality samples (within 3σ of some mode), for the
// plain non-saturating loss and the robust configurations.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.Gan;
using GenModels.Torch.Gan;
using Microsoft.ML;
using Microsoft.ML.Data;

public static class GanModesBenchmark
{
    internal sealed class Point
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
    }

    /// <summary>The configurations compared: name → options changes.</summary>
    public static readonly Dictionary<string, Action<GanEstimator.Options>> Configurations = new()
    {
        ["plain (non-saturating)"] = o => { o.Loss = GanLoss.NonSaturating; o.SpectralNormalization = false; o.GradientPenalty = 0; },
        ["hinge + spectral norm"] = o => { o.Loss = GanLoss.Hinge; o.SpectralNormalization = true; o.GradientPenalty = 0; },
        ["default (NS + R1 0.1)"] = _ => { },
    };

    public static Task Run(string[] args)
    {
        int epochs = 400, rows = 4000, batch = 128;
        double sigma = 0.1, learningRate = 1e-3, ema = 0.99;
        string[]? only = null, onlyMixtures = null;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--epochs") epochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--rows") rows = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--configs") only = args[i + 1].Split(',');
            if (args[i] == "--mixtures") onlyMixtures = args[i + 1].Split(',');
            if (args[i] == "--sigma") sigma = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--lr") learningRate = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--batch") batch = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--ema") ema = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--threads") GenModels.Torch.TorchThreads.Count = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }
        var mixtures = new Dictionary<string, (double X, double Y)[]>
        {
            ["ring of 8"] = Enumerable.Range(0, 8).Select(i => (2 * Math.Cos(2 * Math.PI * i / 8), 2 * Math.Sin(2 * Math.PI * i / 8))).ToArray(),
            ["grid of 9"] = (from x in Enumerable.Range(-1, 3) from y in Enumerable.Range(-1, 3) select (2.0 * x, 2.0 * y)).ToArray(),
            ["grid of 25"] = (from x in Enumerable.Range(-2, 5) from y in Enumerable.Range(-2, 5) select (2.0 * x, 2.0 * y)).ToArray(),
        };
        Console.WriteLine($"GAN mode coverage: {rows:N0} training points per mixture, σ = {sigma}, {epochs} epochs of batch {batch}, learning rate {learningRate}, EMA {ema}, 2,000 generated points; MLP 256-256 networks, noise of the data's length (2), learning rate decaying over the second half");
        Console.WriteLine($"{"mixture",-11} {"configuration",-24} {"modes",8} {"≤ 3σ",8} {"d_acc",6} {"seconds",8}");
        var ml = new MLContext(seed: 1);
        foreach (var (mixtureName, modes) in mixtures)
        {
            if (onlyMixtures is not null && !onlyMixtures.Any(m => mixtureName.EndsWith(m, StringComparison.Ordinal))) continue;
            var data = ml.Data.LoadFromEnumerable(Sample(modes, rows, sigma, seed: 1));
            foreach (var (configName, configure) in Configurations)
            {
                if (only is not null && !only.Any(o => configName.StartsWith(o, StringComparison.OrdinalIgnoreCase))) continue;
                var options = new GanEstimator.Options { Epochs = epochs, Seed = 1, LearningRate = learningRate, BatchSize = batch, EmaDecay = ema };
                configure(options);
                var clock = Stopwatch.StartNew();
                using var gan = ml.Generative().Gan(options).Fit(data);
                double seconds = clock.Elapsed.TotalSeconds;
                var samples = gan.Generate(2000, seed: 5).GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToArray();
                var (covered, quality) = Coverage(samples, modes, sigma);
                Console.WriteLine($"{mixtureName,-11} {configName,-24} {covered,4}/{modes.Length,-3} {quality,8:P1} {gan.Training!.History[^1].Losses["d_accuracy"],6:F3} {seconds,8:F1}");
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>Points drawn uniformly from the modes, each with Gaussian noise σ.</summary>
    internal static IEnumerable<Point> Sample((double X, double Y)[] modes, int count, double sigma, int seed)
    {
        var rnd = new Random(seed);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - rnd.NextDouble())) * Math.Cos(2 * Math.PI * rnd.NextDouble());
        for (int i = 0; i < count; i++)
        {
            var m = modes[rnd.Next(modes.Length)];
            yield return new Point { Features = [(float)(m.X + sigma * Gaussian()), (float)(m.Y + sigma * Gaussian())] };
        }
    }

    /// <summary>Modes holding ≥ 1 % of the samples within 3σ, and the share of samples within 3σ of their nearest mode.</summary>
    public static (int Covered, double Quality) Coverage(float[][] samples, (double X, double Y)[] modes, double sigma)
    {
        var counts = new int[modes.Length];
        int good = 0;
        foreach (var s in samples)
        {
            int best = 0;
            double bestDistance = double.MaxValue;
            for (int m = 0; m < modes.Length; m++)
            {
                double d = Math.Sqrt(Math.Pow(s[0] - modes[m].X, 2) + Math.Pow(s[1] - modes[m].Y, 2));
                if (d < bestDistance) { bestDistance = d; best = m; }
            }
            if (bestDistance <= 3 * sigma) { good++; counts[best]++; }
        }
        return (counts.Count(c => c >= 0.01 * samples.Length), good / (double)samples.Length);
    }
}
