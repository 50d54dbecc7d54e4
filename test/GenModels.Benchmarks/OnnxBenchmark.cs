// The exported ONNX model beside the library, side by side in one run: batch and single-row throughput of a VAE encoder
// (784-400-20, posterior mean) and of the VAE anomaly detector, in ONNX Runtime and through the library's IDataView and
// PredictionEngine paths.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Vae;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

public static class OnnxBenchmark
{
    private sealed class Row
    {
        [VectorType(784)] public float[] Features { get; set; } = [];
    }

    private sealed class Encoded
    {
        public float[] Latent { get; set; } = [];
    }

    private sealed class Scored
    {
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }
    }

    public static Task Run(string[] args)
    {
        const int rows = 20_000, single = 3000, batch = 256;
        var rnd = new Random(1);
        var data = Enumerable.Range(0, rows).Select(_ => new Row { Features = Enumerable.Range(0, 784).Select(_ => (float)rnd.NextDouble()).ToArray() }).ToArray();
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadFromEnumerable(data);
        var train = ml.Data.TakeRows(view, 2000);
        var folder = Directory.CreateTempSubdirectory("genmodels-onnx-bench-").FullName;
        Console.WriteLine($"ONNX export beside the library: {rows:N0} rows of 784 values, batches of {batch}, {single:N0} single rows; {Environment.ProcessorCount} cores");
        Console.WriteLine($"{"model",-18} {"path",-28} {"rows/s",10}");
        try
        {
            var encoder = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { LatentDimension = 20, HiddenSizes = [400], Epochs = 1, Seed = 1, TransformBatchSize = batch }).Fit(train);
            Measure(ml, "VAE encoder", encoder, view, data, folder, "Latent", (e, r) => ((PredictionEngine<Row, Encoded>)e).Predict(r),
                () => ml.Model.CreatePredictionEngine<Row, Encoded>(encoder));
            var detector = ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { LatentDimension = 20, HiddenSizes = [400], Epochs = 1, Seed = 1, TransformBatchSize = batch }).Fit(train);
            Measure(ml, "VAE detector", detector, view, data, folder, "Score", (e, r) => ((PredictionEngine<Row, Scored>)e).Predict(r),
                () => ml.Model.CreatePredictionEngine<Row, Scored>(detector));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return Task.CompletedTask;

        void Measure(MLContext ml, string name, ITransformer model, IDataView view, Row[] data, string folder, string column,
            Action<object, Row> predict, Func<object> engineFactory)
        {
            var clock = Stopwatch.StartNew();
            var transformed = model.Transform(view);
            int count = transformed.Schema[column].Type is VectorDataViewType
                ? transformed.GetColumn<VBuffer<float>>(column).Count()
                : transformed.GetColumn<float>(column).Count();
            Console.WriteLine($"{name,-18} {"library Transform (IDataView)",-28} {count / clock.Elapsed.TotalSeconds,10:N0}");
            var engine = engineFactory();
            clock.Restart();
            for (int i = 0; i < single; i++) predict(engine, data[i]);
            Console.WriteLine($"{name,-18} {"library PredictionEngine",-28} {single / clock.Elapsed.TotalSeconds,10:N0}");
            ((IDisposable)engine).Dispose();

            var path = Path.Combine(folder, name.Replace(' ', '-') + ".onnx");
            using (var stream = File.Create(path)) ml.Model.ConvertToOnnx(model, view, stream);
            using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount };
            using var session = new InferenceSession(path, options);
            var flat = data.SelectMany(r => r.Features).ToArray();
            clock.Restart();
            for (int start = 0; start < rows; start += batch)
            {
                int n = Math.Min(batch, rows - start);
                var input = new DenseTensor<float>(flat.AsMemory(start * 784, n * 784), [n, 784]);
                using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", input)]);
            }
            Console.WriteLine($"{name,-18} {"ONNX Runtime, batches",-28} {rows / clock.Elapsed.TotalSeconds,10:N0}");
            clock.Restart();
            for (int i = 0; i < single; i++)
            {
                var input = new DenseTensor<float>(flat.AsMemory(i * 784, 784), [1, 784]);
                using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", input)]);
            }
            Console.WriteLine($"{name,-18} {"ONNX Runtime, single rows",-28} {single / clock.Elapsed.TotalSeconds,10:N0}");
        }
    }
}
