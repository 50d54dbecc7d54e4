// Image-to-image translation on Fashion-MNIST: edge maps (Sobel, thresholded) to images, 32×32. Measured side by side
// in one run on the same test images:
//   identity:   the edge map itself as the output;
//   L1 U-Net:   the U-Net trained on the L1 term alone (Adversarial = false);
//   pix2pix:    the U-Net with the PatchGAN discriminator (adversarial + 100·L1), the library's default.
// Metrics: mean L1 and PSNR against the true images; accuracy of a small CNN classifier trained on real images when it
// classifies the translated images; and a Fréchet distance on that classifier's hidden features between translated
// test images and a disjoint set of real test images, beside the real-vs-real floor (real test images against the same
// disjoint set).
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.Datasets;
using GenModels.MLNet.Translation;
using GenModels.Torch;
using GenModels.Torch.Evaluation;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

public static class TranslationBenchmark
{
    public sealed class EdgePair
    {
        [VectorType(1, FashionEdges.Size, FashionEdges.Size)] public float[] Edges { get; set; } = [];
        [VectorType(1, FashionEdges.Size, FashionEdges.Size)] public float[] Image { get; set; } = [];
    }

    public static async Task Run(string[] args)
    {
        int trainRows = 20_000, testRows = 5_000, epochs = 3, classifierEpochs = 1, classifierRows = 60_000, threads = 1, channels = 32, batch = 64;
        double learningRate = 2e-4;
        for (int i = 0; i < args.Length; i++)
        {
            int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--train": trainRows = Next(); break;
                case "--test": testRows = Math.Min(Next(), 5_000); break;
                case "--epochs": epochs = Next(); break;
                case "--classifier-epochs": classifierEpochs = Next(); break;
                case "--classifier-train": classifierRows = Next(); break;
                case "--threads": threads = Next(); break;
                case "--channels": channels = Next(); break;
                case "--batch": batch = Next(); break;
                case "--lr": learningRate = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
            }
        }
        TorchThreads.Count = threads;
        var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
        var clock = Stopwatch.StartNew();
        var train = FashionEdges.Load(folder, train: true, maxCount: Math.Max(trainRows, classifierRows));
        var test = FashionEdges.Load(folder, train: false);
        Console.WriteLine($"Fashion-MNIST edges → images, 32×32: {trainRows:N0} training pairs, {testRows:N0} test pairs (+ {testRows:N0} disjoint real test images as the Fréchet reference), {threads} thread(s)");

        // 1. A fixed-seed CNN classifier on real training images: its accuracy and hidden features judge the translations.
        using var classifier = FashionClassifier.Train(train.Images[..classifierRows], train.Labels[..classifierRows], classifierEpochs, seed: 1);
        var evaluated = test.Images[..testRows];
        var reference = test.Images[testRows..(2 * testRows)];
        var labels = test.Labels[..testRows];
        using var referenceFeatures = classifier.Features(reference);
        double realAccuracy = classifier.Accuracy(evaluated, labels);
        using (var realFeatures = classifier.Features(evaluated))
            Console.WriteLine($"  classifier: {classifierRows:N0} images × {classifierEpochs} epochs in {clock.Elapsed.TotalSeconds:F0} s; real test accuracy {realAccuracy:F3}; "
                + $"real-vs-real Fréchet floor {DistributionMetrics.FrechetDistance(realFeatures, referenceFeatures):F3}");

        // 2. The three translations of the same test edges.
        var ml = new MLContext(seed: 1);
        var trainData = ml.Data.LoadFromEnumerable(Enumerable.Range(0, trainRows).Select(i => new EdgePair { Edges = train.Edges[i], Image = train.Images[i] }).ToArray());
        var testData = ml.Data.LoadFromEnumerable(Enumerable.Range(0, testRows).Select(i => new EdgePair { Edges = test.Edges[i], Image = test.Images[i] }).ToArray());
        var results = new List<(string Name, float[][] Output, double Seconds)> { ("identity (edge map)", test.Edges[..testRows], 0) };
        foreach (var adversarial in new[] { false, true })
        {
            var options = new ImageTranslationEstimator.Options
            {
                InputColumnName = "Edges", TargetColumnName = "Image", OutputColumnName = "Translated", Adversarial = adversarial,
                Channels = channels, Epochs = epochs, BatchSize = batch, LearningRate = learningRate, Seed = 1,
                Progress = new Progress<TrainingProgress>(p => { if (p.IsEpochEnd) Console.WriteLine($"    {p}"); }),
            };
            string name = adversarial ? "pix2pix (adversarial + 100·L1)" : "U-Net, L1 only";
            Console.WriteLine($"  training {name}: {options.Epochs} epochs at batch {batch}, {channels} channels, learning rate {learningRate}");
            clock.Restart();
            using var model = ml.Generative().ImageTranslation(options).Fit(trainData);
            double seconds = clock.Elapsed.TotalSeconds;
            var output = model.Transform(testData).GetColumn<VBuffer<float>>("Translated").Select(v => v.DenseValues().ToArray()).ToArray();
            results.Add((name, output, seconds));
            if (Environment.GetEnvironmentVariable("GENMODELS_TRANSLATION_GRID") is { } grid)
                ImageGrid.Save(Path.Combine(grid, adversarial ? "pix2pix.png" : "l1.png"), output[..40], 1, FashionEdges.Size, FashionEdges.Size);
        }

        // 3. The table.
        Console.WriteLine();
        Console.WriteLine($"| output | mean L1 | PSNR (dB) | classifier accuracy | Fréchet distance (floor) | training s |");
        Console.WriteLine($"|---|---|---|---|---|---|");
        using (var realFeatures = classifier.Features(evaluated))
            Console.WriteLine($"| real images | 0 | ∞ | {realAccuracy:F3} | {DistributionMetrics.FrechetDistance(realFeatures, referenceFeatures):F3} | |");
        foreach (var (name, output, seconds) in results)
        {
            double l1 = 0, psnr = 0;
            for (int i = 0; i < output.Length; i++)
            {
                double absolute = 0, squared = 0;
                for (int j = 0; j < output[i].Length; j++)
                {
                    double d = output[i][j] - evaluated[i][j];
                    absolute += Math.Abs(d);
                    squared += d * d;
                }
                l1 += absolute / output[i].Length;
                psnr += 10 * Math.Log10(1 / Math.Max(squared / output[i].Length, 1e-10));
            }
            using var features = classifier.Features(output);
            Console.WriteLine($"| {name} | {l1 / output.Length:F4} | {psnr / output.Length:F2} | {classifier.Accuracy(output, labels):F3} | "
                + $"{DistributionMetrics.FrechetDistance(features, referenceFeatures):F3} | {(seconds > 0 ? seconds.ToString("F0", CultureInfo.InvariantCulture) : "")} |");
        }
    }
}
