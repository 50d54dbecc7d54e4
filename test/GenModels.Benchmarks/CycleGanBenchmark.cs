// Unpaired image-to-image translation (CycleGAN) on Fashion-MNIST, 32×32 (28×28 padded). The training set is split in
// two disjoint halves: domain A holds the first half's images as they are; domain B holds the second half's images with
// thickened strokes (3×3 dilation) and inverted (1 − x) — so no A image has its partner in B. Measured side by side in
// one run on held-out test images:
//   identity:  the input itself as the "translation" (the floor);
//   CycleGAN:  ml.Generative().CycleGan(...) trained on the two domains.
// Metrics per direction: label preservation (accuracy of a small CNN trained on real images of the target domain when it
// classifies the translations, beside its accuracy on real test images of that domain); L1 between the translation and
// the known domain function's output (A → B: f(x); B → A: the original x of f(x)); cycle L1 (A → B → A against A).
// Speed: CycleGAN Fit's training images/s beside a raw TorchSharp loop over the same four networks and losses on a
// resident tensor; translation through Transform beside the raw batched generator forward; working set while
// translated rows stream through Transform.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.CycleGan;
using GenModels.Datasets;
using GenModels.Torch;
using GenModels.Torch.CycleGan;
using GenModels.Torch.Networks;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

public static class CycleGanBenchmark
{
    private const int Size = FashionEdges.Size;

    public sealed class ImageRow
    {
        [VectorType(1, Size, Size)] public float[] Image { get; set; } = [];
    }

    public static async Task Run(string[] args)
    {
        int trainRows = 2_000, testRows = 1_000, epochs = 6, classifierRows = 20_000, threads = 1, channels = 16, blocks = 2, batch = 16, speedRows = 256, streamRows = 20_000;
        // The identity term asks G_AB to leave domain-B images as they are; here the domain map inverts every pixel, and on
        // the tests' synthetic inversion domains the default 0.5·λ kept the generators at half an inversion (L1 0.41 to the
        // true map after 400 steps, against 0.09 without it), so this benchmark turns it off unless --identity is given.
        double learningRate = 2e-3, identity = 0;
        for (int i = 0; i < args.Length; i++)
        {
            int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--train": trainRows = Next(); break;
                case "--test": testRows = Math.Min(Next(), 5_000); break;
                case "--epochs": epochs = Next(); break;
                case "--classifier-train": classifierRows = Next(); break;
                case "--threads": threads = Next(); break;
                case "--channels": channels = Next(); break;
                case "--blocks": blocks = Next(); break;
                case "--batch": batch = Next(); break;
                case "--speed-rows": speedRows = Next(); break;
                case "--stream-rows": streamRows = Next(); break;
                case "--lr": learningRate = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--identity": identity = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
            }
        }
        TorchThreads.Count = threads;
        using var torchThreads = TorchThreads.Use(threads); // the classifiers and the raw loops run outside the library's thread scopes
        var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
        var total = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
        var train = FashionEdges.Load(folder, train: true, maxCount: Math.Max(2 * trainRows, classifierRows));
        var test = FashionEdges.Load(folder, train: false);
        var a = train.Images[..trainRows];
        var b = train.Images[trainRows..(2 * trainRows)].Select(Thicken).ToArray();
        // Held-out: A = test images; B = f of a disjoint set of test images (whose originals are B → A's true answers).
        var testA = test.Images[..testRows];
        var labelsA = test.Labels[..testRows];
        var originalsB = test.Images[testRows..(2 * testRows)];
        var testB = originalsB.Select(Thicken).ToArray();
        var labelsB = test.Labels[testRows..(2 * testRows)];
        Console.WriteLine($"CycleGAN on Fashion-MNIST, 32×32: A = images, B = thickened (3×3 dilation) and inverted images of a disjoint half; "
            + $"{trainRows:N0} training images per domain, {testRows:N0} held-out per domain, {threads} thread(s)");

        // 1. Judges: a classifier trained on real images of each domain.
        var classifierImages = train.Images[..classifierRows];
        var classifierLabels = train.Labels[..classifierRows];
        using var judgeA = FashionClassifier.Train(classifierImages, classifierLabels, 1, seed: 1);
        using var judgeB = FashionClassifier.Train(classifierImages.Select(Thicken).ToArray(), classifierLabels, 1, seed: 1);
        double realA = judgeA.Accuracy(testA, labelsA), realB = judgeB.Accuracy(testB, labelsB);
        Console.WriteLine($"  classifiers: {classifierRows:N0} images × 1 epoch per domain in {clock.Elapsed.TotalSeconds:F0} s; "
            + $"accuracy on real test images: domain A {realA:F3}, domain B {realB:F3}");

        // 2. The CycleGAN.
        var ml = new MLContext(seed: 1);
        var options = new CycleGanEstimator.Options
        {
            InputColumnName = "Image", OutputColumnName = "Translated", Channels = channels, ResidualBlocks = blocks, DiscriminatorChannels = channels,
            IdentityWeight = identity, Epochs = epochs, BatchSize = batch, LearningRate = learningRate, Seed = 1,
            Progress = new Progress<TrainingProgress>(p => { if (p.IsEpochEnd) Console.WriteLine($"    {p}"); }),
        };
        Console.WriteLine($"  training: {epochs} epochs at batch {batch}, generators of {channels} channels and {blocks} residual blocks, "
            + $"discriminators of {channels} channels, learning rate {learningRate} (decaying over the second half), identity weight {identity}·λ");
        clock.Restart();
        using var aToB = ml.Generative().CycleGan(options).Fit(Images(ml, a), Images(ml, b));
        using var bToA = aToB.Reverse();
        double trainSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"  trained in {trainSeconds:F0} s ({aToB.Training!.Steps} steps)");
        var fakeB = Translate(aToB, ml, testA);
        var fakeA = Translate(bToA, ml, testB);
        var cycleA = Translate(bToA, ml, fakeB);
        var cycleB = Translate(aToB, ml, fakeA);
        if (Environment.GetEnvironmentVariable("GENMODELS_CYCLEGAN_GRID") is { } grid)
        {
            ImageGrid.Save(Path.Combine(grid, "a-to-b.png"), [.. testA[..10], .. fakeB[..10], .. testA.Take(10).Select(Thicken), .. cycleA[..10]], 1, Size, Size);
            ImageGrid.Save(Path.Combine(grid, "b-to-a.png"), [.. testB[..10], .. fakeA[..10], .. originalsB[..10], .. cycleB[..10]], 1, Size, Size);
        }

        // 3. The table.
        var trueB = testA.Select(Thicken).ToArray();
        Console.WriteLine();
        Console.WriteLine("| direction | output | classifier accuracy (share of real) | L1 to the true map | cycle L1 |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| A → B | real domain-B test images | {realB:F3} (1.00) | 0 | |");
        Console.WriteLine($"| A → B | identity (the A image) | {Row(judgeB, testA, labelsA, realB)} | {L1(testA, trueB):F4} | 0 |");
        Console.WriteLine($"| A → B | CycleGAN | {Row(judgeB, fakeB, labelsA, realB)} | {L1(fakeB, trueB):F4} | {L1(cycleA, testA):F4} |");
        Console.WriteLine($"| B → A | real domain-A test images | {realA:F3} (1.00) | 0 | |");
        Console.WriteLine($"| B → A | identity (the B image) | {Row(judgeA, testB, labelsB, realA)} | {L1(testB, originalsB):F4} | 0 |");
        Console.WriteLine($"| B → A | CycleGAN | {Row(judgeA, fakeA, labelsB, realA)} | {L1(fakeA, originalsB):F4} | {L1(cycleB, testB):F4} |");
        bool labelsKept = judgeB.Accuracy(fakeB, labelsA) >= 0.9 * realB && judgeA.Accuracy(fakeA, labelsB) >= 0.9 * realA;
        bool cycles = L1(cycleA, testA) <= 0.05 && L1(cycleB, testB) <= 0.05;
        Console.WriteLine($"Goals: label preservation ≥ 90 % of real in both directions: {(labelsKept ? "met" : "NOT met")}; cycle L1 ≤ 0.05 both ways: {(cycles ? "met" : "NOT met")}.");

        // 4. Speed.
        Speed(ml, a, b, options, speedRows, streamRows, testA);
        Console.WriteLine();
        Console.WriteLine($"Total {total.Elapsed.TotalMinutes:F1} min.");
    }

    private static void Speed(MLContext ml, float[][] a, float[][] b, CycleGanEstimator.Options options, int rows, int streamRows, float[][] testA)
    {
        // Training: one epoch over `rows` images per domain, alternating the library's Fit and a raw loop (median of 3 each).
        var speedOptions = new CycleGanEstimator.Options
        {
            InputColumnName = options.InputColumnName, OutputColumnName = options.OutputColumnName, Channels = options.Channels,
            ResidualBlocks = options.ResidualBlocks, DiscriminatorChannels = options.DiscriminatorChannels, IdentityWeight = options.IdentityWeight,
            Epochs = 1, BatchSize = options.BatchSize, LearningRate = options.LearningRate, Seed = 2,
        };
        var dataA = Images(ml, a[..rows]);
        var dataB = Images(ml, b[..rows]);
        var fitRuns = new List<double>();
        var rawRuns = new List<double>();
        var network = new CycleGanOptions
        {
            Generator = new ResnetGeneratorOptions { ImageChannels = 1, Height = Size, Width = Size, Channels = options.Channels, ResidualBlocks = options.ResidualBlocks },
            DiscriminatorChannels = options.DiscriminatorChannels, IdentityWeight = options.IdentityWeight,
        };
        for (int r = 0; r < 3; r++)
        {
            var clock = Stopwatch.StartNew();
            using (ml.Generative().CycleGan(speedOptions).Fit(dataA, dataB)) fitRuns.Add(rows / clock.Elapsed.TotalSeconds);
            rawRuns.Add(RawTraining(network, a[..rows], b[..rows], options.BatchSize!.Value, options.LearningRate));
        }
        Console.WriteLine();
        Console.WriteLine($"Speed (median of 3 alternating runs, one epoch of {rows:N0} images per domain at batch {options.BatchSize}; images/s counts A+B pairs)");
        Console.WriteLine($"  CycleGAN Fit (reads both IDataViews, history pools, decay)   {Median(fitRuns),10:N1} pairs/s");
        Console.WriteLine($"  raw TorchSharp loop, same four networks and losses          {Median(rawRuns),10:N1} pairs/s");
        Console.WriteLine($"  ratio                                                       {Median(fitRuns) / Median(rawRuns),10:F2}  (target ≥ 0.90)");

        // Translation: Transform over an IDataView against the raw batched generator forward over a resident tensor.
        using var model = ml.Generative().CycleGan(new CycleGanEstimator.Options
        {
            InputColumnName = options.InputColumnName, OutputColumnName = options.OutputColumnName, Channels = options.Channels,
            ResidualBlocks = options.ResidualBlocks, DiscriminatorChannels = options.DiscriminatorChannels, Epochs = 1, BatchSize = options.BatchSize, Seed = 3,
        }).Fit(Images(ml, a[..64]), Images(ml, b[..64]));
        var testData = Images(ml, testA);
        var transformRuns = new List<double>();
        var forwardRuns = new List<double>();
        var generator = new CycleGanGenerators(network.Generator);
        generator.eval();
        using var resident = tensor(testA.SelectMany(i => i).ToArray(), [testA.Length, 1, Size, Size]);
        for (int r = 0; r < 5; r++)
        {
            var clock = Stopwatch.StartNew();
            long n = 0;
            using (var cursor = model.Transform(testData).GetRowCursor(model.Transform(testData).Schema.Where(c => c.Name == options.OutputColumnName)))
            {
                var getter = cursor.GetGetter<VBuffer<float>>(cursor.Schema[options.OutputColumnName]);
                VBuffer<float> value = default;
                while (cursor.MoveNext()) { getter(ref value); n++; }
            }
            transformRuns.Add(n / clock.Elapsed.TotalSeconds);
            clock.Restart();
            using (no_grad())
                for (long start = 0; start < testA.Length; start += model.BatchSize)
                {
                    using var scope = NewDisposeScope();
                    var output = generator.GeneratorAB.forward(resident.narrow(0, start, Math.Min(model.BatchSize, testA.Length - start)));
                    _ = output.data<float>()[0];
                }
            forwardRuns.Add(testA.Length / clock.Elapsed.TotalSeconds);
        }
        generator.Dispose();
        Console.WriteLine($"Translation of {testA.Length:N0} test images, batch {model.BatchSize}, median of 5 alternating runs");
        Console.WriteLine($"  Transform, Vector<Single, 1, 32, 32> column                 {Median(transformRuns),10:N0} rows/s");
        Console.WriteLine($"  raw batched generator forward, resident tensor              {Median(forwardRuns),10:N0} rows/s");
        Console.WriteLine($"  ratio                                                       {Median(transformRuns) / Median(forwardRuns),10:F2}  (target ≥ 0.90)");

        // Memory: rows made one at a time stream through Transform; nothing holds the rows already read.
        var streamed = model.Transform(ml.Data.LoadFromEnumerable(Streamed(testA, streamRows)));
        var process = Process.GetCurrentProcess();
        long first = 0, peak = 0, count = 0;
        Console.WriteLine($"Streaming {streamRows:N0} rows through Transform; working set in MB");
        using (var cursor = streamed.GetRowCursor(streamed.Schema.Where(c => c.Name == options.OutputColumnName)))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(cursor.Schema[options.OutputColumnName]);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                if (++count % (streamRows / 5) == 0)
                {
                    process.Refresh();
                    if (first == 0) first = process.WorkingSet64;
                    peak = Math.Max(peak, process.WorkingSet64);
                    Console.WriteLine($"  after {count,9:N0} rows: {process.WorkingSet64 / 1048576.0,8:F0} MB");
                }
            }
        }
        Console.WriteLine($"  after the first fifth {first / 1048576.0:F0} MB, peak {peak / 1048576.0:F0} MB");
    }

    /// <summary>
    /// The same four networks, losses and Adam settings as CycleGanStep, written as a plain loop over a resident tensor:
    /// no IDataView, no history pool, no learning-rate schedule. Returns A+B pairs per second over one epoch.
    /// </summary>
    private static double RawTraining(CycleGanOptions options, float[][] a, float[][] b, int batch, double learningRate)
    {
        var clock = Stopwatch.StartNew();
        using var net = TorchRandom.Seeded(2, () => new CycleGanNetwork(options));
        using var dataA = tensor(a.SelectMany(i => i).ToArray(), [a.Length, 1, Size, Size]);
        using var dataB = tensor(b.SelectMany(i => i).ToArray(), [b.Length, 1, Size, Size]);
        using var gOpt = optim.Adam(net.GeneratorAB.parameters().Concat(net.GeneratorBA.parameters()), learningRate, 0.5, 0.999);
        using var dOpt = optim.Adam(net.DiscriminatorA.parameters().Concat(net.DiscriminatorB.parameters()), learningRate, 0.5, 0.999);
        using var gen = new Generator(2);
        using var order = randperm(a.Length, generator: gen);
        var dParameters = net.DiscriminatorA.parameters().Concat(net.DiscriminatorB.parameters()).ToArray();
        net.train();
        double l = options.CycleWeight, idt = options.IdentityWeight * options.CycleWeight;
        for (int start = 0; start < a.Length; start += batch)
        {
            using var scope = NewDisposeScope();
            var index = order.narrow(0, start, Math.Min(batch, a.Length - start));
            var ra = dataA.index_select(0, index);
            var rb = dataB.index_select(0, index);
            var fb = net.GeneratorAB.forward(ra);
            var fa = net.GeneratorBA.forward(rb);
            var cycle = (net.GeneratorBA.forward(fb) - ra).abs().mean() + (net.GeneratorAB.forward(fa) - rb).abs().mean();
            Tensor identity;
            using (idt > 0 ? null : no_grad()) // measured for the report even when its weight is 0, as the library does
                identity = (net.GeneratorAB.forward(rb) - rb).abs().mean() + (net.GeneratorBA.forward(ra) - ra).abs().mean();
            foreach (var p in dParameters) p.requires_grad = false;
            var gLoss = (net.DiscriminatorB.forward(fb) - 1).square().mean() + (net.DiscriminatorA.forward(fa) - 1).square().mean() + l * cycle;
            if (idt > 0) gLoss = gLoss + idt * identity;
            gOpt.zero_grad(); gLoss.backward(); gOpt.step();
            foreach (var p in dParameters) p.requires_grad = true;
            var dLoss = ((net.DiscriminatorB.forward(rb) - 1).square().mean() + net.DiscriminatorB.forward(fb.detach()).square().mean()) / 2
                      + ((net.DiscriminatorA.forward(ra) - 1).square().mean() + net.DiscriminatorA.forward(fa.detach()).square().mean()) / 2;
            dOpt.zero_grad(); dLoss.backward(); dOpt.step();
            _ = (cycle.item<float>(), identity.item<float>(), dLoss.item<float>()); // the library reads its losses each step too
        }
        return a.Length / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The domain function: 3×3 dilation (thicker, brighter strokes), then inversion (dark garments on white).</summary>
    public static float[] Thicken(float[] image)
    {
        var result = new float[image.Length];
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                float max = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        if (yy >= 0 && yy < Size && xx >= 0 && xx < Size) max = Math.Max(max, image[yy * Size + xx]);
                    }
                result[y * Size + x] = 1 - max;
            }
        return result;
    }

    private static string Row(FashionClassifier judge, float[][] images, byte[] labels, double real)
    {
        double accuracy = judge.Accuracy(images, labels);
        return $"{accuracy:F3} ({accuracy / real:F2})";
    }

    private static IDataView Images(MLContext ml, float[][] images) => ml.Data.LoadFromEnumerable(images.Select(i => new ImageRow { Image = i }).ToArray());

    private static IEnumerable<ImageRow> Streamed(float[][] images, int count)
    {
        for (int i = 0; i < count; i++) yield return new ImageRow { Image = (float[])images[i % images.Length].Clone() };
    }

    private static float[][] Translate(CycleGanTransformer model, MLContext ml, float[][] images) =>
        model.Transform(Images(ml, images)).GetColumn<VBuffer<float>>("Translated").Select(v => v.DenseValues().ToArray()).ToArray();

    private static double L1(float[][] x, float[][] y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
            for (int j = 0; j < x[i].Length; j++) sum += Math.Abs(x[i][j] - y[i][j]);
        return sum / (x.Length * (double)x[0].Length);
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
}
