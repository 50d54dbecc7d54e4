// Conditional diffusion (U-Net) beside the conditional convolutional GAN on Fashion-MNIST padded to 32×32, measured side
// by side in one run on a subset of the training images:
//   quality:    Fréchet distance and KID on the hidden features of a fixed-seed CNN classifier (FashionClassifier) between
//               generated rows and real test images, beside the real-vs-real floor at the same sample size;
//   GAN-test:   that classifier's accuracy on the generated rows of each requested class;
//   GAN-train:  a classifier trained only on generated rows, scored on real test images, against the same classifier
//               trained on as many real training images;
//   samplers:   DDIM 10/25/50(/100) steps (and DDPM on a smaller sample with --ddpm N): Fréchet distance and rows/s;
//   throughput: training images/s through the estimator against a raw TorchSharp loop over the same U-Net and a resident
//               tensor, and generated rows/s through the IDataView source against the raw DiffusionModel.Sample loop.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.Datasets;
using GenModels.MLNet.Diffusion;
using GenModels.MLNet.Gan;
using GenModels.Torch;
using GenModels.Torch.Diffusion;
using GenModels.Torch.Evaluation;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

public static class DiffusionFashionBenchmark
{
    private const int Size = FashionEdges.Size;

    public sealed class Row
    {
        [VectorType(1, Size, Size)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    public static async Task Run(string[] args)
    {
        int trainRows = 10_000, epochs = 10, channels = 16, batch = 64, samples = 1_000, ganEpochs = 12, threads = 1;
        int classifierRows = 10_000, classifierEpochs = 2, ganTrainEpochs = 10, ddpmSamples = 0, speedRows = 1_000, speedSamples = 128;
        int[] steps = [10, 25, 50, 100];
        double guidance = 1;
        double[] extraGuidance = [];
        for (int i = 0; i < args.Length; i++)
        {
            int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--train": trainRows = Next(); break;
                case "--epochs": epochs = Next(); break;
                case "--channels": channels = Next(); break;
                case "--batch": batch = Next(); break;
                case "--samples": samples = Math.Min(Next(), 5_000); break;
                case "--gan-epochs": ganEpochs = Next(); break;
                case "--threads": threads = Next(); break;
                case "--classifier-train": classifierRows = Next(); break;
                case "--classifier-epochs": classifierEpochs = Next(); break;
                case "--gan-train-epochs": ganTrainEpochs = Next(); break;
                case "--ddpm": ddpmSamples = Next(); break;
                case "--steps": steps = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--guidance":
                    var scales = args[++i].Split(',').Select(g => double.Parse(g, CultureInfo.InvariantCulture)).ToArray();
                    (guidance, extraGuidance) = (scales[0], scales[1..]); // the first is the model's default; the others get their own rows
                    break;
                case "--speed-rows": speedRows = Next(); break;
                case "--speed-samples": speedSamples = Next(); break;
            }
        }
        TorchThreads.Count = threads;
        using var torchThreads = TorchThreads.Use(); // the raw loops and the judge run with the library's thread count too
        var total = Stopwatch.StartNew();
        var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
        var train = FashionEdges.Load(folder, train: true, maxCount: Math.Max(trainRows, classifierRows));
        var test = FashionEdges.Load(folder, train: false);
        Console.WriteLine($"Fashion-MNIST padded to 32×32: {trainRows:N0} training images, {samples:N0} generated rows per evaluation against "
            + $"{samples:N0} real test images; {threads} thread(s)");

        // 1. The judge: a fixed-seed CNN classifier on real training images; the real-vs-real floor at the same sample size.
        var clock = Stopwatch.StartNew();
        using var judge = FashionClassifier.Train(train.Images[..classifierRows], train.Labels[..classifierRows], classifierEpochs, seed: 1);
        var reference = test.Images[samples..(2 * samples)];
        using var referenceFeatures = judge.Features(reference);
        var (floorFrechet, floorKid) = Distances(judge, test.Images[..samples], referenceFeatures);
        Console.WriteLine($"  judge: {classifierRows:N0} images × {classifierEpochs} epochs in {clock.Elapsed.TotalSeconds:F0} s; real test accuracy "
            + $"{judge.Accuracy(test.Images[..samples], test.Labels[..samples]):F3}; real-vs-real Fréchet {floorFrechet:F2}, KID {floorKid:F4}");

        var ml = new MLContext(seed: 1);
        var trainData = ml.Data.LoadFromEnumerable(Enumerable.Range(0, trainRows)
            .Select(i => new Row { Features = train.Images[i], Label = FashionMnist.ClassNames[train.Labels[i]] }).ToArray());

        // 2. The two conditional models.
        DiffusionEstimator.Options DiffusionOptions(int epochCount, bool report) => new()
        {
            FeatureColumnName = "Features", LabelColumnName = "Label", UNetChannels = channels, Epochs = epochCount, BatchSize = batch,
            GuidanceScale = guidance, Seed = 1, Progress = report ? new Progress<TrainingProgress>(p => { if (p.IsEpochEnd) Console.WriteLine($"    {p}"); }) : null,
        };
        var diffusionOptions = DiffusionOptions(epochs, report: true);
        Console.WriteLine($"  training the diffusion model: U-Net {channels}/{2 * channels} channels, {epochs} epochs at batch {batch}, guidance {guidance}");
        clock.Restart();
        using var diffusion = ml.Generative().Diffusion(diffusionOptions).Fit(trainData);
        double diffusionSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"    trained in {diffusionSeconds:F0} s ({(double)trainRows * epochs / diffusionSeconds:F0} images/s)");

        var ganOptions = GanDefaults.FashionMnist(ganEpochs, convolutional: true);
        Console.WriteLine($"  training the conditional GAN: DCGAN-style networks, {ganOptions.Loss} loss, {ganEpochs} epochs at batch {ganOptions.BatchSize}");
        clock.Restart();
        using var gan = ml.Generative().Gan(ganOptions).Fit(trainData);
        double ganSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"    trained in {ganSeconds:F0} s ({(double)trainRows * ganEpochs / ganSeconds:F0} images/s)");

        clock.Restart();
        var (diffusionImages, diffusionLabels) = Read(diffusion.Generate(samples, seed: 7));
        double ddim50Seconds = clock.Elapsed.TotalSeconds;
        var (ganImages, ganLabels) = Read(gan.Generate(samples, seed: 7));

        // 3. Quality, GAN-test and GAN-train, one table.
        clock.Restart();
        var (ganTrainTest, ganTrainTestLabels) = (test.Images[^2_000..], test.Labels[^2_000..]); // disjoint from the Fréchet sets
        using var realTrained = FashionClassifier.Train(train.Images[..samples], train.Labels[..samples], ganTrainEpochs, seed: 2);
        double realTrainedAccuracy = realTrained.Accuracy(ganTrainTest, ganTrainTestLabels);
        var rows = new List<(string Name, double Frechet, double Kid, double[] PerClass, double GanTrain, double Seconds)>();
        var candidates = new List<(string Name, float[][] Images, byte[] Labels, double Seconds)>
        {
            ($"diffusion (U-Net, DDIM {diffusion.Sampling.Steps ?? 50}, guidance {guidance})", diffusionImages, diffusionLabels, diffusionSeconds),
        };
        foreach (double g in extraGuidance)
        {
            var (guidedImages, guidedLabels) = Read(diffusion.Generate(samples, seed: 7, sampling: new SamplingOptions { GuidanceScale = g }));
            candidates.Add(($"diffusion (U-Net, DDIM {diffusion.Sampling.Steps ?? 50}, guidance {g})", guidedImages, guidedLabels, diffusionSeconds));
        }
        candidates.Add(("conditional GAN (DCGAN)", ganImages, ganLabels, ganSeconds));
        foreach (var (name, images, labels, seconds) in candidates)
        {
            var (frechet, kid) = Distances(judge, images, referenceFeatures);
            using var generatedTrained = FashionClassifier.Train(images, labels, ganTrainEpochs, seed: 2);
            rows.Add((name, frechet, kid, PerClassAccuracy(judge, images, labels), generatedTrained.Accuracy(ganTrainTest, ganTrainTestLabels), seconds));
        }
        Console.WriteLine($"  GAN-train classifiers ({samples:N0} images × {ganTrainEpochs} epochs each) in {clock.Elapsed.TotalSeconds:F0} s");

        Console.WriteLine();
        Console.WriteLine($"| rows | Fréchet distance | KID | GAN-test accuracy (mean of classes) | GAN-train accuracy (2,000 real test images) | training s |");
        Console.WriteLine($"|---|---|---|---|---|---|");
        Console.WriteLine($"| real test images (floor; real-trained baseline) | {floorFrechet:F2} | {floorKid:F4} | {PerClassAccuracy(judge, test.Images[..samples], test.Labels[..samples]).Average():F3} | {realTrainedAccuracy:F3} | |");
        foreach (var r in rows)
            Console.WriteLine($"| {r.Name} | {r.Frechet:F2} ({r.Frechet / floorFrechet:F1}× floor) | {r.Kid:F4} | {r.PerClass.Average():F3} | {r.GanTrain:F3} ({100 * (r.GanTrain - realTrainedAccuracy):+0.0;-0.0} points) | {r.Seconds:F0} |");
        Console.WriteLine();
        Console.WriteLine($"| requested class | {string.Join(" | ", rows.Select(r => r.Name))} |");
        Console.WriteLine($"|---|{string.Concat(rows.Select(_ => "---|"))}");
        for (int c = 0; c < 10; c++)
            Console.WriteLine($"| {FashionMnist.ClassNames[c]} | {string.Join(" | ", rows.Select(r => r.PerClass[c].ToString("F2", CultureInfo.InvariantCulture)))} |");
        if (Environment.GetEnvironmentVariable("GENMODELS_DIFFUSION_GRID") is { } grid)
        {
            ImageGrid.Save(Path.Combine(grid, "diffusion.png"), diffusionImages[..Math.Min(100, samples)], 1, Size, Size);
            ImageGrid.Save(Path.Combine(grid, "gan.png"), ganImages[..Math.Min(100, samples)], 1, Size, Size);
        }

        // 4. Sampler steps against quality (the same starting noise for every DDIM row).
        Console.WriteLine();
        Console.WriteLine($"| sampler | rows | Fréchet distance | rows/s |");
        Console.WriteLine($"|---|---|---|---|");
        foreach (int s in steps)
        {
            double seconds = ddim50Seconds;
            var images = diffusionImages;
            if (s != (diffusion.Sampling.Steps ?? 50))
            {
                clock.Restart();
                images = Read(diffusion.Generate(samples, seed: 7, sampling: new SamplingOptions { Steps = s, GuidanceScale = guidance })).Images;
                seconds = clock.Elapsed.TotalSeconds;
            }
            Console.WriteLine($"| DDIM {s} | {samples:N0} | {Distances(judge, images, referenceFeatures).Frechet:F2} | {samples / seconds:F1} |");
        }
        if (ddpmSamples > 0)
        {
            clock.Restart();
            var images = Read(diffusion.Generate(ddpmSamples, seed: 7, sampling: new SamplingOptions { Ancestral = true, GuidanceScale = guidance })).Images;
            double seconds = clock.Elapsed.TotalSeconds;
            using var smallReference = judge.Features(reference[..ddpmSamples]);
            var ddim = Distances(judge, diffusionImages[..ddpmSamples], smallReference).Frechet;
            var floor = Distances(judge, test.Images[..ddpmSamples], smallReference).Frechet;
            Console.WriteLine($"| DDPM {diffusion.Model.Options.Steps} | {ddpmSamples:N0} | {Distances(judge, images, smallReference).Frechet:F2} (DDIM 50 {ddim:F2}, floor {floor:F2} at this size) | {ddpmSamples / seconds:F2} |");
        }

        // 5. Throughput against raw TorchSharp loops over the same network.
        Throughput(ml, diffusion, DiffusionOptions(1, report: false), train.Images[..speedRows], train.Labels[..speedRows], speedSamples);
        Console.WriteLine($"Total {total.Elapsed.TotalMinutes:F1} min");
    }

    /// <summary>
    /// Training images/s of Fit (reading the IDataView included) against DiffusionStep on batches taken from a resident
    /// tensor, one epoch each; generated rows/s of the IDataView source against Sample on noise tensors at the same batch
    /// size and DDIM steps. Alternating, best of two each, since other processes share the cores.
    /// </summary>
    private static void Throughput(MLContext ml, DiffusionTransformer trained, DiffusionEstimator.Options options /* one epoch */, float[][] images, byte[] labels, int samples)
    {
        int rows = images.Length, batch = options.BatchSize ?? 128;
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i => new Row { Features = images[i], Label = FashionMnist.ClassNames[labels[i]] }).ToArray());
        double LibraryTraining()
        {
            var clock = Stopwatch.StartNew();
            using (ml.Generative().Diffusion(options).Fit(data)) { }
            return rows / clock.Elapsed.TotalSeconds;
        }
        // The estimator's class indices follow its ClassNames; any fixed mapping costs the same.
        using var resident = cat([tensor(images.SelectMany(i => i).ToArray(), [rows, Size * Size]), tensor(labels.Select(l => (float)l).ToArray(), [rows, 1L])], 1);
        double RawTraining()
        {
            using var raw = new DiffusionModel(trained.Model.Options);
            using (var pixels = resident.narrow(1, 0, Size * Size)) raw.FitStandardisation(pixels);
            using var generator = new Generator(1);
            using var step = new DiffusionStep(raw, options.LearningRate, generator);
            var clock = Stopwatch.StartNew();
            raw.train();
            using var order = randperm(rows, generator: generator);
            for (long start = 0; start < rows; start += batch)
            {
                using var scope = NewDisposeScope();
                step.TrainStep(resident.index_select(0, order.narrow(0, start, Math.Min(batch, rows - start))));
            }
            return rows / clock.Elapsed.TotalSeconds;
        }

        var ddim = new SamplingOptions { Steps = 10, GuidanceScale = trained.Sampling.GuidanceScale };
        double LibraryGeneration()
        {
            var clock = Stopwatch.StartNew();
            int n = trained.Generate(samples, seed: 5, sampling: ddim).GetColumn<VBuffer<float>>("Features").Count();
            return n / clock.Elapsed.TotalSeconds;
        }
        var readBack = new float[trained.BatchSize * Size * Size];
        double RawGeneration()
        {
            var clock = Stopwatch.StartNew();
            using var noise = new Generator(5);
            using var target = from_array(readBack).view(trained.BatchSize, Size * Size);
            for (int start = 0; start < samples; start += trained.BatchSize)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(trained.BatchSize, samples - start);
                var classes = arange(start, start + n, dtype: ScalarType.Int64) % 10;
                target.narrow(0, 0, n).copy_(trained.Model.Sample(trained.Model.SampleNoise(n, noise), classes, ddim, noise));
            }
            return samples / clock.Elapsed.TotalSeconds;
        }
        var (libraryTrain, rawTrain, libraryGenerate, rawGenerate) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (int r = 0; r < 2; r++)
        {
            libraryTrain.Add(LibraryTraining()); rawTrain.Add(RawTraining());
            libraryGenerate.Add(LibraryGeneration()); rawGenerate.Add(RawGeneration());
        }
        double lt = libraryTrain.Max(), rt = rawTrain.Max(), lg = libraryGenerate.Max(), rg = rawGenerate.Max();
        Console.WriteLine();
        Console.WriteLine($"Throughput, best of 2 alternating runs (training: {rows:N0} images, 1 epoch, batch {batch}; generation: {samples:N0} rows, DDIM 10, batch {trained.BatchSize})");
        Console.WriteLine($"| path | library | raw TorchSharp | ratio |");
        Console.WriteLine($"|---|---|---|---|");
        Console.WriteLine($"| training, images/s | {lt:F1} | {rt:F1} | {lt / rt:F2} |");
        Console.WriteLine($"| generation, rows/s | {lg:F1} | {rg:F1} | {lg / rg:F2} |");
    }

    /// <summary>Generated images clamped to the pixel range [0, 1] (as saving them would), and each row's class index.</summary>
    internal static (float[][] Images, byte[] Labels) Read(IDataView data)
    {
        var images = data.GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().Select(p => Math.Clamp(p, 0f, 1f)).ToArray()).ToArray();
        var labels = data.GetColumn<ReadOnlyMemory<char>>("Label").Select(l => (byte)FashionMnist.ClassNames.ToList().IndexOf(l.ToString())).ToArray();
        return (images, labels);
    }

    internal static (double Frechet, double Kid) Distances(FashionClassifier judge, float[][] images, Tensor referenceFeatures)
    {
        using var features = judge.Features(images);
        using var generator = new Generator(3);
        return (DistributionMetrics.FrechetDistance(referenceFeatures, features),
            DistributionMetrics.KernelDistance(referenceFeatures, features, blocks: 10, blockSize: Math.Min(1000, images.Length), generator).Mean);
    }

    internal static double[] PerClassAccuracy(FashionClassifier judge, float[][] images, byte[] labels) =>
        Enumerable.Range(0, 10).Select(c =>
        {
            var index = Enumerable.Range(0, images.Length).Where(i => labels[i] == c).ToArray();
            return index.Length == 0 ? double.NaN : judge.Accuracy(index.Select(i => images[i]).ToArray(), index.Select(i => labels[i]).ToArray());
        }).ToArray();
}
