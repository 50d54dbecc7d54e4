using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Autoencoders;
using GenModels.MLNet.Vae;
using GenModels.Torch.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>Whole pipelines (a normaliser and a library transform) exported with ML.NET's ConvertToOnnx and run elsewhere.</summary>
public class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("genmodels-onnx-").FullName;
    public void Dispose() => Directory.Delete(folder, recursive: true);

    private const int Rows = 1000;

    [Theory]
    [InlineData("vae", "Latent,LogVar,Reconstruction,Error")]
    [InlineData("autoencoder", "Latent,Reconstruction,Error")]
    [InlineData("vae-detector", "Score,PredictedLabel")]
    [InlineData("autoencoder-detector", "Score,PredictedLabel")]
    [InlineData("vae-detector-plain", "Score,PredictedLabel")]
    public void ExportedPipelinesComputeTheLibrarysOutputsInOnnxRuntimeAndInMLNet(string kind, string columns)
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(Rows, seed: 21);
        rows[3].Features[2] = float.NaN; // a broken record: the detectors flag it in ONNX too
        // Only the feature column, so the ONNX graph has exactly one input.
        var train = ml.Data.LoadFromEnumerable(Synthetic.CurvedManifold(500, seed: 22).Select(r => new FeatureRow { Features = r.Features }));
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new FeatureRow { Features = r.Features }));
        IEstimator<ITransformer> step = kind switch
        {
            "vae" => ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options
            {
                LatentDimension = 2, Epochs = 3, Seed = 1, LogVarianceColumnName = "LogVar", ReconstructionColumnName = "Reconstruction", ReconstructionErrorColumnName = "Error",
            }),
            "autoencoder" => ml.Transforms.AutoencoderEncode(new AutoencoderEncodingEstimator.Options
            {
                LatentDimension = 2, Epochs = 3, Seed = 1, ReconstructionColumnName = "Reconstruction", ReconstructionErrorColumnName = "Error",
                Activation = GenModels.Torch.Networks.Activation.SiLU,
            }),
            "vae-detector" => ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { LatentDimension = 2, Epochs = 3, Seed = 1 }),
            "vae-detector-plain" => ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { LatentDimension = 2, Epochs = 3, Seed = 1, ScoreKind = AnomalyScoreKind.ReconstructionError }),
            _ => ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { LatentDimension = 2, Epochs = 3, Seed = 1 }),
        };
        var model = ml.Transforms.NormalizeMinMax("Features").Append(step).Fit(train);
        var path = Path.Combine(folder, kind + ".onnx");
        using (var stream = File.Create(path)) ml.Model.ConvertToOnnx(model, data, stream);
        var expected = model.Transform(data);

        // ONNX Runtime, as a server in any language would run it.
        using var session = new InferenceSession(path);
        var input = new DenseTensor<float>(rows.SelectMany(r => r.Features).ToArray(), [Rows, Synthetic.Dimension]);
        var inputName = session.InputMetadata.Keys.Single(k => k == "Features");
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        // ML.NET's own ApplyOnnxModel on the same file (it names its columns without the ".output" suffix).
        var outputNames = columns.Split(',').Select(c => c + ".output").ToArray();
        var applied = ml.Transforms.ApplyOnnxModel(outputNames, ["Features"], path).Fit(data).Transform(data);
        foreach (var column in columns.Split(','))
        {
            var result = results.Single(r => r.Name == column + ".output");
            if (expected.Schema[column].Type is BooleanDataViewType)
            {
                var labels = expected.GetColumn<bool>(column).ToArray();
                Assert.Equal(labels, result.AsEnumerable<bool>().ToArray());
                Assert.Equal(labels, applied.GetColumn<bool[]>(column).Select(v => v[0]).ToArray());
                Assert.True(labels[3], "the NaN row is an anomaly");
                continue;
            }
            var want = Values(expected, column);
            var onnx = result.AsEnumerable<float>().ToArray();
            var viaMlNet = applied.GetColumn<float[]>(column).SelectMany(v => v).ToArray();
            Assert.Equal(want.Length, onnx.Length);
            double worst = 0;
            for (int i = 0; i < want.Length; i++)
            {
                if (float.IsNaN(want[i]) || float.IsInfinity(want[i])) { Assert.Equal(want[i], onnx[i]); continue; }
                double tolerance = 1e-5 * Math.Max(1, Math.Abs(want[i]));
                worst = Math.Max(worst, Math.Abs(want[i] - onnx[i]));
                Assert.True(Math.Abs(want[i] - onnx[i]) <= tolerance, $"{column}[{i}]: library {want[i]}, ONNX Runtime {onnx[i]}");
                Assert.True(Math.Abs(want[i] - viaMlNet[i]) <= tolerance || float.IsNaN(want[i]), $"{column}[{i}]: library {want[i]}, ApplyOnnxModel {viaMlNet[i]}");
            }
            output.WriteLine($"{kind} {column}: largest difference {worst:E2} over {want.Length:N0} values");
        }
    }

    [Fact]
    public void SampledColumnsAreNotExportedSilently()
    {
        var ml = new MLContext(seed: 1);
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(100, seed: 23));
        var model = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { LatentDimension = 2, Epochs = 1, Seed = 1, SampledLatentColumnName = "Sampled" }).Fit(data);
        using var stream = new MemoryStream();
        // ML.NET stops at a transform that cannot be expressed in ONNX and refuses the incomplete graph.
        Assert.Contains("ONNX", Assert.ThrowsAny<Exception>(() => ml.Model.ConvertToOnnx(model, data, stream)).Message);
    }

    public sealed class FeatureRow
    {
        [VectorType(Synthetic.Dimension)] public float[] Features { get; set; } = [];
    }

    private static float[] Values(IDataView data, string column) => data.Schema[column].Type is VectorDataViewType
        ? data.GetColumn<VBuffer<float>>(column).SelectMany(v => v.DenseValues()).ToArray()
        : data.GetColumn<float>(column).ToArray();
}
