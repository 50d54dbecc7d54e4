// Tabular synthesis on small real tables (shared/data/tabular: UCI sets from R's mlbench), measured side by side in one
// run: the library's TabularSynthesizer with its defaults ("tvae": TVAE, standardised numbers, categories drawn at
// temperature 0.5) and with CTGAN ("ctgan"), against an independent-columns baseline (every column resampled on its own
// from the training rows: perfect column shapes, no relations). "tvae-modes" (TVAE on mode-specific normalisation),
// "tvae-sampled" (categories drawn at temperature 1) and "tvae-argmax" (their most likely values) can be added with --models. Protocol per table: a seeded 80/20 split into
// training and held-out rows; each synthesizer trains on the training part and generates as many rows; every table is
// scored against the training part by EvaluateTable: column shapes, pair trends, machine-learning efficacy (an ML.NET
// model trained on the synthetic rows and on the real ones, both scored on the held-out rows) and the distance to the
// closest training row (5th percentile, with the held-out rows' as the yardstick).
//
// CTGAN trains with the synthesizer's defaults too (the derived, width-scaled budget at batch 500; --ctgan-epochs N for a
// fixed count, e.g. the paper's 300, which is 300 steps on a table of fewer than 500 rows) on at most 5,000 training rows
// (--ctgan-max-rows, the first rows of the training part, which the seeded split shuffled; it still generates as many
// rows as the full training part), which keeps LetterRecognition's CTGAN under ten minutes on one thread.
//
// Column types are inferred from the CSV: a column whose values all parse as numbers is Single (an empty field is NaN),
// unless it holds integers with at most 8 distinct values (codes such as Soybean's or chas), which are read as text
// categories like the non-numeric columns (an empty field is the missing category).
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.Tabular;
using Microsoft.ML;
using Microsoft.ML.Data;

public static class TabularSynthesisBenchmark
{
    private const int MaxCodeLevels = 8;

    /// <summary>The column efficacy predicts on each table: its class, or the house value for BostonHousing.</summary>
    private static readonly Dictionary<string, string> Targets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["BostonHousing"] = "medv", ["HouseVotes84"] = "Class", ["LetterRecognition"] = "lettr", ["Soybean"] = "Class", ["Vehicle"] = "Class",
    };

    private static readonly string[] AllModels = ["ctgan", "tvae", "tvae-modes", "tvae-sampled", "tvae-argmax", "independent"];
    private static readonly string[] DefaultModels = ["ctgan", "tvae", "independent"];
    private const int DefaultCtganMaxRows = 5_000;

    public static void Run(string[] args)
    {
        string? folder = null;
        string[]? sets = null;
        string[] models = DefaultModels;
        int? epochs = null, ctganEpochs = null, ctganSteps = null, ctganMaxRows = DefaultCtganMaxRows;
        int seed = 1;
        double? ctganLearningRate = null;
        GenModels.Torch.TorchThreads.Count = 1; // one libtorch thread unless --threads says otherwise: these machines are shared
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--data": folder = args[++i]; break;
                case "--sets": sets = args[++i].Split(','); break;
                case "--models": models = args[++i].Split(','); break;
                case "--epochs": epochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--ctgan-epochs": ctganEpochs = args[++i] == "derived" ? null : int.Parse(args[i], CultureInfo.InvariantCulture); break;
                case "--ctgan-max-rows": ctganMaxRows = args[++i] == "all" ? null : int.Parse(args[i], CultureInfo.InvariantCulture); break;
                case "--ctgan-lr": ctganLearningRate = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--ctgan-steps": ctganSteps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": GenModels.Torch.TorchThreads.Count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }
        foreach (var m in models) if (!AllModels.Contains(m)) throw new ArgumentException($"Unknown model '{m}': use {string.Join(", ", AllModels)}.");
        folder ??= FindDataFolder();
        var files = Directory.GetFiles(folder, "*.csv").Order(StringComparer.Ordinal)
            .Where(f => sets is null || sets.Contains(Path.GetFileNameWithoutExtension(f), StringComparer.OrdinalIgnoreCase)).ToArray();
        Console.WriteLine($"torch threads: {GenModels.Torch.TorchThreads.Count}; data: {folder}; epochs: {epochs?.ToString(CultureInfo.InvariantCulture) ?? "derived"} "
            + $"(CTGAN: {ctganEpochs?.ToString(CultureInfo.InvariantCulture) ?? $"derived from {ctganSteps ?? GenModels.Torch.Training.TrainingBudget.TabularTargetSteps} steps"}"
            + $" on {ctganMaxRows?.ToString("N0", CultureInfo.InvariantCulture) ?? "all"} rows at most)");
        var total = Stopwatch.StartNew();
        var tableSeconds = new List<string>();
        Console.WriteLine("| table | rows × columns (numeric, categorical) | model | column shapes | pair trends | overall | efficacy: synthetic (real) | DCR 5th pct (held-out real) | median DCR (held-out real) | train s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        var summary = new List<string>();
        foreach (var file in files)
        {
            string name = Path.GetFileNameWithoutExtension(file);
            var tableClock = Stopwatch.StartNew();
            var ml = new MLContext(seed: seed);
            var (train, holdout, independent) = Split(ml, file, seed);
            long rows = Count(train);
            var evaluation = new TableEvaluationOptions { Holdout = holdout, TargetColumnName = Targets.GetValueOrDefault(name), Seed = seed };
            var shapeEncoding = TableEncoding.Fit(train);
            int numeric = shapeEncoding.Columns.Count(c => c.Kind == TableColumnKind.Numeric);
            string shape = $"{rows} × {shapeEncoding.Columns.Count} ({numeric}, {shapeEncoding.Columns.Count - numeric})";
            var results = new Dictionary<string, TableEvaluation>();
            foreach (var m in models)
            {
                TableEvaluation e;
                string seconds = "–";
                if (m == "independent") e = ml.Generative().EvaluateTable(train, independent, evaluation);
                else
                {
                    var options = new TabularSynthesizerEstimator.Options
                    {
                        Seed = seed,
                        Model = m == "ctgan" ? TabularModel.Ctgan : TabularModel.Tvae,
                        Epochs = m == "ctgan" ? ctganEpochs ?? epochs : epochs,
                    };
                    if (m == "tvae-modes") options.NumericEncoding = NumericEncoding.ModeSpecific;
                    if (m == "tvae-sampled") options.CategoryTemperature = 1;
                    if (m == "tvae-argmax") options.CategoryTemperature = 0;
                    if (m == "ctgan" && ctganSteps is { } steps) options.TargetSteps = steps;
                    if (ctganLearningRate is { } rate) options.CtganLearningRate = rate;
                    // The first rows of the training part are a seeded random sample: Split put them in a random order.
                    var fitRows = m == "ctgan" && ctganMaxRows is { } cap && rows > cap ? ml.Data.TakeRows(train, cap) : train;
                    var clock = Stopwatch.StartNew();
                    using var model = ml.Generative().TabularSynthesizer(options).Fit(fitRows);
                    seconds = clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
                    e = ml.Generative().EvaluateTable(train, model.Generate(rows, seed: seed + 1), evaluation);
                }
                results[m] = e;
                Console.WriteLine(Line(name, shape, m, e, seconds));
            }
            if (results.TryGetValue("independent", out var baseline))
                foreach (var (m, e) in results.Where(r => r.Key != "independent"))
                    summary.Add($"{name} {m}: pair trends {e.PairTrends - baseline.PairTrends:+0.000;-0.000}, efficacy {Gap(e) - Gap(baseline):+0.000;-0.000} against independent columns"
                        + (e.Efficacy is { } f ? $"; {f.Gap * 100:F1} points below real-trained ({f.Metric})" : "")
                        + (e.Distance is { HoldoutFifthPercentile: { } h } d ? $"; DCR 5th pct {(d.SyntheticFifthPercentile >= h ? "≥" : "<")} held-out's" : ""));
            tableSeconds.Add($"{name} {tableClock.Elapsed.TotalSeconds:F0} s");
        }
        Console.WriteLine();
        foreach (var line in summary) Console.WriteLine(line);
        Console.WriteLine($"wall-clock per table (training and evaluation): {string.Join(", ", tableSeconds)}; total {total.Elapsed.TotalMinutes:F1} min");
    }

    private static double Gap(TableEvaluation e) => e.Efficacy?.Synthetic ?? double.NaN;

    private static string Line(string name, string shape, string model, TableEvaluation e, string train) =>
        $"| {name} | {shape} | {model} | {e.ColumnShapes:F3} | {e.PairTrends:F3} | {e.Overall:F3} | "
        + (e.Efficacy is { } f ? $"{f.Metric} {f.Synthetic:F3} ({f.Real:F3})" : "–")
        + $" | {e.Distance!.SyntheticFifthPercentile:F3} ({e.Distance.HoldoutFifthPercentile:F3}) | {e.Distance.SyntheticMedian:F3} ({e.Distance.HoldoutMedian:F3}) | {train} |";

    private static long Count(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }

    /// <summary>
    /// A seeded 80/20 split of the CSV's rows into training and held-out rows, and the independent-columns baseline: each
    /// column of the training rows shuffled on its own. All three are written as CSV and read with the inferred types.
    /// </summary>
    private static (IDataView Train, IDataView Holdout, IDataView Independent) Split(MLContext ml, string path, int seed)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',').Select(Unquote).ToArray();
        var cells = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',').Select(Unquote).ToArray()).ToArray();
        var columns = header.Select((name, i) =>
        {
            var present = cells.Select(r => r[i]).Where(v => v.Length > 0).ToArray();
            bool numeric = present.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
            bool code = numeric && present.All(v => double.Parse(v, CultureInfo.InvariantCulture) % 1 == 0) && present.Distinct().Count() <= MaxCodeLevels;
            return new TextLoader.Column(Sanitise(name), numeric && !code ? DataKind.Single : DataKind.String, i);
        }).ToArray();
        var rnd = new Random(seed);
        var order = Enumerable.Range(0, cells.Length).OrderBy(_ => rnd.Next()).ToArray();
        int trainRows = (int)Math.Round(cells.Length * 0.8);
        var train = order.Take(trainRows).Select(i => cells[i]).ToArray();
        var holdout = order.Skip(trainRows).Select(i => cells[i]).ToArray();
        var shuffled = header.Select((_, c) => train.Select(r => r[c]).OrderBy(_ => rnd.Next()).ToArray()).ToArray();
        var independent = Enumerable.Range(0, train.Length).Select(r => header.Select((_, c) => shuffled[c][r]).ToArray()).ToArray();
        var folder = Directory.CreateTempSubdirectory("tabular-synthesis-").FullName;
        IDataView Write(string name, string[][] rows)
        {
            var file = Path.Combine(folder, name + ".csv");
            File.WriteAllLines(file, rows.Select(r => string.Join(",", r)));
            // MissingRealsAsNaNs: an empty number field is NaN (the text loader's default reads it as 0).
            return ml.Data.Cache(ml.Data.LoadFromTextFile(file, new TextLoader.Options { Columns = columns, Separators = [','], MissingRealsAsNaNs = true }));
        }
        var views = (Write("train", train), Write("holdout", holdout), Write("independent", independent));
        foreach (var view in new[] { views.Item1, views.Item2, views.Item3 })        // read every column once: cached, so the files can go
        {
            using var cursor = view.GetRowCursor(view.Schema);
            while (cursor.MoveNext()) { }
        }
        Directory.Delete(folder, recursive: true);
        return views;
    }

    private static string Unquote(string s) => s.Trim().Trim('"');
    private static string Sanitise(string name) => name.Replace('.', '_');

    private static string FindDataFolder() => SharedData.Find("tabular", "pass --data FOLDER");
}
