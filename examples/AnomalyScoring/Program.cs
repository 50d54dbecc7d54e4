// Outlier scoring in an existing ML.NET app: a VAE anomaly detector on request telemetry, evaluated with ML.NET's
// own metrics, then used one request at a time through a PredictionEngine, saved, reloaded and re-thresholded.
//
//   dotnet run -c Release --project examples/AnomalyScoring
using GenModels.MLNet.AnomalyDetection;
using GenModels.Plots;
using Microsoft.ML;
using Microsoft.ML.Data;

var ml = new MLContext(seed: 1);

// 1. Data. Normal requests follow a curved relation between size, latency and CPU; anomalies break it.
var normalTraffic = ml.Data.LoadFromEnumerable(Telemetry.Generate(4000, anomalyShare: 0, seed: 1));
var newTraffic = ml.Data.LoadFromEnumerable(Telemetry.Generate(2000, anomalyShare: 0.05, seed: 2));

// 2. The pipeline: the same shape as with RandomizedPca, with the VAE detector as the last step.
var pipeline = ml.Transforms.Concatenate("Features", nameof(Request.SizeKb), nameof(Request.LatencyMs), nameof(Request.CpuMs), nameof(Request.Retries))
    .Append(ml.Transforms.NormalizeMinMax("Features"))
    .Append(ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options
    {
        FeatureColumnName = "Features", LatentDimension = 1, HiddenSizes = [32, 32], Epochs = 60, Contamination = 0.01,
    }));
var model = pipeline.Fit(normalTraffic);

// 3. ML.NET's own evaluation (Label: Single, > 0 = anomaly).
var scored = model.Transform(newTraffic);
var metrics = ml.AnomalyDetection.Evaluate(scored, falsePositiveCount: 20);
Console.WriteLine($"ROC-AUC {metrics.AreaUnderRocCurve:F4}; detection rate at 20 false positives {metrics.DetectionRateAtFalsePositiveCount:F3}");

// The same evaluation as pictures (GenModels.Plots): the ROC curve, and the scores of normal and odd requests with the threshold.
Directory.CreateDirectory("out");
var scores = scored.GetColumn<float>("Score").ToArray();
var isOdd = scored.GetColumn<float>("Label").Select(l => l > 0).ToArray();
File.WriteAllBytes(Path.Combine("out", "roc.png"), Plot.Roc(scores, isOdd, "Odd requests against normal ones"));
float Log10(float score) => MathF.Log10(MathF.Max(score, 1e-3f));
File.WriteAllBytes(Path.Combine("out", "scores.png"), Plot.Histogram(new Dictionary<string, IReadOnlyList<float>>
{
    ["normal"] = scores.Where((_, i) => !isOdd[i]).Select(Log10).ToArray(),
    ["odd"] = scores.Where((_, i) => isOdd[i]).Select(Log10).ToArray(),
}, xTitle: "log10(score)", markers: new Dictionary<string, float> { ["threshold"] = Log10(model.LastTransformer.Threshold) }));
Console.WriteLine("Pictures: out/roc.png, out/scores.png");

// 4. One request at a time, as a web handler would.
var engine = ml.Model.CreatePredictionEngine<Request, AnomalyPrediction>(model);
var usual = new Request { SizeKb = 40, LatencyMs = Telemetry.Latency(40), CpuMs = Telemetry.Cpu(40), Retries = 0 };
var odd = new Request { SizeKb = 40, LatencyMs = 400, CpuMs = 2, Retries = 3 };
foreach (var (name, request) in new[] { ("usual request", usual), ("odd request", odd) })
{
    var p = engine.Predict(request);
    Console.WriteLine($"{name,-14} score {p.Score,10:F5} anomaly: {p.PredictedLabel}");
}

// 5. Save, reload, and move the threshold without retraining.
var path = Path.Combine("out", "anomaly-detector.zip");
ml.Model.Save(model, normalTraffic.Schema, path);
var loaded = ml.Model.Load(path, out _);
var stricter = ml.AnomalyDetection.ChangeThreshold(loaded, threshold: 0.001f);
int before = model.Transform(newTraffic).GetColumn<bool>("PredictedLabel").Count(b => b);
int after = stricter.Transform(newTraffic).GetColumn<bool>("PredictedLabel").Count(b => b);
Console.WriteLine($"Flagged {before} of 2000 requests at the trained threshold, {after} at threshold 0.001");

public sealed class Request
{
    public float SizeKb { get; set; }
    public float LatencyMs { get; set; }
    public float CpuMs { get; set; }
    public float Retries { get; set; }
    public float Label { get; set; }
}

public sealed class AnomalyPrediction
{
    public float Score { get; set; }
    public bool PredictedLabel { get; set; }
}

static class Telemetry
{
    public static float Latency(float sizeKb) => 20 + 8 * MathF.Sqrt(sizeKb);
    public static float Cpu(float sizeKb) => 1 + 0.02f * sizeKb * MathF.Log(1 + sizeKb);

    public static IEnumerable<Request> Generate(int count, double anomalyShare, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            float size = (float)(1 + random.NextDouble() * 200);
            var request = new Request
            {
                SizeKb = size,
                LatencyMs = Latency(size) * (float)(1 + 0.03 * (random.NextDouble() - 0.5)),
                CpuMs = Cpu(size) * (float)(1 + 0.03 * (random.NextDouble() - 0.5)),
                Retries = random.NextDouble() < 0.05 ? 1 : 0,
            };
            if (random.NextDouble() < anomalyShare)
            {
                request.LatencyMs *= (float)(1.5 + random.NextDouble() * 3); // slow for its size
                request.CpuMs *= (float)(0.1 + random.NextDouble() * 0.4);   // yet idle: waiting on something
                request.Label = 1;
            }
            yield return request;
        }
    }
}
