using GenModels.MLNet;
using GenModels.MLNet.Tabular;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>Tables with every supported column type, made by the tests: a strong dependency, missing values and a key column.</summary>
public static class Tables
{
    public sealed class Row
    {
        public string Group { get; set; } = "";
        public float Value { get; set; }
        public double Income { get; set; }
        public int Count { get; set; }
        public short Small { get; set; }
        public bool Flag { get; set; }
        public string Size { get; set; } = "";
    }

    /// <summary>
    /// Group A has Value near 0 and mostly Flag false, group B Value near 10 and mostly Flag true; Income is missing (NaN) in
    /// a fifth of the rows; Count is an integer in 1–5; Size (text, some empty) becomes a key column in <see cref="Load"/>.
    /// </summary>
    public static Row[] Grouped(int count, int seed)
    {
        var rnd = new Random(seed);
        var sizes = new[] { "S", "M", "L", "" };
        return Enumerable.Range(0, count).Select(i =>
        {
            bool b = rnd.NextDouble() < 0.5;
            return new Row
            {
                Group = b ? "B" : "A",
                Value = (float)((b ? 10 : 0) + 0.5 * Synthetic.Gaussian(rnd)),
                Income = rnd.NextDouble() < 0.2 ? double.NaN : 1000 + 100 * Synthetic.Gaussian(rnd),
                Count = rnd.Next(1, 6),
                Small = (short)rnd.Next(-3, 4),
                Flag = rnd.NextDouble() < (b ? 0.9 : 0.1),
                Size = sizes[rnd.Next(sizes.Length)],
            };
        }).ToArray();
    }

    /// <summary>The rows as a data view, Size turned into a key column with key values.</summary>
    public static IDataView Load(MLContext ml, Row[] rows) =>
        ml.Transforms.Conversion.MapValueToKey("Size").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));

    /// <summary>Each row of <paramref name="data"/> as text, column by column, for exact comparisons.</summary>
    public static string[] Text(IDataView data)
    {
        var result = new List<string>();
        using var cursor = data.GetRowCursor(data.Schema);
        var getters = data.Schema.Where(c => !c.IsHidden).Select(c => Getter(cursor, c)).ToArray();
        while (cursor.MoveNext()) result.Add(string.Join("|", getters.Select(g => g())));
        return result.ToArray();
    }

    private static Func<string> Getter(DataViewRow row, DataViewSchema.Column column)
    {
        Func<string> Make<T>() { var g = row.GetGetter<T>(column); T v = default!; return () => { g(ref v); return Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!; }; }
        return column.Type.RawType switch
        {
            var t when t == typeof(float) => Make<float>(),
            var t when t == typeof(double) => Make<double>(),
            var t when t == typeof(int) => Make<int>(),
            var t when t == typeof(short) => Make<short>(),
            var t when t == typeof(bool) => Make<bool>(),
            var t when t == typeof(uint) => Make<uint>(),
            var t when t == typeof(ReadOnlyMemory<char>) => Make<ReadOnlyMemory<char>>(),
            _ => throw new NotSupportedException(column.Type.ToString()),
        };
    }
}

public class TableEncodingTests
{
    [Fact]
    public void EveryColumnTypeRoundTripsWithMissingValuesAndKeys()
    {
        var ml = new MLContext(seed: 1);
        var data = Tables.Load(ml, Tables.Grouped(300, seed: 2));
        var encoding = TableEncoding.Fit(data);

        Assert.Equal(["Group", "Value", "Income", "Count", "Small", "Flag", "Size"], encoding.Columns.Select(c => c.Name));
        Assert.True(encoding["Income"].HasMissing);
        Assert.Equal(3, encoding["Income"].Width);                        // value, present, missing
        Assert.False(encoding["Value"].HasMissing);
        Assert.Equal(["A", "B"], encoding["Group"].Categories);
        Assert.Equal(["False", "True"], encoding["Flag"].Categories);
        Assert.Equal(["", "L", "M", "S"], encoding["Size"].Categories.OrderBy(c => c, StringComparer.Ordinal));
        Assert.True(encoding["Count"].IsInteger);

        var decoded = encoding.Decode(encoding.Encode(data));
        Assert.Equal(data.Schema.Where(c => !c.IsHidden).Select(c => (c.Name, c.Type)), decoded.Schema.Select(c => (c.Name, c.Type)));
        VBuffer<ReadOnlyMemory<char>> original = default, kept = default;
        data.Schema["Size"].GetKeyValues(ref original);
        decoded.Schema["Size"].GetKeyValues(ref kept);
        Assert.Equal(original.DenseValues().Select(v => v.ToString()), kept.DenseValues().Select(v => v.ToString()));

        // Categories, integers, Booleans and keys come back exactly; numbers to float precision; NaN stays NaN.
        var before = data.GetColumn<double>("Income").ToArray();
        var after = decoded.GetColumn<double>("Income").ToArray();
        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal(double.IsNaN(before[i]), double.IsNaN(after[i]));
            if (!double.IsNaN(before[i])) Assert.Equal(before[i], after[i], 1e-3);
        }
        Assert.Equal(data.GetColumn<float>("Value").ToArray(), decoded.GetColumn<float>("Value").ToArray(), new ToleranceComparer(1e-4f));
        foreach (var name in new[] { "Group" })
            Assert.Equal(data.GetColumn<ReadOnlyMemory<char>>(name).Select(v => v.ToString()), decoded.GetColumn<ReadOnlyMemory<char>>(name).Select(v => v.ToString()));
        Assert.Equal(data.GetColumn<int>("Count"), decoded.GetColumn<int>("Count"));
        Assert.Equal(data.GetColumn<short>("Small"), decoded.GetColumn<short>("Small"));
        Assert.Equal(data.GetColumn<bool>("Flag"), decoded.GetColumn<bool>("Flag"));
        Assert.Equal(data.GetColumn<uint>("Size"), decoded.GetColumn<uint>("Size"));
    }

    [Fact]
    public void ModeSpecificEncodingFindsTheModesAndRoundTripsEveryType()
    {
        var ml = new MLContext(seed: 1);
        var rows = Tables.Grouped(400, seed: 2);
        for (int i = 0; i < rows.Length; i += 2) rows[i].Income = 0;              // a point mass at 0 beside values near 1000
        var data = Tables.Load(ml, rows);
        var encoding = TableEncoding.Fit(data, new TableEncodingOptions { NumericEncoding = NumericEncoding.ModeSpecific, Seed = 3 });

        // Value is 0 or 10 by group: two heavy modes there; Income's point mass gets a mode of (nearly) zero spread.
        var value = encoding["Value"];
        Assert.Equal(NumericEncoding.ModeSpecific, value.NumericEncoding);
        Assert.InRange(value.Modes.Count, 2, TableEncoding.Defaults.MaxModes);
        Assert.Equal(1 + value.Modes.Count, value.Width);
        Assert.Contains(value.Modes, m => Math.Abs(m.Mean) < 1 && m.Weight > 0.2);
        Assert.Contains(value.Modes, m => Math.Abs(m.Mean - 10) < 1 && m.Weight > 0.2);
        Assert.All(value.Modes, m => Assert.True(m.Weight >= 0.005, $"mode {m} below the pruning threshold"));
        var income = encoding["Income"];
        Assert.Equal(1 + income.Modes.Count + 2, income.Width);                  // α, modes, present/missing
        Assert.Contains(income.Modes, m => m.Mean == 0 && m.StandardDeviation < 1);
        Assert.Equal(["Group", "Flag", "Size"], encoding.CategoricalColumnBlocks.Select(i => encoding.Columns.Single(c => c.Start == encoding.Blocks[i].Start).Name));
        Assert.Equal(encoding.Width, encoding.Blocks.Sum(b => b.Length));

        var decoded = encoding.Decode(encoding.Encode(data));
        var before = data.GetColumn<double>("Income").ToArray();
        var after = decoded.GetColumn<double>("Income").ToArray();
        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal(double.IsNaN(before[i]), double.IsNaN(after[i]));
            if (!double.IsNaN(before[i])) Assert.Equal(before[i], after[i], 1e-3);
        }
        Assert.Equal(data.GetColumn<float>("Value").ToArray(), decoded.GetColumn<float>("Value").ToArray(), new ToleranceComparer(1e-4f));
        Assert.Equal(data.GetColumn<int>("Count"), decoded.GetColumn<int>("Count"));
        Assert.Equal(data.GetColumn<short>("Small"), decoded.GetColumn<short>("Small"));
        Assert.Equal(data.GetColumn<bool>("Flag"), decoded.GetColumn<bool>("Flag"));
        Assert.Equal(data.GetColumn<uint>("Size"), decoded.GetColumn<uint>("Size"));
        Assert.Equal(data.GetColumn<ReadOnlyMemory<char>>("Group").Select(v => v.ToString()), decoded.GetColumn<ReadOnlyMemory<char>>("Group").Select(v => v.ToString()));
    }

    [Fact]
    public void DecodingPicksTheLargestEntryClampsAndRounds()
    {
        var ml = new MLContext(seed: 1);
        var data = Tables.Load(ml, Tables.Grouped(200, seed: 3));
        var encoding = TableEncoding.Fit(data, ["Count", "Group", "Income"]);
        var row = new float[encoding.Width];
        var count = encoding["Count"];
        row[count.Start] = 100;                                               // far above the training range
        row[encoding["Group"].Start + 1] = 0.6f;                              // B wins over A
        row[encoding["Group"].Start] = 0.4f;
        row[encoding["Income"].Start + 2] = 0.9f;                             // missing wins over present
        var decoded = encoding.Decode(row);
        Assert.Equal(5, decoded.GetColumn<int>("Count").Single());
        Assert.Equal("B", decoded.GetColumn<ReadOnlyMemory<char>>("Group").Single().ToString());
        Assert.True(double.IsNaN(decoded.GetColumn<double>("Income").Single()));
    }

    private sealed class VectorRow
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
        public float Value { get; set; }
    }

    [Fact]
    public void UnsupportedColumnTypeIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new VectorRow { Features = [1, 2, 3], Value = 1 } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TableEncoding.Fit(data));
        Assert.Contains("'Features'", e.Message);
        Assert.Contains("DropColumns", e.Message);
        var estimator = ml.Generative().TabularSynthesizer();
        e = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(BadInputTests.Shape(data.Schema)));
        Assert.Contains("'Features'", e.Message);
        Assert.Equal(["Value"], TableEncoding.Fit(data, ["Value"]).Columns.Select(c => c.Name));
    }

    [Fact]
    public void TooManyCategoriesIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var rows = Tables.Grouped(50, seed: 4);
        for (int i = 0; i < rows.Length; i++) rows[i].Group = "id" + i;
        var e = Assert.Throws<InvalidOperationException>(() => TableEncoding.Fit(ml.Data.LoadFromEnumerable(rows), maxCategories: 20));
        Assert.Contains("'Group'", e.Message);
        Assert.Contains("20", e.Message);
    }

    [Fact]
    public void EmptyTableIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => TableEncoding.Fit(ml.Data.LoadFromEnumerable(Array.Empty<Tables.Row>())));
        Assert.Contains("no training rows", e.Message);
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));
        public int GetHashCode(float obj) => 0;
    }
}

/// <summary>One conditional synthesizer trained on the grouped table, shared by the tests that only read it.</summary>
public sealed class TabularSynthesizerFixture : IDisposable
{
    public TabularSynthesizerFixture()
    {
        Ml = new MLContext(seed: 1);
        Train = Tables.Load(Ml, Tables.Grouped(600, seed: 5));
        Model = Ml.Generative().TabularSynthesizer(new TabularSynthesizerEstimator.Options
        {
            ConditionColumnName = "Group", Epochs = 100, BatchSize = 64, Seed = 7, NumberOfThreads = 1,
        }).Fit(Train);
    }

    public MLContext Ml { get; }
    public IDataView Train { get; }
    public TabularSynthesizerTransformer Model { get; }
    public void Dispose() => Model.Dispose();
}

public class TabularSynthesizerTests(TabularSynthesizerFixture fixture, ITestOutputHelper output) : IClassFixture<TabularSynthesizerFixture>
{
    [Fact]
    public void GeneratedTableHasTheTrainingSchema()
    {
        var generated = fixture.Model.Generate(10, seed: 1);
        Assert.Equal(10, generated.GetRowCount());
        Assert.Equal(fixture.Train.Schema.Where(c => !c.IsHidden).Select(c => (c.Name, c.Type)), generated.Schema.Select(c => (c.Name, c.Type)));
        Assert.True(generated.Schema["Size"].HasKeyValues());
        Assert.Equal(10, Tables.Text(generated).Length);
        Assert.Equal(fixture.Model.GetOutputSchema(fixture.Train.Schema).Select(c => c.Name), generated.Schema.Select(c => c.Name));
    }

    [Fact]
    public void SynthesizerReproducesTheDependencyBetweenCategoryAndValue()
    {
        var rows = fixture.Ml.Data.CreateEnumerable<Tables.Row>(fixture.Model.Generate(1000, seed: 2).DropKeys(fixture.Ml), reuseRowObject: false).ToArray();
        var a = rows.Where(r => r.Group == "A").ToArray();
        var b = rows.Where(r => r.Group == "B").ToArray();
        double meanA = a.Average(r => r.Value), meanB = b.Average(r => r.Value);
        double missing = rows.Count(r => double.IsNaN(r.Income)) / (double)rows.Length;
        double flagB = b.Count(r => r.Flag) / (double)b.Length, flagA = a.Count(r => r.Flag) / (double)a.Length;
        output.WriteLine($"A: {a.Length} rows, mean {meanA:F2}, flag {flagA:P0}; B: {b.Length} rows, mean {meanB:F2}, flag {flagB:P0}; Income missing {missing:P1}");
        Assert.InRange(a.Length / (double)rows.Length, 0.35, 0.65);
        Assert.InRange(meanA, -1.5, 1.5);
        Assert.InRange(meanB, 8.5, 11.5);
        Assert.True(flagB > 0.7 && flagA < 0.3, $"Flag does not follow Group: {flagA:P0} in A, {flagB:P0} in B");
        Assert.InRange(missing, 0.1, 0.3);
        Assert.All(rows, r => Assert.InRange(r.Count, 1, 5));
    }

    [Fact]
    public void DefaultDecodingSharpensCategoriesKeepsUnexplainedSharesAndDrawsMissingNumbers()
    {
        // Flag is true in 90 % of group B's training rows and 10 % of A's. TVAE draws categorical columns at temperature
        // 0.5 (probabilities squared and renormalised: 90 % becomes about 99 %), so B's rows come back nearly all true;
        // drawing at temperature 1 would give about 90 %. Size takes its four values at random: a uniform softmax stays
        // uniform, where the most likely value would take every row. Income's missing flag belongs to a number and is
        // drawn as it is: missing in about a fifth of the rows.
        Assert.Equal(0.5, new TabularSynthesizerEstimator.Options().CategoryTemperature);
        var rows = fixture.Ml.Data.CreateEnumerable<Tables.Row>(fixture.Model.Generate(1000, seed: 6).DropKeys(fixture.Ml), reuseRowObject: false).ToArray();
        double flagB = rows.Where(r => r.Group == "B").Average(r => r.Flag ? 1.0 : 0.0), flagA = rows.Where(r => r.Group == "A").Average(r => r.Flag ? 1.0 : 0.0);
        double missing = rows.Average(r => double.IsNaN(r.Income) ? 1.0 : 0.0);
        var sizes = rows.GroupBy(r => r.Size).ToDictionary(g => g.Key, g => g.Count() / (double)rows.Length);
        output.WriteLine($"Flag true in B {flagB:P1}, in A {flagA:P1}; Income missing {missing:P1}; Size {string.Join(", ", sizes.Select(p => $"'{p.Key}' {p.Value:P0}"))}");
        Assert.True(flagB > 0.95 && flagA < 0.05, $"Flag is not sharpened: {flagB:P1} true in B, {flagA:P1} in A");
        Assert.Equal(4, sizes.Count);
        Assert.All(sizes.Values, share => Assert.InRange(share, 0.15, 0.35));
        Assert.InRange(missing, 0.1, 0.3);
    }

    [Fact]
    public void ConditionalGenerationGivesTheRequestedCategory()
    {
        var rows = fixture.Ml.Data.CreateEnumerable<Tables.Row>(fixture.Model.Generate(300, seed: 3, conditionValue: "B").DropKeys(fixture.Ml), reuseRowObject: false).ToArray();
        Assert.All(rows, r => Assert.Equal("B", r.Group));
        double mean = rows.Average(r => r.Value);
        output.WriteLine($"Value mean given B: {mean:F2}");
        Assert.InRange(mean, 8.5, 11.5);
        Assert.Equal(["A", "B"], fixture.Model.ConditionValues);
    }

    [Fact]
    public void SameSeedGivesTheSameRowsAndAnotherSeedOthers()
    {
        var first = Tables.Text(fixture.Model.Generate(300, seed: 4));
        Assert.Equal(first, Tables.Text(fixture.Model.Generate(300, seed: 4)));
        Assert.NotEqual(first, Tables.Text(fixture.Model.Generate(300, seed: 5)));
    }

    [Fact]
    public void SavedModelLoadsAndGeneratesIdenticalRows()
    {
        using var stream = new MemoryStream();
        fixture.Ml.Model.Save(fixture.Model, fixture.Train.Schema, stream);
        stream.Position = 0;
        var loaded = new MLContext(seed: 9).Model.Load(stream, out _);
        var synthesizer = Assert.IsType<TabularSynthesizerTransformer>(loaded);
        Assert.Equal(Tables.Text(fixture.Model.Generate(200, seed: 6, conditionValue: "A")), Tables.Text(synthesizer.Generate(200, seed: 6, conditionValue: "A")));
        Assert.Equal(Tables.Text(fixture.Model.Generate(200, seed: 6)), Tables.Text(synthesizer.Generate(200, seed: 6)));
        Assert.Equal(fixture.Model.Generate(1).Schema.Select(c => (c.Name, c.Type)), synthesizer.Generate(1).Schema.Select(c => (c.Name, c.Type)));
    }

    [Fact]
    public void SavedModelGeneratesTheSameRowsInAnotherProcess()
    {
        var folder = Directory.CreateTempSubdirectory("genmodels-tabular-").FullName;
        try
        {
            var modelPath = Path.Combine(folder, "synthesizer.zip");
            fixture.Ml.Model.Save(fixture.Model, fixture.Train.Schema, modelPath);
            // As a transform the synthesizer gives as many rows as its input (seed 0): the probe's input only sets the count.
            var csv = Path.Combine(folder, "input.csv");
            File.WriteAllLines(csv, Enumerable.Range(0, 50).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var input = fixture.Ml.Data.LoadFromTextFile(csv, [new TextLoader.Column("Features", DataKind.Single, 0, 0)], separatorChar: ',');
            var resultPath = Path.Combine(folder, "Value.txt");
            var stdout = LoadProbe.Run(modelPath, csv, 1, "Value", resultPath);
            Assert.Contains("GenModels assembly loaded by ML.NET: True", stdout);
            Assert.Equal(PersistenceTests.Bits(fixture.Model.Transform(input), "Value"), File.ReadAllLines(resultPath));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TrainingReportsProgressAndStopsWhenCancelled()
    {
        var ml = new MLContext(seed: 1);
        var data = Tables.Load(ml, Tables.Grouped(100, seed: 6));
        var reports = new List<GenModels.Torch.Training.TrainingProgress>();
        using var cancel = new CancellationTokenSource();
        var options = new TabularSynthesizerEstimator.Options
        {
            Epochs = 50, Seed = 1, NumberOfThreads = 1, CancellationToken = cancel.Token,
            Progress = new SynchronousProgress(p => { reports.Add(p); if (p.Epoch == 3 && p.IsEpochEnd) cancel.Cancel(); }),
        };
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Generative().TabularSynthesizer(options).Fit(data));
        Assert.Equal(3, reports.Where(r => r.IsEpochEnd).Max(r => r.Epoch));
        Assert.Contains("reconstruction_loss", reports[0].Losses.Keys);
    }

    private sealed class SynchronousProgress(Action<GenModels.Torch.Training.TrainingProgress> report) : IProgress<GenModels.Torch.Training.TrainingProgress>
    {
        public void Report(GenModels.Torch.Training.TrainingProgress value) => report(value);
    }

    [Fact]
    public void UnknownConditionValueIsNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => fixture.Model.Generate(5, conditionValue: "C"));
        Assert.Contains("'C'", e.Message);
        Assert.Contains("'Group'", e.Message);
    }

    [Fact]
    public void ValueForAnUnconditionalModelIsRejected()
    {
        var ml = new MLContext(seed: 1);
        var data = Tables.Load(ml, Tables.Grouped(60, seed: 6));
        using var model = ml.Generative().TabularSynthesizer(new TabularSynthesizerEstimator.Options { Epochs = 1, Seed = 1 }).Fit(data);
        Assert.Throws<ArgumentException>(() => model.Generate(5, conditionValue: "A"));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Generate(-1));
    }

    [Fact]
    public void NumericConditionColumnIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = Tables.Load(ml, Tables.Grouped(60, seed: 6));
        var estimator = ml.Generative().TabularSynthesizer(conditionColumnName: "Value");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(BadInputTests.Shape(data.Schema)));
        Assert.Contains("'Value'", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
    }
}

/// <summary>One conditional CTGAN trained on the grouped table, shared by the tests that only read it.</summary>
public sealed class CtganFixture : IDisposable
{
    public CtganFixture()
    {
        Ml = new MLContext(seed: 1);
        Train = Tables.Load(Ml, Tables.Grouped(600, seed: 5));
        Model = Ml.Generative().TabularSynthesizer(new TabularSynthesizerEstimator.Options
        {
            // Small networks at a higher learning rate: 600 steps (about 10 s) learn the group → value dependency.
            Model = TabularModel.Ctgan, ConditionColumnName = "Group", Epochs = 300, BatchSize = 300, Seed = 7, NumberOfThreads = 1,
            GeneratorHiddenSizes = [64, 64], DiscriminatorHiddenSizes = [64, 64], NoiseDimension = 32, CtganLearningRate = 1e-3,
        }).Fit(Train);
    }

    public MLContext Ml { get; }
    public IDataView Train { get; }
    public TabularSynthesizerTransformer Model { get; }
    public void Dispose() => Model.Dispose();
}

public class CtganSynthesizerTests(CtganFixture fixture, ITestOutputHelper output) : IClassFixture<CtganFixture>
{
    [Fact]
    public void CtganReproducesTheDependencyBetweenCategoryAndValue()
    {
        Assert.Equal(TabularModel.Ctgan, fixture.Model.Model);
        var rows = fixture.Ml.Data.CreateEnumerable<Tables.Row>(fixture.Model.Generate(1000, seed: 2).DropKeys(fixture.Ml), reuseRowObject: false).ToArray();
        var a = rows.Where(r => r.Group == "A").ToArray();
        var b = rows.Where(r => r.Group == "B").ToArray();
        double meanA = a.Average(r => r.Value), meanB = b.Average(r => r.Value);
        double flagB = b.Count(r => r.Flag) / (double)b.Length, flagA = a.Count(r => r.Flag) / (double)a.Length;
        output.WriteLine($"A: {a.Length} rows, mean {meanA:F2}, flag {flagA:P0}; B: {b.Length} rows, mean {meanB:F2}, flag {flagB:P0}");
        Assert.InRange(a.Length / (double)rows.Length, 0.3, 0.7);
        Assert.InRange(meanA, -2, 2);
        Assert.InRange(meanB, 8, 12);
        Assert.True(flagB > flagA + 0.4, $"Flag does not follow Group: {flagA:P0} in A, {flagB:P0} in B");
        Assert.All(rows, r => Assert.InRange(r.Count, 1, 5));
    }

    [Fact]
    public void CtganConditionalGenerationGivesTheRequestedCategory()
    {
        var rows = fixture.Ml.Data.CreateEnumerable<Tables.Row>(fixture.Model.Generate(300, seed: 3, conditionValue: "A").DropKeys(fixture.Ml), reuseRowObject: false).ToArray();
        Assert.All(rows, r => Assert.Equal("A", r.Group));
        double mean = rows.Average(r => r.Value);
        output.WriteLine($"Value mean given A: {mean:F2}");
        Assert.InRange(mean, -2, 2);
    }

    [Fact]
    public void SavedCtganLoadsAndGeneratesIdenticalRows()
    {
        using var stream = new MemoryStream();
        fixture.Ml.Model.Save(fixture.Model, fixture.Train.Schema, stream);
        stream.Position = 0;
        var synthesizer = Assert.IsType<TabularSynthesizerTransformer>(new MLContext(seed: 9).Model.Load(stream, out _));
        Assert.Equal(TabularModel.Ctgan, synthesizer.Model);
        Assert.Equal(Tables.Text(fixture.Model.Generate(200, seed: 6, conditionValue: "B")), Tables.Text(synthesizer.Generate(200, seed: 6, conditionValue: "B")));
        Assert.Equal(Tables.Text(fixture.Model.Generate(200, seed: 6)), Tables.Text(synthesizer.Generate(200, seed: 6)));
        Assert.Equal(fixture.Model.Encoding["Value"].Modes, synthesizer.Encoding["Value"].Modes);
    }

    [Fact]
    public void CtganUnknownConditionValueIsNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => fixture.Model.Generate(5, conditionValue: "C"));
        Assert.Contains("'C'", e.Message);
        Assert.Contains("'Group'", e.Message);
    }

    [Fact]
    public void PackedCtganCriticJudgesWholePacksOfRows()
    {
        // One number and a category of three: 4 encoded values; the category is the conditional block (3 values).
        var blocks = new[] { new GenModels.Torch.Tabular.TabularBlock(0, 1, false), new GenModels.Torch.Tabular.TabularBlock(1, 3, true) };
        var options = new GenModels.Torch.Tabular.CtganOptions
        {
            DataDimension = 4, Blocks = blocks, ConditionalBlocks = [1], CategoryFrequencies = [[0.5, 0.3, 0.2]],
            NoiseDimension = 4, GeneratorHiddenSizes = [8], DiscriminatorHiddenSizes = [8], Pac = 4,
        };
        Assert.Equal(1, new GenModels.Torch.Tabular.CtganOptions().Pac); // the default: one row per critic sample
        using var ctgan = new GenModels.Torch.Tabular.Ctgan(options);
        using var rows = TorchSharp.torch.rand(8, 4 + 3);                  // 8 rows of [values, conditional vector]
        using (TorchSharp.torch.no_grad())
        {
            var scores = ctgan.Critic(rows);
            Assert.Equal(new long[] { 2 }, scores.shape);                   // one score per pack of 4 rows
            using var changed = rows.clone();
            changed[5, 0] = TorchSharp.torch.tensor(9f);                     // a row of the second pack
            var after = ctgan.Critic(changed);
            Assert.Equal(scores[0].item<float>(), after[0].item<float>());
            Assert.NotEqual(scores[1].item<float>(), after[1].item<float>());
        }
        using var noise = new TorchSharp.torch.Generator(1);
        using var step = new GenModels.Torch.Tabular.CtganStep(ctgan, 1e-3, noise);
        ctgan.train();
        using var batch = TorchSharp.torch.cat([TorchSharp.torch.rand(10, 1), TorchSharp.torch.nn.functional.one_hot(TorchSharp.torch.randint(0, 3, [10]), 3).to_type(TorchSharp.torch.ScalarType.Float32)], 1);
        using (TorchSharp.torch.NewDisposeScope()) Assert.True(step.TrainStep(batch).IsFinite);   // 10 rows redrawn to 12: three packs
    }

    [Theory]
    [InlineData(nameof(TabularSynthesizerEstimator.Options.Pac), 0)]
    [InlineData(nameof(TabularSynthesizerEstimator.Options.NoiseDimension), 0)]
    [InlineData(nameof(TabularSynthesizerEstimator.Options.GradientPenalty), -1)]
    [InlineData(nameof(TabularSynthesizerEstimator.Options.CtganLearningRate), 0)]
    [InlineData(nameof(TabularSynthesizerEstimator.Options.MaxModes), 0)]
    public void BadCtganSettingIsNamed(string setting, double value)
    {
        var options = new TabularSynthesizerEstimator.Options { Model = TabularModel.Ctgan };
        var field = typeof(TabularSynthesizerEstimator.Options).GetField(setting)!;
        field.SetValue(options, Convert.ChangeType(value, field.FieldType, System.Globalization.CultureInfo.InvariantCulture));
        var e = Assert.ThrowsAny<ArgumentException>(() => new MLContext(seed: 1).Generative().TabularSynthesizer(options));
        Assert.Contains(setting, e.Message);
    }

    [Fact]
    public void CtganNumericConditionColumnIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = Tables.Load(ml, Tables.Grouped(60, seed: 6));
        var estimator = ml.Generative().TabularSynthesizer(new TabularSynthesizerEstimator.Options { Model = TabularModel.Ctgan, ConditionColumnName = "Value" });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        Assert.Contains("'Value'", e.Message);
    }
}

public class TableEvaluationTests(TabularSynthesizerFixture fixture, ITestOutputHelper output) : IClassFixture<TabularSynthesizerFixture>
{
    [Fact]
    public void EfficacyOfRealRowsMatchesAndShuffledColumnsLose()
    {
        var ml = fixture.Ml;
        var rows = Tables.Grouped(600, seed: 5);
        var rnd = new Random(8);
        var shuffledValues = rows.Select(r => r.Value).OrderBy(_ => rnd.Next()).ToArray();
        var broken = Tables.Load(ml, rows.Select((r, i) => new Tables.Row { Group = r.Group, Value = shuffledValues[i], Income = r.Income, Count = r.Count, Small = r.Small, Flag = r.Flag, Size = r.Size }).ToArray());
        var holdout = Tables.Load(ml, Tables.Grouped(300, seed: 9));

        // A class column of two categories is scored by AUC: the same rows give the real figure; synthetic rows come close.
        var byGroup = new TableEvaluationOptions { Holdout = holdout, TargetColumnName = "Group", PairTrends = false };
        var same = ml.Generative().EvaluateTable(fixture.Train, fixture.Train, byGroup).Efficacy!;
        var synthetic = ml.Generative().EvaluateTable(fixture.Train, fixture.Model.Generate(600, seed: 1), byGroup).Efficacy!;
        output.WriteLine($"Group (AUC): real {same.Real:F3}, trained on the same rows {same.Synthetic:F3}, on synthetic rows {synthetic.Synthetic:F3}");
        Assert.Equal("AUC", same.Metric);
        Assert.Equal(same.Real, same.Synthetic, 1e-9);
        Assert.True(same.Real > 0.95, $"Group follows Value: AUC {same.Real:F3}");
        Assert.True(synthetic.Gap < 0.05, $"synthetic rows lose {synthetic.Gap:F3} of AUC");

        // A number is scored by R²: rows whose Value was shuffled away from its group teach nothing about it.
        var byValue = new TableEvaluationOptions { Holdout = holdout, TargetColumnName = "Value", PairTrends = false };
        var regression = ml.Generative().EvaluateTable(fixture.Train, fixture.Train, byValue).Efficacy!;
        var shuffled = ml.Generative().EvaluateTable(fixture.Train, broken, byValue).Efficacy!;
        output.WriteLine($"Value (R²): real {regression.Real:F3}, trained on shuffled values {shuffled.Synthetic:F3}");
        Assert.Equal("RSquared", regression.Metric);
        Assert.True(regression.Real > 0.9, $"Value follows Group: R² {regression.Real:F3}");
        Assert.True(shuffled.Synthetic < 0.1, $"shuffled values still predict: R² {shuffled.Synthetic:F3}");

        var e = Assert.Throws<ArgumentException>(() => ml.Generative().EvaluateTable(fixture.Train, fixture.Train, new TableEvaluationOptions { TargetColumnName = "Value" }));
        Assert.Contains("Holdout", e.Message);
        e = Assert.Throws<ArgumentException>(() => ml.Generative().EvaluateTable(fixture.Train, fixture.Train, new TableEvaluationOptions { Holdout = holdout, TargetColumnName = "Nope" }));
        Assert.Contains("'Nope'", e.Message);
    }

    [Fact]
    public void FifthPercentileDistanceIsZeroForCopiesAndReportedForTheHoldout()
    {
        var holdout = Tables.Load(fixture.Ml, Tables.Grouped(300, seed: 9));
        var copies = fixture.Ml.Generative().EvaluateTable(fixture.Train, fixture.Train, new TableEvaluationOptions { Holdout = holdout, PairTrends = false }).Distance!;
        Assert.Equal(0, copies.SyntheticFifthPercentile);
        Assert.True(copies.HoldoutFifthPercentile > 0);
        Assert.True(copies.HoldoutFifthPercentile <= copies.HoldoutMedian);
    }

    [Fact]
    public void IdenticalTablesScoreOneAndAreExactCopies()
    {
        var evaluation = fixture.Ml.Generative().EvaluateTable(fixture.Train, fixture.Train);
        Assert.All(evaluation.Columns, c => Assert.Equal(1, c.Score, 1e-12));
        Assert.All(evaluation.Pairs, p => Assert.Equal(1, p.Score, 1e-12));
        Assert.Equal(21, evaluation.Pairs.Count);                                     // 7 columns
        Assert.Equal(1, evaluation.Distance!.SyntheticExactCopies);
        Assert.Equal(0, evaluation.Distance.SyntheticMedian);
        Assert.Equal(0.2, evaluation.Columns.Single(c => c.Column == "Income").RealMissingShare, 0.05);
    }

    private sealed class NumberRow { public float X { get; set; } }

    [Fact]
    public void KsComplementOfHalfOverlappingSamplesIsOneHalf()
    {
        var ml = new MLContext(seed: 1);
        var real = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 100).Select(i => new NumberRow { X = i }));
        var shifted = ml.Data.LoadFromEnumerable(Enumerable.Range(50, 100).Select(i => new NumberRow { X = i }));
        var score = ml.Generative().EvaluateTable(real, shifted).Columns.Single();
        Assert.Equal("KSComplement", score.Metric);
        Assert.Equal(0.5, score.Score, 1e-12);
    }

    [Fact]
    public void SynthesizerKeepsRelationsBetterThanIndependentColumns()
    {
        var ml = fixture.Ml;
        var rows = Tables.Grouped(600, seed: 5);
        var rnd = new Random(8);
        T[] Shuffled<T>(Func<Tables.Row, T> pick) => rows.Select(pick).OrderBy(_ => rnd.Next()).ToArray();
        var (g, v, inc, c, sm, f, sz) = (Shuffled(r => r.Group), Shuffled(r => r.Value), Shuffled(r => r.Income), Shuffled(r => r.Count),
            Shuffled(r => r.Small), Shuffled(r => r.Flag), Shuffled(r => r.Size));
        var independent = Tables.Load(ml, Enumerable.Range(0, rows.Length).Select(i => new Tables.Row
        {
            Group = g[i], Value = v[i], Income = inc[i], Count = c[i], Small = sm[i], Flag = f[i], Size = sz[i],
        }).ToArray());
        var holdout = Tables.Load(ml, Tables.Grouped(300, seed: 9));
        var options = new TableEvaluationOptions { Holdout = holdout };
        var synthetic = ml.Generative().EvaluateTable(fixture.Train, fixture.Model.Generate(600, seed: 1), options);
        var baseline = ml.Generative().EvaluateTable(fixture.Train, independent, options);
        output.WriteLine("synthesizer: " + synthetic);
        output.WriteLine("independent columns: " + baseline);
        Assert.True(synthetic.ColumnShapes > 0.85, $"column shapes {synthetic.ColumnShapes:F3}");
        // Only Group, Value and Flag depend on each other; over the other 18 (independent) pairs, shuffled columns are as good as it gets.
        string[] related = ["Group", "Value", "Flag"];
        double Related(TableEvaluation e) => e.Pairs.Where(p => related.Contains(p.First) && related.Contains(p.Second)).Average(p => p.Score);
        output.WriteLine($"related pairs: synthesizer {Related(synthetic):F3}, independent columns {Related(baseline):F3}");
        Assert.True(Related(synthetic) > Related(baseline) + 0.2, $"related pairs {Related(synthetic):F3} against {Related(baseline):F3} for independent columns");
        Assert.True(synthetic.Distance!.SyntheticExactCopies < 0.05, "the synthesizer copies training rows");
    }

    [Fact]
    public void MissingColumnInTheSyntheticTableIsNamed()
    {
        var ml = fixture.Ml;
        var fewer = ml.Transforms.DropColumns("Value").Fit(fixture.Train).Transform(fixture.Train);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Generative().EvaluateTable(fixture.Train, fewer));
        Assert.Contains("'Value'", e.Message);
    }
}

internal static class TableViews
{
    /// <summary>The view with its key column Size turned back into text, so it reads into <see cref="Tables.Row"/>.</summary>
    public static IDataView DropKeys(this IDataView data, MLContext ml) =>
        ml.Transforms.Conversion.MapKeyToValue("Size").Fit(data).Transform(data);
}

public class TabularVaeDecodingTests
{
    /// <summary>
    /// A network whose decoder ignores the code and gives every row the logits (0, ln 2, 0) in both of its 3-way blocks:
    /// category 1 has probability 1/2, the others 1/4 each. The first block is sharpened at <paramref name="temperature"/>.
    /// </summary>
    private static GenModels.Torch.Tabular.TabularVae Network(double temperature, int[]? sharpened = null)
    {
        var blocks = new[] { new GenModels.Torch.Tabular.TabularBlock(0, 3, true), new GenModels.Torch.Tabular.TabularBlock(3, 3, true) };
        var vae = new GenModels.Torch.Tabular.TabularVae(new GenModels.Torch.Tabular.TabularVaeOptions
        {
            DataDimension = 6, Blocks = blocks, SharpenedBlocks = sharpened ?? [0], CategoryTemperature = temperature,
        });
        using var noGrad = TorchSharp.torch.no_grad();
        var decoder = vae.named_parameters().Where(p => p.name.StartsWith("decoder.", StringComparison.Ordinal)).ToArray();
        foreach (var (_, p) in decoder) p.zero_();
        float ln2 = (float)Math.Log(2);
        decoder.Last(p => p.name.EndsWith(".bias", StringComparison.Ordinal)).parameter.copy_(TorchSharp.torch.tensor(new float[] { 0, ln2, 0, 0, ln2, 0 }));
        return vae;
    }

    private static (double First, double Second) ShareOfCategoryOne(double temperature)
    {
        using var vae = Network(temperature);
        using var noise = new TorchSharp.torch.Generator(3);
        using var rows = vae.Sample(4000, null, noise);
        double Share(long start) => rows.narrow(1, start, 3).argmax(1).data<long>().ToArray().Average(c => c == 1 ? 1.0 : 0.0);
        return (Share(0), Share(3));
    }

    [Fact]
    public void SharpenedBlocksAreDrawnAtTheTemperatureAndTheOthersAsModelled()
    {
        // Temperature 0.5: (1/2)² / ((1/2)² + 2 (1/4)²) = 2/3. Temperature 0: always the most likely. The second block is
        // not sharpened: category 1 half the time whatever the temperature.
        var (half, unsharpened) = ShareOfCategoryOne(0.5);
        Assert.InRange(half, 0.64, 0.70);
        Assert.InRange(unsharpened, 0.47, 0.53);
        Assert.Equal(1.0, ShareOfCategoryOne(0).First);
        Assert.InRange(ShareOfCategoryOne(1).First, 0.47, 0.53);

        Assert.Throws<ArgumentException>(() => Network(0.5, [0, 0]));                        // a block named twice
        Assert.Throws<ArgumentOutOfRangeException>(() => Network(-1));
        var continuous = new GenModels.Torch.Tabular.TabularVaeOptions { DataDimension = 1, Blocks = [new GenModels.Torch.Tabular.TabularBlock(0, 1, false)], SharpenedBlocks = [0] };
        Assert.Equal("SharpenedBlocks", Assert.Throws<ArgumentException>(continuous.Validate).ParamName);
    }
}

public class TabularBudgetTests
{
    private sealed class Wide { public string C { get; set; } = ""; }

    [Fact]
    public void AWideTableGetsFortyStepsPerEncodedValueAndASetTargetIsKept()
    {
        Assert.Equal(3_000, GenModels.Torch.Training.TrainingBudget.TabularSteps(22));     // Vehicle: the floor
        Assert.Equal(6_080, GenModels.Torch.Training.TrainingBudget.TabularSteps(152));    // Soybean
        // 80 rows of one text column with 80 values: 80 encoded values, so 3,200 steps (batch 16: 640 epochs).
        var ml = new MLContext(seed: 1);
        var table = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 80).Select(i => new Wide { C = $"v{i}" }));
        using var wide = ml.Generative().TabularSynthesizer(new TabularSynthesizerEstimator.Options { Seed = 1, NumberOfThreads = 1, HiddenSizes = [8], LatentDimension = 2 }).Fit(table);
        Assert.Equal(3_200, wide.Training!.Budget.TargetSteps);
        Assert.Equal(640, wide.Training.Budget.Epochs);
        using var set = ml.Generative().TabularSynthesizer(new TabularSynthesizerEstimator.Options { Seed = 1, NumberOfThreads = 1, HiddenSizes = [8], LatentDimension = 2, TargetSteps = 160 }).Fit(table);
        Assert.Equal(160, set.Training!.Budget.TargetSteps);
    }
}
