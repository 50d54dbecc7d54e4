// Conditional diffusion on Fashion-MNIST: train a U-Net denoiser on a subset of the images (padded to 32×32), then write
// a PNG grid with one row of generated samples per class and a last row that shows one sample forming, from pure noise
// (left) to the finished image (right), through the sampler's intermediate states.
//
//   dotnet run -c Release --project examples/DiffusionFashionMnist -- [--train 10000] [--epochs 6] [--channels 16] [--threads 1] [--output out/diffusion-fashion-mnist]
using System.Globalization;
using GenModels.Benchmarks;
using GenModels.MLNet;
using GenModels.Datasets;
using GenModels.MLNet.Diffusion;
using GenModels.Torch;
using GenModels.Torch.Diffusion;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

int trainRows = 10_000, epochs = 6, channels = 16;
string output = Path.Combine("out", "diffusion-fashion-mnist");
for (int i = 0; i < args.Length; i++)
{
    int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
    if (args[i] == "--train") trainRows = Next();
    else if (args[i] == "--epochs") epochs = Next();
    else if (args[i] == "--channels") channels = Next();
    else if (args[i] == "--threads") TorchThreads.Count = Next(); // 1 is fastest when other processes share the cores
    else if (args[i] == "--output") output = args[++i];
}
Directory.CreateDirectory(output);

// 1. Data: the first training images, padded to 32×32 (the U-Net halves the size twice), pixels in [0, 1].
var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
var (images, _, labels) = FashionEdges.Load(folder, train: true, maxCount: trainRows);
var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(images.Select((image, i) => new Row { Features = image, Label = FashionMnist.ClassNames[labels[i]] }));

// 2. A conditional diffusion model: a Vector<Single, 1, 32, 32> column makes the denoiser a U-Net.
Console.WriteLine($"Training on {trainRows:N0} images for {epochs} epochs, U-Net with {channels} channels ({TorchThreads.Count} thread(s))");
using var diffusion = ml.Generative().Diffusion(new DiffusionEstimator.Options
{
    FeatureColumnName = "Features",
    LabelColumnName = "Label",
    UNetChannels = channels,
    Epochs = epochs,
    BatchSize = 64,
    Seed = 1,
    Progress = new SynchronousProgress(p => { if (p.IsEpochEnd) Console.WriteLine(p); }),
}).Fit(train);

// 3. Ten samples per class, one class per row, read from the lazy IDataView source (DDIM, 50 steps).
const int perClass = 10;
var grid = new List<float[]>();
foreach (var name in diffusion.ClassNames)
    grid.AddRange(diffusion.Generate(rowCount: perClass, seed: 5, label: name).GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()));

// 4. One sample forming: OnStep hands over x_t after every denoising step; keep ten of the fifty, evenly spaced.
var states = new List<float[]>();
var sampling = new SamplingOptions { Steps = 50, OnStep = step => states.Add(step.Current) };
_ = diffusion.Generate(rowCount: 1, seed: 3, label: "Ankle boot", sampling: sampling).GetColumn<VBuffer<float>>("Features").Single();
grid.AddRange(Enumerable.Range(0, perClass).Select(k => states[(int)Math.Round(k * (states.Count - 1) / (perClass - 1.0))]));

var png = Path.Combine(output, "samples-per-class.png");
ImageGrid.Save(png, grid, channels: 1, height: FashionEdges.Size, width: FashionEdges.Size, columns: perClass);
Console.WriteLine($"Rows, top to bottom: {string.Join(", ", diffusion.ClassNames)}, then one Ankle boot forming from noise (DDIM, 50 steps).");
Console.WriteLine($"Grid: {png}");

var modelPath = Path.Combine(output, "diffusion.zip");
ml.Model.SaveAtomically(diffusion, train.Schema, modelPath);
Console.WriteLine($"Model: {modelPath}");

sealed class Row
{
    [VectorType(1, FashionEdges.Size, FashionEdges.Size)] public float[] Features { get; set; } = [];
    public string Label { get; set; } = "";
}

sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
