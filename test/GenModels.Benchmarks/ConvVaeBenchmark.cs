// Convolutional against MLP encoders on Fashion-MNIST, measured side by side in one run:
//   1. conv VAE vs MLP VAE trained for the same epochs on the same images: test ELBO (nats) and reconstruction MSE;
//   2. one-class anomaly ROC-AUC of the conv VAE and autoencoder beside the MLP ones (AnomalyBenchmark's protocol);
//   3. conv training images/s of the library (Fit) beside a raw TorchSharp loop over the same network and resident tensor;
//   4. conv Transform rows/s on an image-shaped column beside the raw batched forward, and the cost of reading an MLImage column.
//
//   dotnet run -c Release --project test/GenModels.Benchmarks -- conv-vae [--train 10000] [--epochs 5] [--classes 0,6,8]
//       [--ad-epochs 3] [--speed-rows 5000] [--stream-images 100000] [--channels 32] [--latent 20] [--threads N]
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.Datasets;
using GenModels.MLNet.Vae;
using GenModels.Torch.Networks;
using GenModels.Torch.Scoring;
using GenModels.Torch.Vae;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

public static class ConvVaeBenchmark
{
    private const int Side = 28, Pixels = FashionMnist.ImageSize;

    private sealed class ShapedRow
    {
        [VectorType(1, Side, Side)] public float[] Features { get; set; } = [];
        public float Label { get; set; } // 1 = anomaly, as AnomalyDetection.Evaluate expects
    }

    private sealed class FlatRow
    {
        [VectorType(Pixels)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    private sealed class ImageRow
    {
        [ImageType(Side, Side)] public MLImage Image { get; set; } = null!;
    }

    private sealed class RgbRow
    {
        [ColumnName("Image"), VectorType(3, Side, Side)] public float[] Features { get; set; } = [];
    }

    public static async Task Run(string[] args)
    {
        int trainRows = 10_000, epochs = 5, adEpochs = 3, speedRows = 5_000, streamImages = 100_000, channels = 32, latent = 20;
        int[] classes = [0, 6, 8];
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            int Int() => int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--train": trainRows = Int(); break;
                case "--epochs": epochs = Int(); break;
                case "--ad-epochs": adEpochs = Int(); break;
                case "--speed-rows": speedRows = Int(); break;
                case "--stream-images": streamImages = Int(); break;
                case "--channels": channels = Int(); break;
                case "--latent": latent = Int(); break;
                case "--threads": GenModels.Torch.TorchThreads.Count = Int(); break;
                case "--classes": classes = args[i + 1].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(); break;
            }
        }
        var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
        var (trainPixels, trainLabels, trainCount) = FashionMnist.ReadSplit(folder, train: true);
        var (testPixels, testLabels, testCount) = FashionMnist.ReadSplit(folder, train: false);
        trainRows = Math.Min(trainRows, trainCount);
        Console.WriteLine($"Convolutional vs MLP encoders on Fashion-MNIST — {Environment.ProcessorCount} cores, torch threads {GenModels.Torch.TorchThreads.Count}");
        Console.WriteLine($"Conv: conv 4×4/2 ({channels}) → conv 4×4/2 ({2 * channels}) → dense 256 → code {latent}; decoder mirrored. MLP: 784-400-{latent}. Both Bernoulli, Adam 1e-3, batch 128.");
        var ml = new MLContext(seed: 1);
        var clock = Stopwatch.StartNew();

        // --- 1. Test ELBO and reconstruction error at equal epochs ---
        var shapedTrain = ml.Data.LoadFromEnumerable(Shaped(trainPixels, trainRows).ToArray());
        var flatTrain = ml.Data.LoadFromEnumerable(Flat(trainPixels, trainRows).ToArray());
        VaeEncodingEstimator.Options VaeOptions(bool conv) => new()
        {
            LatentDimension = latent, HiddenSizes = conv ? [256] : [400], ConvolutionChannels = channels, Likelihood = ReconstructionLikelihood.Bernoulli,
            Epochs = epochs, BatchSize = 128, Seed = 1,
        };
        using var convVae = ml.Transforms.VaeEncode(VaeOptions(conv: true)).Fit(shapedTrain);
        using var mlpVae = ml.Transforms.VaeEncode(VaeOptions(conv: false)).Fit(flatTrain);
        using var test = tensor(testPixels, new long[] { testCount, Pixels });
        Console.WriteLine();
        Console.WriteLine($"1. VAE trained on {trainRows:N0} training images for {epochs} epochs; scored on the {testCount:N0} test images");
        Console.WriteLine($"   {"network",-6} {"parameters",11} {"test −ELBO (nats)",18} {"recon. MSE",11} {"train s",8}");
        foreach (var (name, model) in new[] { ("conv", convVae), ("MLP", mlpVae) })
        {
            var (elbo, mse) = Evaluate(model.Model, test);
            long parameters = model.Model.parameters().Sum(p => p.numel());
            Console.WriteLine($"   {name,-6} {parameters,11:N0} {elbo,18:F2} {mse,11:F5} {model.Training!.Elapsed.TotalSeconds,8:F1}");
        }

        // --- 2. One-class anomaly detection ---
        Console.WriteLine();
        Console.WriteLine($"2. One-class ROC-AUC: train on one class's 6,000 training images for {adEpochs} epochs, score the {testCount:N0} test images (plain reconstruction error)");
        Console.WriteLine($"   {"class",-15} {"conv VAE",9} {"MLP VAE",9} {"conv AE",9} {"MLP AE",9}");
        var aucs = new List<double[]>();
        foreach (int c in classes)
        {
            var row = new double[4];
            int k = 0;
            foreach (bool vae in new[] { true, false })
                foreach (bool conv in new[] { true, false })
                {
                    var normal = Enumerable.Range(0, trainCount).Where(i => trainLabels[i] == c).ToArray();
                    IDataView train = conv ? ml.Data.LoadFromEnumerable(normal.Select(i => ShapedAt(trainPixels, i, 0)).ToArray())
                                           : ml.Data.LoadFromEnumerable(normal.Select(i => FlatAt(trainPixels, i, 0)).ToArray());
                    IDataView scoredOn = conv ? ml.Data.LoadFromEnumerable(Enumerable.Range(0, testCount).Select(i => ShapedAt(testPixels, i, testLabels[i] == c ? 0 : 1)).ToArray())
                                              : ml.Data.LoadFromEnumerable(Enumerable.Range(0, testCount).Select(i => FlatAt(testPixels, i, testLabels[i] == c ? 0 : 1)).ToArray());
                    var hidden = conv ? new[] { 256 } : new[] { 400 };
                    using GenerativeAnomalyDetectionTransformer detector = vae
                        ? ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options
                        {
                            LatentDimension = latent, HiddenSizes = hidden, ConvolutionChannels = channels, Likelihood = ReconstructionLikelihood.Bernoulli,
                            Epochs = adEpochs, BatchSize = 128, Seed = 1, ScoreKind = AnomalyScoreKind.ReconstructionError,
                        }).Fit(train)
                        : ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options
                        {
                            LatentDimension = latent, HiddenSizes = hidden, ConvolutionChannels = channels, Likelihood = ReconstructionLikelihood.Bernoulli,
                            Epochs = adEpochs, BatchSize = 128, Seed = 1, ScoreKind = AnomalyScoreKind.ReconstructionError,
                        }).Fit(train);
                    row[k++] = ml.AnomalyDetection.Evaluate(detector.Transform(scoredOn)).AreaUnderRocCurve;
                }
            aucs.Add(row);
            Console.WriteLine($"   {c + " " + FashionMnist.ClassNames[c],-15} {row[0],9:F4} {row[1],9:F4} {row[2],9:F4} {row[3],9:F4}");
        }
        Console.WriteLine($"   {"mean",-15} {aucs.Average(r => r[0]),9:F4} {aucs.Average(r => r[1]),9:F4} {aucs.Average(r => r[2]),9:F4} {aucs.Average(r => r[3]),9:F4}");

        // --- 3. Training throughput: library Fit vs a raw TorchSharp loop over the same network and resident tensor ---
        speedRows = Math.Min(speedRows, trainRows);
        var speedData = ml.Data.LoadFromEnumerable(Shaped(trainPixels, speedRows).ToArray());
        var speedOptions = VaeOptions(conv: true);
        speedOptions.Epochs = 1;
        using var resident = tensor(trainPixels.AsSpan(0, speedRows * Pixels).ToArray(), new long[] { speedRows, Pixels });
        var loop = new List<double>(); var fit = new List<double>(); var raw = new List<double>();
        for (int r = 0; r < 3; r++) // alternate, take medians
        {
            var sw = Stopwatch.StartNew();
            using (var m = ml.Transforms.VaeEncode(speedOptions).Fit(speedData))
            {
                fit.Add(speedRows / sw.Elapsed.TotalSeconds);
                loop.Add(speedRows / m.Training!.Elapsed.TotalSeconds);
                raw.Add(RawTrainingLoop(m.Model.Options, resident, seed: 1));
            }
        }
        Console.WriteLine();
        Console.WriteLine($"3. Conv VAE training, one epoch of {speedRows:N0} images at batch 128, median of 3 alternating runs");
        Console.WriteLine($"   library training loop          {Median(loop),10:N0} images/s");
        Console.WriteLine($"   library Fit incl. data reading {Median(fit),10:N0} images/s");
        Console.WriteLine($"   raw TorchSharp loop            {Median(raw),10:N0} images/s");
        Console.WriteLine($"   ratio (loop / raw)             {Median(loop) / Median(raw),10:F2}  (target ≥ 0.90)");

        // --- 4. Transform throughput on the image-shaped column, and the cost of reading MLImage ---
        var shapedTest = ml.Data.LoadFromEnumerable(Shaped(testPixels, testCount).ToArray());
        double transform = 0, forward = 0;
        var transformRuns = new List<double>(); var forwardRuns = new List<double>();
        for (int r = 0; r < 6; r++)
        {
            transform = LatentPass(convVae.Transform(shapedTest));
            forward = RawForward(convVae.Model, test, latent);
            if (r > 0) { transformRuns.Add(transform); forwardRuns.Add(forward); } // the first pair warms up
        }
        // A small 3-channel model (4 and 8 channels, dense 16; one epoch on 1,000 images: its weights do not matter), so that
        // reading the rows is a visible share of the pass: the same images as Rgba32 MLImages and as Vector<Single, 3, 28, 28>.
        var images = Enumerable.Range(0, testCount).Select(i => new ImageRow { Image = ToImage(testPixels, i) }).ToArray();
        var imageData = ml.Data.LoadFromEnumerable(images);
        var rgbData = ml.Data.LoadFromEnumerable(Enumerable.Range(0, testCount).Select(i => new RgbRow { Features = Rgb(testPixels, i) }).ToArray());
        var rgbOptions = VaeOptions(conv: true);
        rgbOptions.InputColumnName = "Image";
        rgbOptions.Epochs = 1;
        rgbOptions.ConvolutionChannels = 4;
        rgbOptions.HiddenSizes = [16];
        using var rgbVae = ml.Transforms.VaeEncode(rgbOptions).Fit(ml.Data.TakeRows(imageData, 1_000));
        var fromImages = new List<double>(); var fromVectors = new List<double>();
        for (int r = 0; r < 6; r++)
        {
            double a = LatentPass(rgbVae.Transform(imageData)), b = LatentPass(rgbVae.Transform(rgbData));
            if (r > 0) { fromImages.Add(a); fromVectors.Add(b); }
        }
        Console.WriteLine();
        Console.WriteLine($"4. Conv VAE encoding of the {testCount:N0} test images (posterior mean), batch 256, median of 5 alternating runs");
        Console.WriteLine($"   Transform, Vector<Single, 1, 28, 28> column {Median(transformRuns),10:N0} rows/s");
        Console.WriteLine($"   raw batched forward, resident tensor      {Median(forwardRuns),10:N0} rows/s");
        Console.WriteLine($"   ratio                                     {Median(transformRuns) / Median(forwardRuns),10:F2}  (target ≥ 0.90)");
        double imageRate = Median(fromImages), vectorRate = Median(fromVectors);
        Console.WriteLine($"   small 3-channel model, Transform of an MLImage column        {imageRate,10:N0} rows/s");
        Console.WriteLine($"   the same model on the same pixels as Vector<Single, 3, 28, 28> {vectorRate,10:N0} rows/s");
        Console.WriteLine($"   reading an image through MLImage costs {1e6 / imageRate - 1e6 / vectorRate:F1} µs per row more than reading the vector");

        // --- 5. Memory while 100,000 images stream through Transform, images in and reconstructed images out ---
        rgbOptions.ReconstructionColumnName = "Reconstruction"; // an MLImage column, as the input is one
        using var imageVae = ml.Transforms.VaeEncode(rgbOptions).Fit(ml.Data.TakeRows(imageData, 1_000));
        var streamed = imageVae.Transform(ml.Data.LoadFromEnumerable(StreamedImages(testPixels, testCount, streamImages)));
        var process = Process.GetCurrentProcess();
        Console.WriteLine();
        Console.WriteLine($"5. Streaming {streamImages:N0} MLImage rows through the conv VAE (latent and reconstructed image columns); working set in MB");
        var streamClock = Stopwatch.StartNew();
        long peak = 0, first = 0;
        using (var cursor = streamed.GetRowCursor(streamed.Schema.Where(c => c.Name is "Latent" or "Reconstruction")))
        {
            var latentGetter = cursor.GetGetter<VBuffer<float>>(streamed.Schema["Latent"]);
            var imageGetter = cursor.GetGetter<MLImage>(streamed.Schema["Reconstruction"]);
            VBuffer<float> z = default;
            MLImage? image = null;
            long n = 0;
            while (cursor.MoveNext())
            {
                latentGetter(ref z);
                imageGetter(ref image!);
                image.Dispose();
                image = null;
                if (++n % (streamImages / 10) == 0)
                {
                    process.Refresh();
                    if (first == 0) first = process.WorkingSet64;
                    peak = Math.Max(peak, process.WorkingSet64);
                    Console.WriteLine($"   after {n,9:N0} rows: {process.WorkingSet64 / 1048576.0,8:F0} MB");
                }
            }
        }
        Console.WriteLine($"   {streamImages / streamClock.Elapsed.TotalSeconds:N0} rows/s including making the input images; working set after the first tenth " +
                          $"{first / 1048576.0:F0} MB, peak {peak / 1048576.0:F0} MB");
        Console.WriteLine();
        Console.WriteLine($"Total {clock.Elapsed.TotalMinutes:F1} min.");
    }

    /// <summary>MLImages made one at a time from the test pixels, cycling: nothing holds the rows already read.</summary>
    private static IEnumerable<ImageRow> StreamedImages(float[] pixels, int distinct, int count)
    {
        for (int i = 0; i < count; i++) yield return new ImageRow { Image = ToImage(pixels, i % distinct) };
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);

    private static IEnumerable<ShapedRow> Shaped(float[] pixels, int count) => Enumerable.Range(0, count).Select(i => ShapedAt(pixels, i, 0));
    private static IEnumerable<FlatRow> Flat(float[] pixels, int count) => Enumerable.Range(0, count).Select(i => FlatAt(pixels, i, 0));
    private static ShapedRow ShapedAt(float[] pixels, int i, float label) => new() { Features = pixels.AsSpan(i * Pixels, Pixels).ToArray(), Label = label };
    private static FlatRow FlatAt(float[] pixels, int i, float label) => new() { Features = pixels.AsSpan(i * Pixels, Pixels).ToArray(), Label = label };

    private static MLImage ToImage(float[] pixels, int i)
    {
        var rgba = new byte[Pixels * 4];
        for (int p = 0; p < Pixels; p++)
        {
            byte v = (byte)MathF.Round(pixels[i * Pixels + p] * 255);
            rgba[4 * p] = v; rgba[4 * p + 1] = v; rgba[4 * p + 2] = v; rgba[4 * p + 3] = 255;
        }
        return MLImage.CreateFromPixels(Side, Side, MLPixelFormat.Rgba32, rgba);
    }

    private static float[] Rgb(float[] pixels, int i)
    {
        var values = new float[3 * Pixels];
        for (int c = 0; c < 3; c++) pixels.AsSpan(i * Pixels, Pixels).CopyTo(values.AsSpan(c * Pixels));
        return values;
    }

    /// <summary>Test −ELBO in nats (mean over images, 5 posterior samples each) and the mean squared error of the reconstruction through the posterior mean.</summary>
    private static (double Elbo, double Mse) Evaluate(VariationalAutoencoder model, Tensor x)
    {
        using var noGrad = no_grad();
        using var generator = new Generator(7);
        double elbo = 0, mse = 0;
        long count = x.shape[0];
        for (long start = 0; start < count; start += 500)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(500, count - start);
            var batch = x.narrow(0, start, n);
            elbo += model.NegativeElbo(batch, samples: 5, generator).sum().item<float>();
            mse += (model.Reconstruct(batch) - batch).square().mean(new long[] { 1 }).sum().item<float>();
        }
        return (elbo / count, mse / count);
    }

    /// <summary>
    /// One epoch of the plainest TorchSharp VAE loop over the same network (rebuilt from the same options) and a resident
    /// tensor: shuffled index_select batches of 128, the ELBO with β = 1, Adam 1e-3, one dispose scope per step.
    /// </summary>
    private static double RawTrainingLoop(VaeOptions options, Tensor data, int seed)
    {
        using var threads = GenModels.Torch.TorchThreads.Use(); // the thread count the library trains with
        manual_seed(seed);
        using var model = new VariationalAutoencoder(options);
        model.train();
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        using var generator = new Generator((ulong)seed);
        long rows = data.shape[0];
        var sw = Stopwatch.StartNew();
        using var order = randperm(rows, generator: generator);
        for (long start = 0; start < rows; start += 128)
        {
            using var scope = NewDisposeScope();
            var batch = data.index_select(0, order.narrow(0, start, Math.Min(128, rows - start)));
            var (reconstruction, kl) = model.LossParts(batch, generator);
            var loss = reconstruction.mean() + kl.mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        return rows / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Rows/s of the posterior mean over a resident tensor in batches of 256, read back into a managed buffer as the cursor does.</summary>
    private static double RawForward(VariationalAutoencoder model, Tensor x, int latent)
    {
        using var threads = GenModels.Torch.TorchThreads.Use(); // the thread count the library transforms with
        var readBack = new float[256 * latent];
        long count = x.shape[0];
        var sw = Stopwatch.StartNew();
        using var noGrad = no_grad();
        using var target = from_array(readBack).view(256, latent);
        for (long start = 0; start < count; start += 256)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(256, count - start);
            target.narrow(0, 0, n).copy_(model.Encode(x.narrow(0, start, n)));
        }
        return count / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Rows/s of one pass over the Latent column.</summary>
    private static double LatentPass(IDataView data)
    {
        var column = data.Schema["Latent"];
        var sw = Stopwatch.StartNew();
        using var cursor = data.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> z = default;
        long n = 0;
        while (cursor.MoveNext()) { getter(ref z); n++; }
        return n / sw.Elapsed.TotalSeconds;
    }
}
