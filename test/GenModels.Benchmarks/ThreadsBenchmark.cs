// Training and scoring speed at 1, 2 and libtorch's default number of threads, on an idle machine and with competing
// CPU-bound processes, under the library's OpenMP setting (a short spin, GOMP_SPINCOUNT=10000), GNU OpenMP's own default
// (spin 300,000 times, then sleep) and the passive policy (sleep at once), measured side by side in one run: the
// measurement behind the library's default thread count and OpenMP setting (OpenMpWaitPolicy).
// OpenMP reads its policy once per process, so each policy runs in a child process of this one.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.Vae;
using GenModels.Torch;
using Microsoft.ML;
using Microsoft.ML.Data;

public static class ThreadsBenchmark
{
    private sealed class Row
    {
        [VectorType(784)] public float[] Features { get; set; } = [];
    }

    private sealed class Encoded
    {
        public float[] Latent { get; set; } = [];
    }

    public static async Task Run(string[] args)
    {
        if (args.Contains("--child")) { Measure(args); return; }
        Console.WriteLine($"{"policy",-8} {"machine",-15} {"threads",7} {"fit images/s",13} {"encode rows/s",14} {"engine rows/s",14}");
        // A variable set by the application means "the application chose", so the library leaves OpenMP alone: 300,000 spins is GNU OpenMP's own default.
        var policies = new Dictionary<string, (string Variable, string Value)>
        {
            ["library"] = ("", ""), ["spin"] = ("GOMP_SPINCOUNT", "300000"), ["passive"] = ("OMP_WAIT_POLICY", "PASSIVE"),
        };
        int listed = Array.IndexOf(args, "--policies");
        var chosen = listed >= 0 ? args[listed + 1].Split(',') : ["library", "spin", "passive"];
        foreach (var policy in chosen)
        {
            var (variable, value) = policies[policy];
            string host = Environment.ProcessPath!;
            string[] start = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [typeof(ThreadsBenchmark).Assembly.Location] : []; // dotnet, or the apphost
            string[] header = policy == chosen[0] ? ["--header", "1"] : [];
            var info = new ProcessStartInfo(host, [.. start, "threads", "--child", "--policy", policy, .. header, .. args]) { RedirectStandardOutput = true };
            info.Environment.Remove("OMP_WAIT_POLICY");
            info.Environment.Remove("GOMP_SPINCOUNT");
            if (variable.Length > 0) info.Environment[variable] = value;
            using var child = Process.Start(info)!;
            while (await child.StandardOutput.ReadLineAsync() is { } line) Console.WriteLine(line);
            await child.WaitForExitAsync();
        }
    }

    private static void Measure(string[] args)
    {
        int rows = 6000, competitors = 1;
        string policy = "";
        for (int i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--rows") rows = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--competitors") competitors = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--policy") policy = args[i + 1];
        }
        var rnd = new Random(1);
        // Smooth random images in [0, 1]: a few blobs each, like pixels of simple shapes.
        var data = Enumerable.Range(0, rows).Select(_ =>
        {
            var f = new float[784];
            for (int b = 0; b < 3; b++)
            {
                double cx = rnd.Next(28), cy = rnd.Next(28), r = 2 + rnd.NextDouble() * 5;
                for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++)
                    f[y * 28 + x] = (float)Math.Max(f[y * 28 + x], Math.Exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * r * r)));
            }
            return new Row { Features = f };
        }).ToArray();
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadFromEnumerable(data);
        int libtorchDefault = Environment.ProcessorCount;
        var counts = new[] { 1, 2, libtorchDefault }.Distinct().ToArray();
        if (args.Contains("--header"))
            Console.WriteLine($"VAE 784-400-20 on {rows:N0} rows of 784 values; {Environment.ProcessorCount} logical cores; libtorch's default is {libtorchDefault} threads; library default {TorchThreads.DefaultCount}; " +
                              $"{competitors} competing process(es) (`yes > /dev/null`) in the competing rows");
        foreach (bool competitor in new[] { false, true })
        {
            var busy = Enumerable.Range(0, competitor ? competitors : 0).Select(_ => Process.Start(new ProcessStartInfo("sh", ["-c", "exec yes > /dev/null"]))!).ToArray();
            foreach (int threads in counts)
            {
                var options = new VaeEncodingEstimator.Options
                {
                    LatentDimension = 20, HiddenSizes = [400], Epochs = 2, BatchSize = 128, Seed = 1, NumberOfThreads = threads,
                    Likelihood = GenModels.Torch.Networks.ReconstructionLikelihood.Bernoulli,
                };
                var clock = Stopwatch.StartNew();
                var model = ml.Transforms.VaeEncode(options).Fit(view);
                double fit = 2.0 * rows / clock.Elapsed.TotalSeconds;
                TorchThreads.Count = threads;
                clock.Restart();
                int encoded = 0;
                for (int pass = 0; pass < 3; pass++) encoded += model.Transform(view).GetColumn<VBuffer<float>>("Latent").Count();
                double encode = encoded / clock.Elapsed.TotalSeconds;
                using var engine = ml.Model.CreatePredictionEngine<Row, Encoded>(model);
                var output = new Encoded();
                int single = Math.Min(rows, 3000);
                clock.Restart();
                for (int i = 0; i < single; i++) engine.Predict(data[i], ref output);
                double perRow = single / clock.Elapsed.TotalSeconds;
                Console.WriteLine($"{policy,-8} {(competitor ? $"{competitors} competitor(s)" : "idle"),-15} {threads,7} {fit,13:N0} {encode,14:N0} {perRow,14:N0}");
            }
            foreach (var process in busy) { process.Kill(); process.WaitForExit(); process.Dispose(); }
        }
        TorchThreads.Count = TorchThreads.DefaultCount;
    }
}
