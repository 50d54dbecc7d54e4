// Diffusion beside the GAN on tight 2-D Gaussian mixtures, both with their defaults, measured side by side in one run:
// modes covered (≥ 1 % of samples within 3σ), the share of samples within 3σ of a mode, and the reverse KL between the
// samples' mode frequencies and the uniform mixture. Then, for the diffusion model on the ring, quality and speed per sampler,
// and the library's training and generation throughput beside a raw TorchSharp loop over the same network.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.Torch;
using GenModels.Torch.Diffusion;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

public static class DiffusionModesBenchmark
{
    public static Task Run(string[] args)
    {
        int epochs = 20, rows = 100_000, samples = 2500, threads = Environment.ProcessorCount;
        bool ganOnly = args.Contains("--gan-only");
        string[]? onlyMixtures = null;
        var gan = new List<(string Name, Action<MLNet.Gan.GanEstimator.Options> Set)>(); // GAN settings other than the defaults, for probes
        double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
        for (int i = 0; i + 1 < args.Length; i++)
        {
            string value = args[i + 1];
            switch (args[i])
            {
                case "--epochs": epochs = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rows": rows = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--samples": samples = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--mixtures": onlyMixtures = value.Split(','); break;
                case "--gan-lr": gan.Add(($"lr {value}", o => o.LearningRate = Number(value))); break;
                case "--gan-d-lr": gan.Add(($"D lr {value}", o => o.DiscriminatorLearningRate = Number(value))); break;
                case "--gan-decay": gan.Add(($"decay from {value}", o => o.LearningRateDecayStart = Number(value))); break;
                case "--gan-pac": gan.Add(($"pac {value}", o => o.Pac = (int)Number(value))); break;
                case "--gan-r1": gan.Add(($"R1 {value}", o => o.GradientPenalty = Number(value))); break;
                case "--gan-ema": gan.Add(($"EMA {value}", o => o.EmaDecay = Number(value))); break;
                case "--gan-batch": gan.Add(($"batch {value}", o => o.BatchSize = (int)Number(value))); break;
                case "--gan-noise": gan.Add(($"noise {value}", o => o.NoiseDimension = (int)Number(value))); break;
                case "--gan-activation": gan.Add((value, o => o.Activation = Enum.Parse<GenModels.Torch.Networks.Activation>(value))); break;
                case "--gan-seed": gan.Add(($"seed {value}", o => o.Seed = (int)Number(value))); break;
                case "--gan-width": gan.Add(($"width {value}", o => o.GeneratorHiddenSizes = o.DiscriminatorHiddenSizes = value.Split('x').Select(int.Parse).ToArray())); break;
            }
        }
        TorchThreads.Count = threads;
        string ganName = gan.Count == 0 ? "GAN (defaults)" : "GAN (" + string.Join(", ", gan.Select(g => g.Name)) + ")";
        var mixtures = new (string Name, (double X, double Y)[] Modes, double Sigma)[]
        {
            ("ring of 8", Enumerable.Range(0, 8).Select(i => (Math.Cos(2 * Math.PI * i / 8), Math.Sin(2 * Math.PI * i / 8))).ToArray(), 0.01),
            ("grid of 25", (from x in Enumerable.Range(-2, 5) from y in Enumerable.Range(-2, 5) select (2.0 * x, 2.0 * y)).ToArray(), 0.05),
        };
        Console.WriteLine($"Tight mixtures: {rows:N0} training points, {epochs} epochs, {samples:N0} samples, {threads} thread(s); " +
                          (ganOnly ? "the GAN only" : "both models with their default networks and settings"));
        Console.WriteLine($"{"mixture",-11} {"model",-28} {"modes",8} {"≤ 3σ",8} {"reverse KL",11} {"train s",8}");
        var ml = new MLContext(seed: 1);
        DiffusionTransformerHolder? ring = null;
        foreach (var (name, modes, sigma) in mixtures)
        {
            if (onlyMixtures is not null && !onlyMixtures.Any(m => name.EndsWith(m, StringComparison.Ordinal))) continue;
            var data = ml.Data.LoadFromEnumerable(GanModesBenchmark.Sample(modes, rows, sigma, seed: 1));
            var clock = Stopwatch.StartNew();
            var ganOptions = new MLNet.Gan.GanEstimator.Options { Epochs = epochs, Seed = 1 };
            foreach (var (_, set) in gan) set(ganOptions);
            using (var trained = ml.Generative().Gan(ganOptions).Fit(data))
                Report(name, ganName, Points(trained.Generate(samples, seed: 5)), modes, sigma, clock.Elapsed.TotalSeconds);
            if (ganOnly) continue;
            clock.Restart();
            var diffusion = ml.Generative().Diffusion(new MLNet.Diffusion.DiffusionEstimator.Options { Epochs = epochs, Seed = 1 }).Fit(data);
            double seconds = clock.Elapsed.TotalSeconds;
            Report(name, "diffusion (defaults, DDIM 50)", Points(diffusion.Generate(samples, seed: 5)), modes, sigma, seconds);
            if (ring is null) ring = new DiffusionTransformerHolder(diffusion, modes, sigma);
            else diffusion.Dispose();
        }

        if (ring is { } r)
        {
            Console.WriteLine();
            Console.WriteLine($"Diffusion on the ring: samplers ({samples:N0} samples each)");
            Console.WriteLine($"{"sampler",-16} {"modes",8} {"≤ 3σ",8} {"rows/s",10}");
            var samplers = new (string Name, SamplingOptions Options)[]
            {
                ("DDPM 1000", new SamplingOptions { Ancestral = true }),
                ("DDIM 100", new SamplingOptions { Steps = 100 }),
                ("DDIM 50", new SamplingOptions { Steps = 50 }),
                ("DDIM 25", new SamplingOptions { Steps = 25 }),
                ("DDIM 10", new SamplingOptions { Steps = 10 }),
            };
            foreach (var (samplerName, sampling) in samplers)
            {
                var clock = Stopwatch.StartNew();
                var points = Points(r.Model.Generate(samples, seed: 5, sampling: sampling));
                double perSecond = samples / clock.Elapsed.TotalSeconds;
                var (covered, quality, _) = Coverage(points, r.Modes, r.Sigma);
                Console.WriteLine($"{samplerName,-16} {covered,4}/{r.Modes.Length,-3} {quality,8:P1} {perSecond,10:N0}");
            }
            Throughput(ml, r.Model, samples);
            r.Model.Dispose();
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The library beside a raw TorchSharp loop over the same network: training steps per second (Fit, including reading the
    /// IDataView, against the same step on batches taken from a resident tensor) and generation rows per second (the
    /// IDataView source against Sample on noise tensors, both DDIM 50 at the same batch size).
    /// </summary>
    private static void Throughput(MLContext ml, MLNet.Diffusion.DiffusionTransformer trained, int samples)
    {
        const int rows = 20_000, epochs = 3, batch = 128;
        var data = ml.Data.LoadFromEnumerable(GanModesBenchmark.Sample([(0, 0), (1, 1)], rows, 0.1, seed: 2));
        var options = new MLNet.Diffusion.DiffusionEstimator.Options { Epochs = epochs, BatchSize = batch, Seed = 1 };
        var clock = Stopwatch.StartNew();
        using (ml.Generative().Diffusion(options).Fit(data)) { }
        double libraryStepsPerSecond = epochs * Math.Ceiling(rows / (double)batch) / clock.Elapsed.TotalSeconds;

        using var resident = TorchSharp.torch.tensor(GanModesBenchmark.Sample([(0, 0), (1, 1)], rows, 0.1, seed: 2).SelectMany(p => p.Features).ToArray(), [rows, 2L]);
        var modelOptions = trained.Model.Options;
        using var raw = new DiffusionModel(new DiffusionOptions
        {
            DataDimension = 2, HiddenSizes = modelOptions.HiddenSizes, EmbeddingDimension = modelOptions.EmbeddingDimension,
            InputFrequencies = modelOptions.InputFrequencies, Schedule = modelOptions.Schedule, Prediction = modelOptions.Prediction,
        });
        raw.FitStandardisation(resident);
        using var generator = new TorchSharp.torch.Generator(1);
        using var step = new DiffusionStep(raw, 1e-3, generator);
        raw.train();
        clock.Restart();
        int steps = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            using var order = TorchSharp.torch.randperm(rows, generator: generator);
            for (long start = 0; start < rows; start += batch, steps++)
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                step.TrainStep(resident.index_select(0, order.narrow(0, start, Math.Min(batch, rows - start))));
            }
        }
        double rawStepsPerSecond = steps / clock.Elapsed.TotalSeconds;

        var ddim = new SamplingOptions { Steps = 50 };
        clock.Restart();
        int generated = trained.Generate(samples, seed: 5, sampling: ddim).GetColumn<VBuffer<float>>("Features").Count();
        double libraryRowsPerSecond = generated / clock.Elapsed.TotalSeconds;
        clock.Restart();
        using (var noise = new TorchSharp.torch.Generator(5))
            for (int start = 0; start < samples; start += trained.BatchSize)
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                trained.Model.Sample(trained.Model.SampleNoise(Math.Min(trained.BatchSize, samples - start), noise), null, ddim, noise);
            }
        double rawRowsPerSecond = samples / clock.Elapsed.TotalSeconds;

        Console.WriteLine();
        Console.WriteLine($"Throughput ({rows:N0} rows, batch {batch}, {epochs} epochs; generation of {samples:N0} rows with DDIM 50 at batch {trained.BatchSize})");
        Console.WriteLine($"  training: library Fit {libraryStepsPerSecond:N0} steps/s, raw loop {rawStepsPerSecond:N0} steps/s, ratio {libraryStepsPerSecond / rawStepsPerSecond:F2}");
        Console.WriteLine($"  generation: IDataView source {libraryRowsPerSecond:N0} rows/s, raw Sample {rawRowsPerSecond:N0} rows/s, ratio {libraryRowsPerSecond / rawRowsPerSecond:F2}");
    }

    private sealed record DiffusionTransformerHolder(MLNet.Diffusion.DiffusionTransformer Model, (double X, double Y)[] Modes, double Sigma);

    private static float[][] Points(IDataView data) => data.GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToArray();

    private static void Report(string mixture, string model, float[][] points, (double X, double Y)[] modes, double sigma, double seconds)
    {
        var (covered, quality, reverseKl) = Coverage(points, modes, sigma);
        Console.WriteLine($"{mixture,-11} {model,-28} {covered,4}/{modes.Length,-3} {quality,8:P1} {reverseKl,11:F3} {seconds,8:F1}");
    }

    /// <summary>
    /// Modes covered and the share within 3σ (as the GAN benchmark counts them), plus the reverse KL Σ q·log(q/p) between the
    /// frequencies q of the samples' nearest modes and the uniform mixture p (0 when every mode is drawn equally often).
    /// </summary>
    private static (int Covered, double Quality, double ReverseKl) Coverage(float[][] points, (double X, double Y)[] modes, double sigma)
    {
        var (covered, quality) = GanModesBenchmark.Coverage(points, modes, sigma);
        var nearest = new int[modes.Length];
        foreach (var s in points)
            nearest[Enumerable.Range(0, modes.Length).MinBy(m => Math.Pow(s[0] - modes[m].X, 2) + Math.Pow(s[1] - modes[m].Y, 2))]++;
        double p = 1.0 / modes.Length, kl = 0;
        foreach (var c in nearest.Where(c => c > 0)) { double q = c / (double)points.Length; kl += q * Math.Log(q / p); }
        return (covered, quality, kl);
    }
}
