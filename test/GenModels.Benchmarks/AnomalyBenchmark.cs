// One-class anomaly detection on Fashion-MNIST, measured side by side in one run: for each class, train on that class's
// training images, then score the whole test set (that class = normal, the other nine = anomalies) and report ROC-AUC
// for the VAE detector, the autoencoder detector and ML.NET's RandomizedPca, plus scoring throughput.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.Datasets;
using GenModels.Torch.Networks;
using GenModels.Torch.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

public static class AnomalyBenchmark
{
    private sealed class Row
    {
        [VectorType(FashionMnist.ImageSize)] public float[] Features { get; set; } = [];
        public float Label { get; set; } // 1 = anomaly, as AnomalyDetection.Evaluate expects
    }

    public static async Task Run(string[] args)
    {
        int epochs = 20;
        int[] classes = Enumerable.Range(0, 10).ToArray();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--epochs") epochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--classes") classes = args[i + 1].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        }
        var folder = FashionMnist.Locate() ?? await FashionMnist.DownloadAsync(progress: new Progress<string>(Console.WriteLine));
        var (trainPixels, trainLabels, trainCount) = FashionMnist.ReadSplit(folder, train: true);
        var (testPixels, testLabels, testCount) = FashionMnist.ReadSplit(folder, train: false);
        Console.WriteLine($"One-class Fashion-MNIST: train on one class (6,000 images), score the 10,000 test images; {epochs} epochs; {Environment.ProcessorCount} cores");
        Console.WriteLine("VAE: 784-400-20, Bernoulli, plain reconstruction error. Autoencoder: 784-400-20, Bernoulli, the same score. RandomizedPca: rank 20.");
        Console.WriteLine("'VAE −ELBO' and 'VAE −log p' rescore the same trained VAE with 16 posterior samples (IWAE bound for −log p).");
        Console.WriteLine();
        Console.WriteLine($"{"class",-15} {"VAE",8} {"VAE −ELBO",10} {"VAE −log p",11} {"AE",8} {"PCA",8}");

        var ml = new MLContext(seed: 1);
        var results = new List<double[]>();
        var throughput = new Dictionary<string, List<double>> { ["VAE"] = [], ["AE"] = [], ["PCA"] = [] };
        foreach (int c in classes)
        {
            var train = ml.Data.LoadFromEnumerable(Rows(trainPixels, trainLabels, trainCount, c).Where(r => r.Label == 0).ToArray());
            var test = ml.Data.LoadFromEnumerable(Rows(testPixels, testLabels, testCount, c).ToArray());

            using var vae = ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options
            {
                LatentDimension = 20, HiddenSizes = [400], Likelihood = ReconstructionLikelihood.Bernoulli, Epochs = epochs, Seed = 1,
                ScoreKind = AnomalyScoreKind.ReconstructionError, // the score the README's table was measured with
            }).Fit(train);
            using var ae = ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options
            {
                LatentDimension = 20, HiddenSizes = [400], Likelihood = ReconstructionLikelihood.Bernoulli, Epochs = epochs, Seed = 1,
                ScoreKind = AnomalyScoreKind.ReconstructionError,
            }).Fit(train);
            var pca = ml.AnomalyDetection.Trainers.RandomizedPca(featureColumnName: "Features", rank: 20, seed: 1).Fit(train);

            double vaeAuc = Evaluate(ml, vae, test, throughput["VAE"]);
            double aeAuc = Evaluate(ml, ae, test, throughput["AE"]);
            double pcaAuc = Evaluate(ml, pca, test, throughput["PCA"]);
            double vaeElbo = RescoredAuc(vae, AnomalyScoreKind.NegativeElbo, testPixels, testLabels, testCount, c);
            double vaeNll = RescoredAuc(vae, AnomalyScoreKind.NegativeLogLikelihood, testPixels, testLabels, testCount, c);
            results.Add([vaeAuc, vaeElbo, vaeNll, aeAuc, pcaAuc]);
            Console.WriteLine($"{c + " " + FashionMnist.ClassNames[c],-15} {vaeAuc,8:F4} {vaeElbo,10:F4} {vaeNll,11:F4} {aeAuc,8:F4} {pcaAuc,8:F4}");
        }
        Console.WriteLine($"{"mean",-15} {results.Average(r => r[0]),8:F4} {results.Average(r => r[1]),10:F4} {results.Average(r => r[2]),11:F4} {results.Average(r => r[3]),8:F4} {results.Average(r => r[4]),8:F4}");
        Console.WriteLine();
        Console.WriteLine("Scoring throughput through IDataView (10,000 test rows; median over classes)");
        foreach (var (name, values) in throughput)
            Console.WriteLine($"  {name,-4} {values.Order().ElementAt(values.Count / 2),12:N0} rows/s");
    }

    private static IEnumerable<Row> Rows(float[] pixels, byte[] labels, int count, int normalClass) =>
        Enumerable.Range(0, count).Select(i => new Row
        {
            Features = pixels.AsSpan(i * FashionMnist.ImageSize, FashionMnist.ImageSize).ToArray(),
            Label = labels[i] == normalClass ? 0 : 1,
        });

    private static double Evaluate(MLContext ml, ITransformer model, IDataView test, List<double> rowsPerSecond)
    {
        var scored = model.Transform(test);
        var clock = Stopwatch.StartNew();
        int rows = scored.GetColumn<float>("Score").Count(); // one timed scoring pass
        rowsPerSecond.Add(rows / clock.Elapsed.TotalSeconds);
        return ml.AnomalyDetection.Evaluate(scored).AreaUnderRocCurve;
    }

    /// <summary>AUC of another score kind of the same trained VAE, computed from the network directly in batches.</summary>
    private static double RescoredAuc(GenerativeAnomalyDetectionTransformer detector, AnomalyScoreKind kind, float[] pixels, byte[] labels, int count, int normalClass)
    {
        using var noGrad = no_grad();
        using var x = tensor(pixels, new long[] { count, FashionMnist.ImageSize });
        using var generator = new Generator(3);
        var values = new float[count];
        for (int start = 0; start < count; start += 500)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(500, count - start);
            AnomalyScores.Compute(detector.Model, x.narrow(0, start, n), kind, 16, generator).data<float>().CopyTo(values, start);
        }
        return DetectionMetrics.RocAuc(values, Enumerable.Range(0, count).Select(i => labels[i] != normalClass).ToArray());
    }
}
