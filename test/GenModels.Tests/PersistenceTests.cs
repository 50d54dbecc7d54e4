using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using GenModels.MLNet;
using GenModels.MLNet.Autoencoders;
using GenModels.MLNet.Vae;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace GenModels.Tests;

public class PersistenceTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("genmodels-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static IEstimator<ITransformer> VaePipeline(MLContext ml) =>
        ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options
            {
                LatentDimension = 2, Epochs = 3, Seed = 3, SampledLatentColumnName = "Sampled", LogVarianceColumnName = "LogVar",
                ReconstructionColumnName = "Reconstruction", ReconstructionErrorColumnName = "Error",
            }));

    [Fact]
    public void SavedPipelineLoadsInAnotherProcessThatNeverNamesTheLibraryAndGivesIdenticalOutputs()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(300, seed: 11);
        var train = Synthetic.Load(ml, rows);
        var model = VaePipeline(ml).Fit(train);
        var modelPath = Path.Combine(folder, "vae.zip");
        ml.Model.Save(model, train.Schema, modelPath);
        var csv = Path.Combine(folder, "input.csv");
        File.WriteAllLines(csv, rows.Select(r => string.Join(",", r.Features.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));

        foreach (var column in new[] { "Latent", "Sampled", "LogVar", "Reconstruction", "Error" })
        {
            var resultPath = Path.Combine(folder, column + ".txt");
            var stdout = LoadProbe.Run(modelPath, csv, Synthetic.Dimension, column, resultPath);
            Assert.Contains("GenModels assembly loaded by ML.NET: True", stdout);
            Assert.Contains("native GOMP_SPINCOUNT: 10000", stdout); // set by the library before libtorch loaded (OpenMpWaitPolicy)
            var expected = Bits(model.Transform(train), column);
            Assert.Equal(expected, File.ReadAllLines(resultPath));
        }
    }

    /// <summary>Each row of a Single or Single-vector column as the hexadecimal bit patterns of its values (the load probe's output format).</summary>
    internal static string[] Bits(IDataView data, string column) =>
        data.Schema[column].Type is VectorDataViewType
            ? data.GetColumn<VBuffer<float>>(column).Select(v => string.Join(" ", v.DenseValues().Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8")))).ToArray()
            : data.GetColumn<float>(column).Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8")).ToArray();


    [Fact]
    public void AutoencoderRoundTripInProcessIsIdentical()
    {
        var ml = new MLContext(seed: 1);
        var train = Synthetic.Load(ml, Synthetic.CurvedManifold(200, seed: 12));
        var model = ml.Transforms.AutoencoderEncode(new AutoencoderEncodingEstimator.Options
        {
            LatentDimension = 2, Epochs = 2, Seed = 1, ReconstructionErrorColumnName = "Error",
        }).Fit(train);
        var path = Path.Combine(folder, "ae.zip");
        ml.Model.Save(model, train.Schema, path);
        var loaded = ml.Model.Load(path, out var schema);
        Assert.Equal(train.Schema.Select(c => c.Name), schema.Select(c => c.Name));
        Assert.Equal(Bits(model.Transform(train), "Latent"), Bits(loaded.Transform(train), "Latent"));
        Assert.Equal(Bits(model.Transform(train), "Error"), Bits(loaded.Transform(train), "Error"));
    }

    [Fact]
    public void CorruptedWeightsGiveAClearError()
    {
        var ml = new MLContext(seed: 1);
        var train = Synthetic.Load(ml, Synthetic.CurvedManifold(100, seed: 13));
        var path = Path.Combine(folder, "vae.zip");
        ml.Model.Save(VaePipeline(ml).Fit(train), train.Schema, path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("Network", StringComparison.Ordinal));
            byte[] bytes;
            using (var s = entry.Open()) { using var m = new MemoryStream(); s.CopyTo(m); bytes = m.ToArray(); }
            bytes[bytes.Length - 100] ^= 0x5A; // one weight byte
            var name = entry.FullName;
            entry.Delete();
            using var w = zip.CreateEntry(name).Open();
            w.Write(bytes);
        }
        var error = Assert.ThrowsAny<Exception>(() => ml.Model.Load(path, out _));
        Assert.Contains("corrupt", AllMessages(error));
    }

    [Fact]
    public void TruncatedModelFileFailsToLoad()
    {
        var ml = new MLContext(seed: 1);
        var train = Synthetic.Load(ml, Synthetic.CurvedManifold(100, seed: 14));
        var path = Path.Combine(folder, "vae.zip");
        ml.Model.Save(VaePipeline(ml).Fit(train), train.Schema, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.ThrowsAny<Exception>(() => ml.Model.Load(path, out _));
        Assert.Matches("(?i)corrupt|central directory|truncated", AllMessages(error));
    }

    [Fact]
    public void FailedAtomicSaveKeepsThePreviousFileAndLeavesNothingBehind()
    {
        var ml = new MLContext(seed: 1);
        var train = Synthetic.Load(ml, Synthetic.CurvedManifold(100, seed: 15));
        var path = Path.Combine(folder, "model.zip");
        var good = VaePipeline(ml).Fit(train);
        ml.Model.SaveAtomically(good, train.Schema, path);
        var before = File.ReadAllBytes(path);
        // A custom mapping without a registered contract cannot be saved: ML.NET throws part-way through.
        var unsaveable = good.Append(ml.Transforms.CustomMapping<Synthetic.Row, Synthetic.Row>((i, o) => o.Weight = i.Weight, contractName: null).Fit(train));
        Assert.ThrowsAny<Exception>(() => ml.Model.SaveAtomically(unsaveable, train.Schema, path));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.zip" }, Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.NotNull(ml.Model.Load(path, out _));
    }

    private static string AllMessages(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + AllMessages(e.InnerException);
}
