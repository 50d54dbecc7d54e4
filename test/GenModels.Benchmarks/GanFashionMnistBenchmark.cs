// Conditional GAN on Fashion-MNIST, measured side by side in one run:
//   GAN-test:  a classifier trained on real images classifies generated images of each requested class;
//   GAN-train: a classifier trained only on generated images classifies the real test images;
//   baseline:  the real-trained classifier on real test images;
//   throughput: generated rows/s through the IDataView source vs the raw generator forward.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.Datasets;
using GenModels.MLNet.Gan;
using GenModels.Torch.Gan;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

public static class GanFashionMnistBenchmark
{
    public static async Task Run(string[] args)
    {
        int epochs = 20;
        bool convolutional = false;
        double? learningRate = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--epochs") epochs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            if (args[i] == "--conv") convolutional = true;
            if (args[i] == "--lr") learningRate = double.Parse(args[++i], CultureInfo.InvariantCulture);
        }
        var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
        var ml = new MLContext(seed: 1);
        var train = FashionMnist.Load(ml, folder, train: true, asImage: convolutional);
        var test = FashionMnist.Load(ml, folder, train: false, asImage: convolutional);

        // 1. The conditional GAN.
        var options = GanDefaults.FashionMnist(epochs, convolutional);
        if (learningRate is { } rate) options.LearningRate = rate;
        Console.WriteLine($"learning rate {options.LearningRate}");
        Console.WriteLine($"Conditional GAN on Fashion-MNIST: {(convolutional ? "DCGAN-style convolutional" : "MLP")} networks, {options.Loss} loss, R1 γ {options.GradientPenalty}, {epochs} epochs, batch {options.BatchSize}");
        var clock = Stopwatch.StartNew();
        using var gan = ml.Generative().Gan(options).Fit(train);
        var last = gan.Training!.History[^1].Losses;
        Console.WriteLine($"  trained in {clock.Elapsed.TotalSeconds:F0} s ({60000.0 * epochs / clock.Elapsed.TotalSeconds:N0} images/s); last epoch d_loss {last["d_loss"]:F3}, g_loss {last["g_loss"]:F3}, discriminator accuracy {last["d_accuracy"]:F3} (0.5 = fooled half the time)");

        // 2. Classifiers: the same ML.NET pipeline trained on real and on generated images.
        var flatten = ml.Transforms.CopyColumns("Pixels", "Features");
        IEstimator<ITransformer> Classifier() => ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "Features", maximumNumberOfIterations: 15));
        clock.Restart();
        var realClassifier = Classifier().Fit(train);
        Console.WriteLine($"  real-trained classifier fitted in {clock.Elapsed.TotalSeconds:F0} s");
        double baseline = ml.MulticlassClassification.Evaluate(realClassifier.Transform(test), "LabelKey").MicroAccuracy;

        var generated = gan.Generate(rowCount: 60000, seed: 11);                 // every class in turn
        var generatedCached = ml.Data.Cache(generated);
        var ganTrainClassifier = Classifier().Fit(generatedCached);
        double ganTrain = ml.MulticlassClassification.Evaluate(ganTrainClassifier.Transform(test), "LabelKey").MicroAccuracy;

        Console.WriteLine();
        Console.WriteLine($"{"requested class",-16} {"GAN-test accuracy",18}");
        var perClass = new List<double>();
        foreach (var name in gan.ClassNames)
        {
            var rows = gan.Generate(rowCount: 1000, seed: 21, label: name);
            double accuracy = ml.MulticlassClassification.Evaluate(realClassifier.Transform(rows), "LabelKey").MicroAccuracy;
            perClass.Add(accuracy);
            Console.WriteLine($"{name,-16} {accuracy,18:F3}");
        }
        Console.WriteLine($"{"mean",-16} {perClass.Average(),18:F3}");
        Console.WriteLine();
        Console.WriteLine($"Real-trained classifier on real test images (baseline): {baseline:F3}");
        Console.WriteLine($"GAN-train: classifier trained on 60,000 generated images, on real test images: {ganTrain:F3} ({ganTrain / baseline:P0} of baseline)");

        // 3. Generation throughput: IDataView source vs raw generator forward, alternating, medians of 3.
        double SourcePass()
        {
            var sw = Stopwatch.StartNew();
            var data = gan.Generate(rowCount: 20000, seed: 3);
            var column = data.Schema["Features"];
            using var cursor = data.GetRowCursor(new[] { column });
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> value = default;
            long n = 0;
            while (cursor.MoveNext()) { getter(ref value); n++; }
            return n / sw.Elapsed.TotalSeconds;
        }
        var readBack = new float[256 * FashionMnist.ImageSize];
        double RawPass()
        {
            var sw = Stopwatch.StartNew();
            using var generator = new Generator(3);
            using var target = from_array(readBack).view(256, FashionMnist.ImageSize);
            for (int start = 0; start < 20000; start += 256)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(256, 20000 - start);
                var classes = arange(start, start + n, dtype: ScalarType.Int64) % 10;
                target.narrow(0, 0, n).copy_(gan.Model.Generate(gan.Model.SampleNoise(n, generator), classes).view(n, -1));
            }
            return 20000 / sw.Elapsed.TotalSeconds;
        }
        SourcePass(); RawPass();
        var source = new List<double>(); var raw = new List<double>();
        for (int r = 0; r < 3; r++) { source.Add(SourcePass()); raw.Add(RawPass()); }
        double s = source.Order().ElementAt(1), w = raw.Order().ElementAt(1);
        Console.WriteLine();
        Console.WriteLine($"Generation throughput (20,000 rows, batch 256): IDataView source {s:N0} rows/s, raw generator {w:N0} rows/s, ratio {s / w:F2}");
    }
}

/// <summary>Settings shared by the Fashion-MNIST GAN benchmark and example.</summary>
public static class GanDefaults
{
    public static GanEstimator.Options FashionMnist(int epochs, bool convolutional) => new()
    {
        FeatureColumnName = "Features",
        LabelColumnName = "Label",
        NoiseDimension = 64,
        GeneratorHiddenSizes = [256, 512],
        DiscriminatorHiddenSizes = [512, 256],
        Architecture = convolutional ? GanArchitecture.Convolutional : GanArchitecture.Mlp,
        Output = GeneratorOutput.Sigmoid,
        Epochs = epochs,
        BatchSize = 128,
        LearningRate = 2e-4,
        Seed = 1,
    };
}
