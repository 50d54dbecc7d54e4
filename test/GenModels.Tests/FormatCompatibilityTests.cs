using System.Globalization;
using GenModels.MLNet.Gan;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace GenModels.Tests;

/// <summary>Where the models saved by earlier formats live (see TestData/format-v1/README.md).</summary>
public static class FormatFixtures
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData", "format-v1");
}

/// <summary>Models saved by format 1 (the first release) load and compute what they computed when they were saved.</summary>
public class FormatCompatibilityTests
{
    public sealed class LabelledRow
    {
        public string Label { get; set; } = "";
        [VectorType(Synthetic.Dimension)] public float[] Features { get; set; } = [];
    }

    private static IDataView Input(MLContext ml) => ml.Data.LoadFromEnumerable(File.ReadAllLines(Path.Combine(FormatFixtures.Folder, "input.csv")).Select(line =>
    {
        var parts = line.Split(',');
        return new LabelledRow { Label = parts[0], Features = parts[1..].Select(p => float.Parse(p, CultureInfo.InvariantCulture)).ToArray() };
    }).ToArray());

    [Theory]
    [InlineData("vae", "Latent,LogVar,Sampled,Reconstruction,Error,LogLikelihood")]
    [InlineData("autoencoder", "Latent,Reconstruction,Error")]
    [InlineData("vae-detector", "Score,PredictedLabel")]
    [InlineData("autoencoder-detector", "Score,PredictedLabel")]
    public void FormatOneTransformersLoadAndGiveTheirSavedOutputs(string model, string columns)
    {
        var ml = new MLContext(seed: 0);
        var loaded = ml.Model.Load(Path.Combine(FormatFixtures.Folder, model + ".zip"), out _);
        var output = loaded.Transform(Input(ml));
        foreach (var column in columns.Split(','))
        {
            var expected = File.ReadAllLines(Path.Combine(FormatFixtures.Folder, $"{model}.{column}.txt"));
            var actual = Lines(output, column);
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], $"{model} {column} row {i}");
        }
    }

    [Fact]
    public void FormatOneGanLoadsAndGeneratesItsSavedRows()
    {
        var ml = new MLContext(seed: 0);
        var gan = (GanTransformer)ml.Model.Load(Path.Combine(FormatFixtures.Folder, "gan.zip"), out _);
        Assert.Equal(["even", "odd"], gan.ClassNames);
        var expected = File.ReadAllLines(Path.Combine(FormatFixtures.Folder, "gan.Generate.txt"));
        var actual = Lines(gan.Generate(10, seed: 7), "Features");
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], $"gan row {i}");
    }

    [Fact]
    public void AFormatOneModelSavedAgainLoadsWithTheSameOutputs()
    {
        var ml = new MLContext(seed: 0);
        var loaded = ml.Model.Load(Path.Combine(FormatFixtures.Folder, "vae-detector.zip"), out var schema);
        var path = Path.Combine(Path.GetTempPath(), $"genmodels-resaved-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(loaded, schema, path);
            var again = ml.Model.Load(path, out _);
            var input = Input(ml);
            Assert.Equal(Lines(loaded.Transform(input), "Score"), Lines(again.Transform(input), "Score"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TabularFormatTwoSynthesizerLoadsAndGeneratesItsSavedRows()
    {
        // Saved before mode-specific normalisation and CTGAN (see TestData/tabular-format-2/README.md).
        var folder = Path.Combine(AppContext.BaseDirectory, "TestData", "tabular-format-2");
        var synthesizer = Assert.IsType<GenModels.MLNet.Tabular.TabularSynthesizerTransformer>(new MLContext(seed: 0).Model.Load(Path.Combine(folder, "tabular.zip"), out _));
        Assert.Equal(GenModels.MLNet.Tabular.TabularModel.Tvae, synthesizer.Model);
        Assert.Equal(GenModels.MLNet.Tabular.NumericEncoding.Standardized, synthesizer.Encoding["Value"].NumericEncoding);
        foreach (var (file, condition) in new[] { ("tabular.Generate.txt", (string?)null), ("tabular.GenerateB.txt", "B") })
        {
            var expected = File.ReadAllLines(Path.Combine(folder, file));
            var generated = synthesizer.Generate(expected.Length, seed: 7, conditionValue: condition);
            var actual = new List<string>();
            using var cursor = generated.GetRowCursor(generated.Schema);
            var g = cursor.GetGetter<ReadOnlyMemory<char>>(generated.Schema["Group"]);
            var v = cursor.GetGetter<float>(generated.Schema["Value"]);
            var income = cursor.GetGetter<double>(generated.Schema["Income"]);
            var c = cursor.GetGetter<int>(generated.Schema["Count"]);
            ReadOnlyMemory<char> gv = default; float vv = 0; double iv = 0; int cv = 0;
            while (cursor.MoveNext())
            {
                g(ref gv); v(ref vv); income(ref iv); c(ref cv);
                actual.Add(string.Join(",", gv.ToString(), vv.ToString("R", CultureInfo.InvariantCulture), iv.ToString("R", CultureInfo.InvariantCulture), cv.ToString(CultureInfo.InvariantCulture)));
            }
            Assert.Equal(expected, actual);
        }
    }

    // Saved values were printed with "R"; the batch path now runs on aligned buffers, which may move the last bit.
    private static void AssertClose(string expected, string actual, string what)
    {
        var e = expected.Split(' ');
        var a = actual.Split(' ');
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            if (e[i] is "true" or "false") { Assert.Equal(e[i], a[i]); continue; }
            double x = double.Parse(e[i], CultureInfo.InvariantCulture), y = double.Parse(a[i], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(x - y) <= 1e-5 * Math.Max(1, Math.Abs(x)), $"{what}: expected {x}, got {y}");
        }
    }

    private static string[] Lines(IDataView data, string column) => (data.Schema[column].Type switch
    {
        VectorDataViewType => data.GetColumn<VBuffer<float>>(column).Select(v => string.Join(" ", v.DenseValues().Select(f => f.ToString("R", CultureInfo.InvariantCulture)))),
        BooleanDataViewType => data.GetColumn<bool>(column).Select(b => b ? "true" : "false"),
        _ => data.GetColumn<float>(column).Select(f => f.ToString("R", CultureInfo.InvariantCulture)),
    }).ToArray();
}
