// Fashion-MNIST VAE: train the reference 784-400-20 VAE as an ML.NET transform, report the test ELBO, and write the
// latent means of the test images to a CSV file.
//
//   dotnet run -c Release --project examples/FashionMnistVae -- [--epochs 10] [--output out/fashion-mnist-vae] [--download-only]
using System.Globalization;
using GenModels.MLNet;
using GenModels.Datasets;
using GenModels.MLNet.Vae;
using GenModels.Torch.Networks;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

int epochs = 10;
string output = Path.Combine("out", "fashion-mnist-vae");
if (args.Contains("--download-only"))
{
    // Used by build/test.sh on machines without Debian's package: fetch the data set, then stop.
    Console.WriteLine($"Fashion-MNIST: {FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine))}");
    return;
}
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--epochs") epochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    else if (args[i] == "--output") output = args[i + 1];
}
Directory.CreateDirectory(output);

// 1. Data: a local copy (Debian's dataset-fashion-mnist, FASHION_MNIST_DIR) or the official download.
var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
Console.WriteLine($"Fashion-MNIST from {folder}");
var ml = new MLContext(seed: 1);
var train = FashionMnist.Load(ml, folder, train: true);
var test = FashionMnist.Load(ml, folder, train: false);

// 2. The VAE: pixels are intensities in [0, 1], so the decoder is Bernoulli; 400 hidden units, 20 latent dimensions.
var options = new VaeEncodingEstimator.Options
{
    InputColumnName = "Features",
    OutputColumnName = "Latent",
    LatentDimension = 20,
    HiddenSizes = [400],
    Likelihood = ReconstructionLikelihood.Bernoulli,
    Epochs = epochs,
    BatchSize = 128,
    LearningRate = 1e-3,
    Progress = new ConsoleProgressBar(),
};
var model = ml.Transforms.VaeEncode(options).Fit(train);
Console.WriteLine();

// 3. Test ELBO (nats per image; higher is better), from the trained network in batches.
var (pixels, _, count) = FashionMnist.ReadSplit(folder, train: false);
double negativeElbo = 0;
using (no_grad())
using (var x = tensor(pixels, new long[] { count, FashionMnist.ImageSize }))
{
    using var noise = new Generator(7);
    for (long start = 0; start < count; start += 1000)
    {
        using var scope = NewDisposeScope();
        negativeElbo += model.Model.NegativeElbo(x.narrow(0, start, Math.Min(1000, count - start)), generator: noise).sum().item<float>();
    }
}
Console.WriteLine($"Test ELBO: {-negativeElbo / count:F2} nats per image ({negativeElbo / count / FashionMnist.ImageSize / Math.Log(2):F4} bits per pixel of −ELBO)");

// 4. Latent means of the test set, streamed through the transform.
var csvPath = Path.Combine(output, "test-latent-means.csv");
var encoded = model.Transform(test);
using (var writer = new StreamWriter(csvPath))
using (var cursor = encoded.GetRowCursor(encoded.Schema.Where(c => c.Name is "Label" or "Latent")))
{
    writer.WriteLine("Label," + string.Join(",", Enumerable.Range(0, 20).Select(i => $"z{i}")));
    var label = cursor.GetGetter<ReadOnlyMemory<char>>(encoded.Schema["Label"]);
    var latent = cursor.GetGetter<VBuffer<float>>(encoded.Schema["Latent"]);
    ReadOnlyMemory<char> name = default;
    VBuffer<float> z = default;
    while (cursor.MoveNext())
    {
        label(ref name);
        latent(ref z);
        writer.WriteLine($"\"{name}\"," + string.Join(",", z.DenseValues().Select(v => v.ToString("G6", CultureInfo.InvariantCulture))));
    }
}
Console.WriteLine($"Latent means of {count} test images: {csvPath}");

var modelPath = Path.Combine(output, "vae.zip");
ml.Model.SaveAtomically(model, train.Schema, modelPath);
Console.WriteLine($"Model: {modelPath}");

/// <summary>A one-line progress bar: epoch, share of the epoch done, running losses.</summary>
sealed class ConsoleProgressBar : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress p)
    {
        const int width = 30;
        int filled = (int)Math.Round(width * (double)p.Batch / p.BatchesPerEpoch);
        var losses = string.Join("  ", p.Losses.Select(l => $"{l.Key} {l.Value:F2}"));
        var line = $"epoch {p.Epoch,2}/{p.Epochs} [{new string('#', filled)}{new string('.', width - filled)}] {losses}  {p.Elapsed.TotalSeconds:F0}s";
        if (Console.IsOutputRedirected) { if (p.IsEpochEnd) Console.WriteLine(line); }
        else Console.Write("\r" + line + (p.IsEpochEnd ? "\n" : ""));
    }
}
