// Single-row scoring, side by side in one run: the library's PredictionEngine on the reference encoder (784-400-20 VAE,
// posterior mean) and on the VAE anomaly detector (scaled score), beside the raw TorchSharp single-row forward of the same
// networks (one [1, 784] tensor per row, no ML.NET), the managed one-row models the engines run on, called directly
// (the ceiling of the engines), and ML.NET's own PredictionEngines of
// ProjectToPrincipalComponents (rank 20) and RandomizedPca (rank 20).
//
//   dotnet run -c Release --project test/GenModels.Benchmarks -- single-row [--rows 5000] [--threads N]
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Vae;
using GenModels.Torch.Networks;
using GenModels.Torch.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

public static class SingleRowBenchmark
{
    private sealed class Row
    {
        [VectorType(784)] public float[] Features { get; set; } = [];
    }

    private sealed class Encoded
    {
        [VectorType(20)] public float[] Latent { get; set; } = [];
    }

    private sealed class Projected
    {
        [VectorType(20)] public float[] Latent { get; set; } = [];
    }

    private sealed class Scored
    {
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }
    }

    public static Task Run(string[] args)
    {
        int single = 5_000;
        for (int i = 0; i + 1 < args.Length; i++)
            switch (args[i])
            {
                case "--rows": single = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--threads": GenModels.Torch.TorchThreads.Count = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            }
        var rnd = new Random(1);
        var rows = Enumerable.Range(0, Math.Max(single, 2_000)).Select(_ => new Row { Features = Enumerable.Range(0, 784).Select(_ => (float)rnd.NextDouble()).ToArray() }).ToArray();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(rows.Take(2_000));
        Console.WriteLine($"Single-row scoring of {single:N0} rows of 784 values, median of 3 alternating runs; {Environment.ProcessorCount} cores, " +
                          $"{GenModels.Torch.TorchThreads.Count} libtorch threads");

        using var encoder = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { LatentDimension = 20, HiddenSizes = [400], Epochs = 1, Seed = 1 }).Fit(train);
        using var detector = ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { LatentDimension = 20, HiddenSizes = [400], Epochs = 1, Seed = 1 }).Fit(train);
        var pca = ml.Transforms.ProjectToPrincipalComponents("Latent", "Features", rank: 20, seed: 1).Fit(train);
        var randomizedPca = ml.AnomalyDetection.Trainers.RandomizedPca("Features", rank: 20, seed: 1).Fit(train);

        var encoderEngine = ml.Model.CreatePredictionEngine<Row, Encoded>(encoder);
        var detectorEngine = ml.Model.CreatePredictionEngine<Row, Scored>(detector);
        var pcaEngine = ml.Model.CreatePredictionEngine<Row, Projected>(pca);
        var randomizedPcaEngine = ml.Model.CreatePredictionEngine<Row, Scored>(randomizedPca);
        using var scales = tensor(detector.FeatureScales!.ToArray());
        // The managed one-row models the engines use, called directly (no ML.NET row plumbing).
        var encoderRows = RowReconstructionModel.TryCreate(encoder.Model)!;
        var detectorRows = RowReconstructionModel.TryCreate(detector.Model)!;
        var code = new float[20];
        var scaleValues = detector.FeatureScales!.ToArray();

        var paths = new (string Name, Action<Row> Score)[]
        {
            ("VAE encoder, library PredictionEngine", r => encoderEngine.Predict(r)),
            ("VAE encoder, raw TorchSharp forward", r => RawSingle(r, x => encoder.Model.Encode(x))),
            ("VAE encoder, managed row model alone", r => encoderRows.Encode(r.Features, code, default)),
            ("VAE detector, library PredictionEngine", r => detectorEngine.Predict(r)),
            ("VAE detector, raw TorchSharp score", r => RawSingle(r, x => AnomalyScores.Compute(detector.Model, x, detector.ScoreKind, 1, null, scales))),
            ("VAE detector, managed row model alone", r => AnomalyScores.ComputeRow(detectorRows, r.Features, detector.ScoreKind, scaleValues)),
            ("ML.NET ProjectToPrincipalComponents", r => pcaEngine.Predict(r)),
            ("ML.NET RandomizedPca detector", r => randomizedPcaEngine.Predict(r)),
        };
        var rates = paths.Select(_ => new List<double>()).ToArray();
        foreach (var (_, score) in paths) for (int i = 0; i < 200; i++) score(rows[i]); // warm up
        for (int run = 0; run < 3; run++)
            for (int p = 0; p < paths.Length; p++)
            {
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < single; i++) paths[p].Score(rows[i]);
                rates[p].Add(single / clock.Elapsed.TotalSeconds);
            }
        // PyTorch's eager single-row forward of the same encoder shape, same thread count (skipped, with a message, where it is not installed).
        // Each thread split's median over three runs; the better median is PyTorch's figure (the best split of every run would
        // favour PyTorch by the noise alone, as in `foundation`).
        var pytorch = new Dictionary<string, List<double>>();
        for (int run = 0; run < 3 && PyTorchPeer.EncoderForwardSplits(GenModels.Torch.TorchThreads.Count, Math.Max(single, 1_024), 256, single, runs: 1) is { } splits; run++)
            foreach (var (split, _, singleRate) in splits) (pytorch.TryGetValue(split, out var list) ? list : pytorch[split] = []).Add(singleRate);
        Console.WriteLine($"{"path",-42} {"rows/s",10}");
        for (int p = 0; p < paths.Length; p++) Console.WriteLine($"{paths[p].Name,-42} {rates[p].Order().ElementAt(1),10:N0}");
        if (pytorch.Count > 0)
            Console.WriteLine($"{"VAE encoder, PyTorch (Debian) eager forward",-42} {pytorch.Values.Max(v => v.Order().ElementAt(v.Count / 2)),10:N0}" +
                              $"  (its better thread split's median: {string.Join(", ", pytorch.Select(p => $"{p.Key} {p.Value.Order().ElementAt(p.Value.Count / 2):N0}"))})");
        double Median(int p) => rates[p].Order().ElementAt(1);
        Console.WriteLine($"engine / raw TorchSharp: encoder {Median(0) / Median(1):F2}, detector {Median(3) / Median(4):F2}; " +
                          $"engine / managed row model: encoder {Median(0) / Median(2):F2}, detector {Median(3) / Median(5):F2} (target: ≥ 20,000 rows/s for both engines)");
        return Task.CompletedTask;
    }

    /// <summary>The plainest single-row path: a [1, 784] tensor from the row, the network without gradients, the result read back.</summary>
    private static void RawSingle(Row row, Func<Tensor, Tensor> network)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = tensor(row.Features, new long[] { 1, 784 });
        _ = network(x).data<float>().ToArray();
    }
}
