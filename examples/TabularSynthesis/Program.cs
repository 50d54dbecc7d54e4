// Synthetic rows for a table of mixed column types: load a CSV with ML.NET's text loader, train a tabular synthesizer
// (TVAE or CTGAN), generate 10,000 rows, save them as CSV and print how they compare with the real rows.
//
//   dotnet run -c Release --project examples/TabularSynthesis [-- --model tvae|ctgan] [--csv PATH] [--epochs N]
//
// The bundled customers.csv (1,200 made-up customers) has text, integer, real, Boolean and missing values, and
// dependencies between them: the plan sets the spend, and short tenure with many support tickets means churn.
using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.Tabular;
using Microsoft.ML;
using Microsoft.ML.Data;

string csv = Path.Combine(AppContext.BaseDirectory, "customers.csv");
var model = TabularSynthesizerEstimator.Options.Defaults.Model;
int? epochs = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--csv": csv = args[++i]; break;
        case "--model": model = Enum.Parse<TabularModel>(args[++i], ignoreCase: true); break;
        case "--epochs": epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
    }
}

var ml = new MLContext(seed: 1);

// 1. Load the CSV with its column types: text, numbers (an empty field is NaN), a Boolean.
var table = ml.Data.LoadFromTextFile<Customer>(csv, new TextLoader.Options
{
    Separators = [','], HasHeader = true, MissingRealsAsNaNs = true,     // an empty number is NaN, not 0
});
var split = ml.Data.TrainTestSplit(table, testFraction: 0.2, seed: 1);   // held-out rows to score the synthetic ones against

// 2. Train the synthesizer on every column.
var synthesizer = ml.Generative().TabularSynthesizer(new TabularSynthesizerEstimator.Options
{
    Model = model, Epochs = epochs, Seed = 1,
    Progress = new Progress<GenModels.Torch.Training.TrainingProgress>(p =>
    {
        if (p.IsEpochEnd && (p.Epoch % Math.Max(1, p.Epochs / 5) == 0 || p.Epoch == p.Epochs))
            Console.WriteLine($"epoch {p.Epoch}/{p.Epochs}: " + string.Join(", ", p.Losses.Select(l => $"{l.Key} {l.Value:F3}")));
    }),
}).Fit(split.TrainSet);
Console.WriteLine($"{model} trained: {synthesizer.Training!.Budget}; {synthesizer.Encoding.Columns.Count} columns encoded as {synthesizer.Encoding.Width} values");

// 3. Generate 10,000 rows (a lazy data source with the table's own schema) and save them as CSV.
var synthetic = synthesizer.Generate(10_000, seed: 2);
Directory.CreateDirectory("out");
var output = Path.Combine("out", $"synthetic-customers-{model.ToString().ToLowerInvariant()}.csv");
using (var stream = File.Create(output))
    ml.Data.SaveAsText(synthetic, stream, separatorChar: ',', headerRow: true, schema: false);
Console.WriteLine($"Wrote 10,000 synthetic rows to {output}");

// 4. Rows of one kind: the synthesizer can be conditioned on a column (here by training another one with
//    ConditionColumnName = "Plan"); see README. Compare the tables: column shapes, pair trends, how well a model trained
//    on synthetic rows predicts churn on real held-out rows, and how close synthetic rows come to real ones.
var evaluation = ml.Generative().EvaluateTable(split.TrainSet, synthetic, new TableEvaluationOptions
{
    Holdout = split.TestSet, TargetColumnName = nameof(Customer.Churned),
});
Console.WriteLine();
Console.WriteLine("| column | metric | score | missing (real) | missing (synthetic) |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var c in evaluation.Columns)
    Console.WriteLine($"| {c.Column} | {c.Metric} | {c.Score:F3} | {c.RealMissingShare:P1} | {c.SyntheticMissingShare:P1} |");
Console.WriteLine();
Console.WriteLine($"column shapes {evaluation.ColumnShapes:F3}, pair trends {evaluation.PairTrends:F3}, overall {evaluation.Overall:F3}");
var e = evaluation.Efficacy!;
Console.WriteLine($"predicting {e.Target} on held-out real rows ({e.Metric}): {e.Synthetic:F3} trained on synthetic rows, {e.Real:F3} trained on real rows");
var d = evaluation.Distance!;
Console.WriteLine($"distance to the closest real row, 5th percentile: synthetic {d.SyntheticFifthPercentile:F3}, held-out real {d.HoldoutFifthPercentile:F3}");

/// <summary>One row of customers.csv.</summary>
public sealed class Customer
{
    [LoadColumn(0)] public string Plan { get; set; } = "";
    [LoadColumn(1)] public string Region { get; set; } = "";
    [LoadColumn(2)] public float Age { get; set; }
    [LoadColumn(3)] public float MonthlySpend { get; set; }
    [LoadColumn(4)] public int TenureMonths { get; set; }
    [LoadColumn(5)] public int SupportTickets { get; set; }
    [LoadColumn(6)] public bool Churned { get; set; }
}
