// Paired image-to-image translation (pix2pix) in an image-folder workflow: Fashion-MNIST images and their edge maps are
// written to folders of PNG files, loaded back with LoadImages and ResizeImages, and a model learns to draw the clothes
// from their outlines. It writes grids of inputs, translations and targets for unseen edge maps, and the saved model.
//
//   dotnet run -c Release --project examples/ImageTranslation -- [--train 2000] [--epochs 10] [--threads 1] [--output out/image-translation]
using System.Globalization;
using GenModels.Benchmarks;
using GenModels.MLNet;
using GenModels.Datasets;
using GenModels.MLNet.Translation;
using GenModels.Torch;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

int trainCount = 2000, epochs = 10, threads = 1, testCount = 100;
string output = Path.Combine("out", "image-translation");
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--train") trainCount = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--epochs") epochs = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--threads") threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--output") output = args[++i];
}
TorchThreads.Count = threads; // one thread is fastest on a machine shared with other work (see README)

// 1. A folder of PNG pairs: edges/N.png (the input) and images/N.png (the target), as an app would find them on disk.
var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
var dataFolder = Path.Combine(output, "data");
var train = WritePairs(FashionEdges.Load(folder, train: true, trainCount), Path.Combine(dataFolder, "train"));
var test = WritePairs(FashionEdges.Load(folder, train: false, testCount), Path.Combine(dataFolder, "test"));
Console.WriteLine($"Wrote {train.Length} training and {test.Length} test pairs of PNGs under {dataFolder}");

// 2. The pipeline: load both images of a pair, give them a size, and learn to translate edges into images.
var ml = new MLContext(seed: 1);
var pipeline = ml.Transforms.LoadImages("Edges", imageFolder: null, inputColumnName: nameof(PathPair.EdgesPath))
    .Append(ml.Transforms.ResizeImages("Edges", FashionEdges.Size, FashionEdges.Size))
    .Append(ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(PathPair.ImagePath)))
    .Append(ml.Transforms.ResizeImages("Image", FashionEdges.Size, FashionEdges.Size))
    .Append(ml.Generative().ImageTranslation(new ImageTranslationEstimator.Options
    {
        InputColumnName = "Edges",
        TargetColumnName = "Image",
        OutputColumnName = "Translated",
        Epochs = epochs,
        // Small batches give 2,000 pairs about 60 steps per epoch, and on such a short run a learning rate of 1e-3 did better
        // than pix2pix's 2e-4 in the translation benchmark (see README).
        BatchSize = 32,
        LearningRate = 1e-3,
        Seed = 1,
        Progress = new SynchronousProgress(p => { if (p.IsEpochEnd) Console.WriteLine(p); }),
    }));
var trainData = ml.Data.LoadFromEnumerable(train);
var model = pipeline.Fit(trainData);

// 3. Translate unseen edge maps, and write inputs, translations and targets as grids (10 per row).
var translated = model.Transform(ml.Data.LoadFromEnumerable(test));
foreach (var column in new[] { "Edges", "Translated", "Image" })
{
    var path = Path.Combine(output, $"{column.ToLowerInvariant()}.png");
    ImageGrid.Save(path, translated, column, columns: 10, maxImages: 50);
    Console.WriteLine($"{column,-10} {path}");
}

var modelPath = Path.Combine(output, "image-translation.zip");
ml.Model.SaveAtomically(model, trainData.Schema, modelPath);
Console.WriteLine($"Model: {modelPath}");

// Writes each pair as two grey PNGs and returns their paths.
static PathPair[] WritePairs((float[][] Images, float[][] Edges, byte[] Labels) split, string folder)
{
    Directory.CreateDirectory(Path.Combine(folder, "edges"));
    Directory.CreateDirectory(Path.Combine(folder, "images"));
    return Enumerable.Range(0, split.Images.Length).Select(i =>
    {
        var pair = new PathPair
        {
            EdgesPath = Path.GetFullPath(Path.Combine(folder, "edges", $"{i}.png")),
            ImagePath = Path.GetFullPath(Path.Combine(folder, "images", $"{i}.png")),
        };
        SaveGrey(split.Edges[i], pair.EdgesPath);
        SaveGrey(split.Images[i], pair.ImagePath);
        return pair;
    }).ToArray();
}

static void SaveGrey(float[] pixels, string path)
{
    var rgba = new byte[pixels.Length * 4];
    for (int i = 0; i < pixels.Length; i++)
    {
        rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = (byte)MathF.Round(Math.Clamp(pixels[i], 0, 1) * 255);
        rgba[4 * i + 3] = 255;
    }
    using var image = MLImage.CreateFromPixels(FashionEdges.Size, FashionEdges.Size, MLPixelFormat.Rgba32, rgba);
    image.Save(path);
}

sealed class PathPair
{
    public string EdgesPath { get; set; } = "";
    public string ImagePath { get; set; } = "";
}

sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
