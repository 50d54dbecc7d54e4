// Progressive growing (Karras et al. 2018) against plain training of the conditional convolutional GAN on Fashion-MNIST
// padded to 32×32, at equal wall time, measured side by side in one run:
//   GAN-test:  a fixed-seed CNN classifier trained on real images (FashionClassifier) classifies the generated images of
//              each requested class;
//   Fréchet:   the Fréchet distance on that classifier's 128 hidden features between generated rows and real test images,
//              beside the real-vs-real floor at the same sample size.
// Equal wall time: each configuration first trains for a few steps per stage to measure its seconds per step (a grown
// GAN's early stages are cheaper), then trains from scratch for the steps that fill the same number of seconds. The
// measured training seconds are printed beside the figures: on a shared machine they drift from the budget.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.Datasets;
using GenModels.MLNet.Gan;
using GenModels.Torch;
using GenModels.Torch.Gan;
using GenModels.Torch.Training;
using Microsoft.ML;

public static class GanGrowingBenchmark
{
    private const int Size = FashionEdges.Size;

    public static async Task Run(string[] args)
    {
        int trainRows = 10_000, samples = 1_000, classifierRows = 5_000, classifierEpochs = 2, threads = 1, calibrationSteps = 10;
        int channels = 32, batch = 64;
        double seconds = 200, learningRate = 5e-4;
        int[] starts = [8, 4];
        for (int i = 0; i < args.Length; i++)
        {
            int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--train": trainRows = Next(); break;
                case "--samples": samples = Math.Min(Next(), 5_000); break;
                case "--classifier-train": classifierRows = Next(); break;
                case "--classifier-epochs": classifierEpochs = Next(); break;
                case "--calibration-steps": calibrationSteps = Next(); break;
                case "--starts": starts = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--threads": threads = Next(); break;
                case "--channels": channels = Next(); break;
                case "--batch": batch = Next(); break;
                case "--lr": learningRate = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
            }
        }
        TorchThreads.Count = threads;
        using var torchThreads = TorchThreads.Use(); // the judge runs with the library's thread count too
        var total = Stopwatch.StartNew();
        var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
        var train = FashionEdges.Load(folder, train: true, maxCount: Math.Max(trainRows, classifierRows));
        var test = FashionEdges.Load(folder, train: false);
        Console.WriteLine($"Fashion-MNIST padded to 32×32: {trainRows:N0} training images; conditional DCGAN-style GAN, {channels} channels, batch {batch}, "
            + $"learning rate {learningRate}; {seconds:F0} s of training per configuration; "
            + $"{samples:N0} generated rows per evaluation against {samples:N0} real test images; {threads} thread(s)");

        // 1. The judge: a fixed-seed CNN classifier on real training images; the real-vs-real floor at the same sample size.
        var clock = Stopwatch.StartNew();
        using var judge = FashionClassifier.Train(train.Images[..classifierRows], train.Labels[..classifierRows], classifierEpochs, seed: 1);
        using var referenceFeatures = judge.Features(test.Images[samples..(2 * samples)]);
        var (floorFrechet, _) = DiffusionFashionBenchmark.Distances(judge, test.Images[..samples], referenceFeatures);
        var floorPerClass = DiffusionFashionBenchmark.PerClassAccuracy(judge, test.Images[..samples], test.Labels[..samples]);
        Console.WriteLine($"  judge: {classifierRows:N0} images × {classifierEpochs} epochs in {clock.Elapsed.TotalSeconds:F0} s; real-vs-real Fréchet {floorFrechet:F2}");

        var ml = new MLContext(seed: 1);
        // One epoch over `steps × batch` rows (the training images cycled) trains exactly `steps` steps: whole epochs of
        // 10,000 images would round the time budget to 157 steps at batch 64.
        IDataView Rows(int count) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(i => i % trainRows)
            .Select(i => new DiffusionFashionBenchmark.Row { Features = train.Images[i], Label = FashionMnist.ClassNames[train.Labels[i]] }).ToArray());

        // 2. Each configuration: calibrate its seconds per step, then train for the steps that fill the time budget.
        var results = new List<(string Name, double Frechet, double[] PerClass, long Steps, double Seconds)>();
        foreach (int? start in new int?[] { null }.Concat(starts.Select(s => (int?)s)))
        {
            string name = start is null ? "no growing (DCGAN)" : $"growing from {start}×{start}";
            GanEstimator.Options Options(int epochs)
            {
                var options = GanDefaults.FashionMnist(epochs, convolutional: true);
                (options.ConvolutionChannels, options.BatchSize, options.LearningRate, options.NumberOfThreads) = (channels, batch, learningRate, threads);
                (options.ProgressiveGrowing, options.StartResolution) = (start is not null, start ?? options.StartResolution);
                return options;
            }
            var probe = Options(1);
            int stages = start is null ? 1 : ProgressiveLayout.CannotGrow(Size, Size, start.Value) is null ? 1 + (int)Math.Log2(Size / start.Value)
                : throw new ArgumentOutOfRangeException("--starts", start, $"Cannot grow {Size}×{Size} from {start}.");
            int calibrationRows = batch * calibrationSteps * stages;
            // Seconds per step from the loop's progress reports (one per step here): from the end of the first step to the
            // end of the last, so that reading the data and building the networks do not count.
            var reports = new List<TrainingProgress>();
            probe.Progress = new Synchronous<TrainingProgress>(reports.Add);
            using (ml.Generative().Gan(probe).Fit(Rows(calibrationRows))) { }
            var (first, end) = (reports[0], reports[^1]);
            double perStep = (end.Elapsed - first.Elapsed).TotalSeconds / (end.Batch - first.Batch);
            int steps = Math.Max(stages, (int)Math.Round(seconds / perStep));
            Console.WriteLine($"  {name}: {perStep * 1000:F0} ms per step over {end.Batch - first.Batch} calibration steps → {steps:N0} steps at batch {batch} "
                + $"({(double)steps * batch / trainRows:F1} passes over the images)");

            var trainData = Rows(steps * batch);
            clock.Restart();
            using var gan = ml.Generative().Gan(Options(1)).Fit(trainData);
            double trained = clock.Elapsed.TotalSeconds;
            var last = gan.Training!.History[^1].Losses;
            Console.WriteLine($"    trained in {trained:F0} s; d_loss {last["d_loss"]:F3}, g_loss {last["g_loss"]:F3}, discriminator accuracy {last["d_accuracy"]:F3}");
            var (images, labels) = DiffusionFashionBenchmark.Read(gan.Generate(samples, seed: 7)); // every class in turn
            results.Add((name, DiffusionFashionBenchmark.Distances(judge, images, referenceFeatures).Frechet,
                DiffusionFashionBenchmark.PerClassAccuracy(judge, images, labels), gan.Training.Steps, trained));
            if (Environment.GetEnvironmentVariable("GENMODELS_GROWING_GRID") is { } grid)
                ImageGrid.Save(Path.Combine(grid, start is null ? "plain.png" : $"growing-{start}.png"), images[..Math.Min(100, samples)], 1, Size, Size);
        }

        // 3. One table of quality, one of GAN-test accuracy per requested class.
        Console.WriteLine();
        Console.WriteLine($"| rows ({samples:N0}) | Fréchet distance (classifier features) | GAN-test accuracy (mean of classes) | steps | training s |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| real test images (floor) | {floorFrechet:F2} | {floorPerClass.Average():F3} | | |");
        foreach (var r in results)
            Console.WriteLine($"| {r.Name} | {r.Frechet:F2} ({r.Frechet / floorFrechet:F1}× floor) | {r.PerClass.Average():F3} | {r.Steps:N0} | {r.Seconds:F0} |");
        Console.WriteLine();
        Console.WriteLine($"| requested class | real test images | {string.Join(" | ", results.Select(r => r.Name))} |");
        Console.WriteLine($"|---|---|{string.Concat(results.Select(_ => "---|"))}");
        for (int c = 0; c < 10; c++)
            Console.WriteLine($"| {FashionMnist.ClassNames[c]} | {floorPerClass[c]:F2} | {string.Join(" | ", results.Select(r => r.PerClass[c].ToString("F2", CultureInfo.InvariantCulture)))} |");
        Console.WriteLine($"Total {total.Elapsed.TotalMinutes:F1} min");
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the training thread (<see cref="Progress{T}"/> posts to the thread pool).</summary>
internal sealed class Synchronous<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
