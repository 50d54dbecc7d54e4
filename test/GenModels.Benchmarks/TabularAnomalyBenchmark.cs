// Outlier detection on small tables, measured side by side in one run: the library's Vae and Autoencoder detectors with
// their defaults, ML.NET's RandomizedPca and scikit-learn's IsolationForest, LocalOutlierFactor (novelty) and OneClassSVM
// (run by peers/tabular_anomaly_peers.py on the same splits) on the sets in shared/data/tabular-anomaly. Protocol: seeded
// 60/40 splits (stratified by the outlier label so every test part holds outliers), outliers left unlabelled in training,
// standardisation fitted on the training part, ROC-AUC and average precision on the test part. A second table trains the
// library's detectors with 1 %, 5 % and 20 % of the training outliers labelled.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;
using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.Torch.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

public static class TabularAnomalyBenchmark
{
    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }        // 1 = outlier (test only; never read in training)
        public bool KnownAnomaly { get; set; }  // the labelled share of the training outliers (rare-events table)
    }

    private sealed record Table(string Name, float[][] X, bool[] Outlier);

    private sealed record Split(string Name, int Seed, float[][] TrainX, bool[] TrainOutlier, float[][] TestX, bool[] TestOutlier);

    /// <summary>ROC-AUC, average precision and training seconds of one detector on one split.</summary>
    private sealed record Result(double Auc, double Ap, double Seconds);

    // PyOD's published benchmark (docs/tables/roc.csv of yzhao062/pyod, ROC-AUC, mean of 10 random 60/40 splits) on ODDS
    // sets that are the same data as ours; only glass matches (214 rows, 9 features, 9 outliers of class 6). That table has
    // no AutoEncoder or VAE column, so only IForest is cited.
    private static readonly Dictionary<string, double> CitedPyodIForest = new() { ["glass"] = 0.7016 };

    public static void Run(string[] args)
    {
        string? folder = null;
        int splits = 5;
        string[]? sets = null;
        bool peers = true, rare = true;
        AnomalyScoreKind? score = null; // --score KIND: the library detectors' score instead of the default (to compare scores)
        var fractions = new[] { 0.01, 0.05, 0.20 };
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--data": folder = args[++i]; break;
                case "--splits": splits = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--sets": sets = args[++i].Split(','); break;
                case "--no-peers": peers = false; break;
                case "--no-rare": rare = false; break;
                case "--score": score = Enum.Parse<AnomalyScoreKind>(args[++i]); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }
        folder ??= Environment.GetEnvironmentVariable("TABULAR_ANOMALY_DIR") ?? FindDataFolder();
        var tables = Directory.GetFiles(folder, "*.csv").Order(StringComparer.Ordinal)
            .Select(path => Path.GetFileNameWithoutExtension(path))
            .Where(name => sets is null || sets.Contains(name))
            .Select(name => Load(Path.Combine(folder, name + ".csv"))).ToArray();
        var allSplits = tables.SelectMany(t => Enumerable.Range(1, splits).Select(seed => MakeSplit(t, seed))).ToArray();

        Console.WriteLine($"Tabular outlier detection: {tables.Length} sets from {folder}, {splits} seeded stratified 60/40 splits each, " +
                          $"outliers unlabelled in training, standardised on the training part; {Environment.ProcessorCount} cores.");
        Console.WriteLine((score is null ? "Library detectors with their defaults: Trainers.Vae(\"Features\") and Trainers.Autoencoder(\"Features\"); "
                                         : $"Library detectors with their defaults except ScoreKind = {score}; ") +
                          "RandomizedPca with rank min(20, features − 1).");
        Console.WriteLine();

        var results = new Dictionary<(string Set, string Detector), List<Result>>();
        void Add(string set, string detector, Result r)
        {
            if (!results.TryGetValue((set, detector), out var list)) results[(set, detector)] = list = [];
            list.Add(r);
        }
        foreach (var split in allSplits)
        {
            var ml = new MLContext(seed: split.Seed);
            var train = Load(ml, split.TrainX, split.TrainOutlier, known: null);
            Add(split.Name, "Vae", Measure(ml, score is { } vaeScore
                ? ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { ScoreKind = vaeScore })
                : ml.AnomalyDetection.Trainers.Vae("Features"), train, split));
            Add(split.Name, "Autoencoder", Measure(ml, score is { } aeScore
                ? ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { ScoreKind = aeScore })
                : ml.AnomalyDetection.Trainers.Autoencoder("Features"), train, split));
            int rank = Math.Min(20, split.TrainX[0].Length - 1);
            Add(split.Name, "RandomizedPca", Measure(ml, ml.AnomalyDetection.Trainers.RandomizedPca("Features", rank: rank, seed: split.Seed), train, split));
            Console.Error.Write('.');
        }
        Console.Error.WriteLine();
        var detectors = new List<string> { "Vae", "Autoencoder", "RandomizedPca" };
        if (peers)
        {
            var peerResults = RunPeers(allSplits);
            if (peerResults is not null)
            {
                foreach (var ((set, detector), list) in peerResults) foreach (var r in list) Add(set, detector, r);
                detectors.AddRange(["IsolationForest", "LocalOutlierFactor", "OneClassSVM"]);
            }
        }
        else Console.WriteLine("Peer columns skipped (--no-peers).");

        PrintTable(tables.Select(t => t.Name).ToArray(), detectors, results);
        Console.WriteLine($"Training warnings of the library's detectors: {Warnings.Count} in {Fits} fits.");
        foreach (var w in Warnings.Take(5)) Console.WriteLine($"  {w}");

        if (rare)
        {
            Console.WriteLine();
            RareEvents(tables.Select(t => t.Name).ToArray(), allSplits, fractions);
        }
    }

    private static int Fits;
    private static readonly List<string> Warnings = [];

    /// <summary>Trains <paramref name="estimator"/> on the split's training part and scores its test part.</summary>
    private static Result Measure<T>(MLContext ml, IEstimator<T> estimator, IDataView train, Split split) where T : ITransformer
    {
        var clock = Stopwatch.StartNew();
        var model = estimator.Fit(train);
        double seconds = clock.Elapsed.TotalSeconds;
        var scores = model.Transform(Load(ml, split.TestX, split.TestOutlier, known: null)).GetColumn<float>("Score").ToArray();
        if (model is GenerativeAnomalyDetectionTransformer detector)
        {
            Fits++;
            foreach (var warning in detector.Training!.Warnings) Warnings.Add($"{split.Name}-{split.Seed}: {warning}");
        }
        (model as IDisposable)?.Dispose();
        return new Result(DetectionMetrics.RocAuc(scores, split.TestOutlier), DetectionMetrics.AveragePrecision(scores, split.TestOutlier), seconds);
    }

    private static void PrintTable(string[] sets, List<string> detectors, Dictionary<(string, string), List<Result>> results)
    {
        foreach (var (title, pick) in new (string, Func<Result, double>)[] { ("ROC-AUC", r => r.Auc), ("Average precision", r => r.Ap), ("Training seconds per split", r => r.Seconds) })
        {
            Console.WriteLine($"{title} (mean over splits)");
            Console.WriteLine($"{"set",-10}" + string.Concat(detectors.Select(d => $" {Short(d),10}")) + (title == "ROC-AUC" ? $" {"PyOD IForest (cited)",22}" : ""));
            foreach (var set in sets)
                Console.WriteLine($"{set,-10}" + string.Concat(detectors.Select(d => $" {results[(set, d)].Average(pick),10:F4}"))
                    + (title == "ROC-AUC" ? $" {(CitedPyodIForest.TryGetValue(set, out var cited) ? cited.ToString("F4", CultureInfo.InvariantCulture) : "–"),22}" : ""));
            Console.WriteLine($"{"mean",-10}" + string.Concat(detectors.Select(d => $" {sets.Average(s => results[(s, d)].Average(pick)),10:F4}")));
            if (title != "Training seconds per split")
                Console.WriteLine($"{"min",-10}" + string.Concat(detectors.Select(d => $" {sets.Min(s => results[(s, d)].Average(pick)),10:F4}")));
            Console.WriteLine();
        }
        Console.WriteLine("PyOD IForest (cited): ROC-AUC from PyOD's published benchmark table (docs/tables/roc.csv), mean of 10 splits, on the same");
        Console.WriteLine("ODDS set; printed only where the set is the same data. That table has no AutoEncoder or VAE column.");
    }

    private static string Short(string detector) => detector switch
    {
        "Autoencoder" => "AE", "RandomizedPca" => "PCA", "IsolationForest" => "IForest", "LocalOutlierFactor" => "LOF", "OneClassSVM" => "OCSVM", _ => detector,
    };

    /// <summary>
    /// The library's detectors trained with a share of the training outliers labelled (at least one) against the same
    /// detectors unsupervised, on the same splits.
    /// </summary>
    private static void RareEvents(string[] sets, Split[] splits, double[] fractions)
    {
        Console.WriteLine("Rare labelled events: a share of the training outliers marked in a Boolean label column (at least one row), the rest unlabelled;");
        Console.WriteLine("defaults otherwise, with Seed = the split's seed for every fit of a split.");
        Console.WriteLine($"{"set",-10} {"detector",-12} {"unsup. AUC",10} {"AP",7}" + string.Concat(fractions.Select(f => $" {$"{f:P0} AUC",9} {"AP",7}")));
        var means = new Dictionary<(string, int), List<double>>();
        foreach (var detector in new[] { "Vae", "Autoencoder" })
        {
            foreach (var set in sets)
            {
                var rows = new List<double[]>();
                foreach (var split in splits.Where(s => s.Name == set))
                {
                    var ml = new MLContext(seed: split.Seed);
                    var row = new List<double>();
                    var plain = Measure(ml, Trainer(ml, detector, null, split.Seed), Load(ml, split.TrainX, split.TrainOutlier, null), split);
                    row.AddRange([plain.Auc, plain.Ap]);
                    foreach (var fraction in fractions)
                    {
                        var known = LabelShare(split, fraction);
                        var r = Measure(ml, Trainer(ml, detector, "KnownAnomaly", split.Seed), Load(ml, split.TrainX, split.TrainOutlier, known), split);
                        row.AddRange([r.Auc, r.Ap]);
                    }
                    rows.Add(row.ToArray());
                    Console.Error.Write('.');
                }
                var mean = Enumerable.Range(0, rows[0].Length).Select(c => rows.Average(r => r[c])).ToArray();
                for (int c = 0; c < mean.Length; c++)
                {
                    if (!means.TryGetValue((detector, c), out var list)) means[(detector, c)] = list = [];
                    list.Add(mean[c]);
                }
                Console.WriteLine($"{set,-10} {detector,-12} {mean[0],10:F4} {mean[1],7:F4}" + string.Concat(Enumerable.Range(0, fractions.Length).Select(f => $" {mean[2 + 2 * f],9:F4} {mean[3 + 2 * f],7:F4}")));
            }
            Console.WriteLine($"{"mean",-10} {detector,-12} {means[(detector, 0)].Average(),10:F4} {means[(detector, 1)].Average(),7:F4}"
                + string.Concat(Enumerable.Range(0, fractions.Length).Select(f => $" {means[(detector, 2 + 2 * f)].Average(),9:F4} {means[(detector, 3 + 2 * f)].Average(),7:F4}")));
        }
        Console.Error.WriteLine();
    }

    // One seed for the unsupervised and the labelled fits of a split, so that they differ only by the labels.
    private static IEstimator<ITransformer> Trainer(MLContext ml, string detector, string? label, int seed) => detector == "Vae"
        ? ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { LabelColumnName = label, Seed = seed })
        : ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { LabelColumnName = label, Seed = seed });

    /// <summary>Marks a seeded share of the split's training outliers (at least one) as known anomalies.</summary>
    private static bool[] LabelShare(Split split, double fraction)
    {
        var outliers = Enumerable.Range(0, split.TrainOutlier.Length).Where(i => split.TrainOutlier[i]).ToArray();
        var rnd = new Random(split.Seed * 7919);
        int count = Math.Max(1, (int)Math.Round(fraction * outliers.Length));
        var known = new bool[split.TrainOutlier.Length];
        foreach (var i in outliers.OrderBy(_ => rnd.Next()).Take(count)) known[i] = true;
        return known;
    }

    /// <summary>Runs the scikit-learn peers on the same splits; null (with a message) when python3 or scikit-learn is missing.</summary>
    private static Dictionary<(string, string), List<Result>>? RunPeers(Split[] splits)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "tabular_anomaly_peers.py");
        // Debian's python3-sklearn installs into the system interpreter, which a pyenv shim on PATH may hide.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var folder = Directory.CreateTempSubdirectory("tabular-anomaly-");
        try
        {
            foreach (var s in splits)
            {
                WriteCsv(Path.Combine(folder.FullName, $"{s.Name}-{s.Seed}.train.csv"), s.TrainX, s.TrainOutlier);
                WriteCsv(Path.Combine(folder.FullName, $"{s.Name}-{s.Seed}.test.csv"), s.TestX, s.TestOutlier);
            }
            var info = new ProcessStartInfo(python, [script, folder.FullName]) { RedirectStandardOutput = true, RedirectStandardError = true };
            info.Environment["OMP_NUM_THREADS"] = "1";
            Process process;
            try { process = Process.Start(info)!; }
            catch (System.ComponentModel.Win32Exception e)
            {
                Console.WriteLine($"Peer columns skipped: cannot start {python} ({e.Message}). Install Debian's python3-sklearn (build/bench-tabular-anomaly.sh does).");
                return null;
            }
            var stderr = process.StandardError.ReadToEndAsync();
            var lines = new List<string>();
            while (process.StandardOutput.ReadLine() is { } line) lines.Add(line);
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.WriteLine($"Peer columns skipped: {python} {Path.GetFileName(script)} failed (is python3-sklearn installed? build/bench-tabular-anomaly.sh installs it):");
                Console.WriteLine(stderr.Result.Trim().Split('\n').LastOrDefault());
                return null;
            }
            var results = new Dictionary<(string, string), List<Result>>();
            foreach (var line in lines)
            {
                var f = line.Split('\t');
                var set = f[0][..f[0].LastIndexOf('-')];
                if (!results.TryGetValue((set, f[1]), out var list)) results[(set, f[1])] = list = [];
                list.Add(new Result(Parse(f[2]), Parse(f[3]), Parse(f[4])));
            }
            return results;
        }
        finally { folder.Delete(recursive: true); }

        static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);
    }

    private static Table Load(string path)
    {
        var lines = File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToArray();
        var x = lines.Select(f => f[..^1].Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var outlier = lines.Select(f => f[^1].Trim() is "1" or "1.0").ToArray();
        return new Table(Path.GetFileNameWithoutExtension(path), x, outlier);
    }

    /// <summary>
    /// A seeded 60/40 split, stratified by the outlier label, standardised with the training part's mean and standard
    /// deviation (a constant column is only centred).
    /// </summary>
    private static Split MakeSplit(Table table, int seed)
    {
        var rnd = new Random(seed);
        var train = new List<int>();
        var test = new List<int>();
        foreach (var group in new[] { true, false })
        {
            var rows = Enumerable.Range(0, table.X.Length).Where(i => table.Outlier[i] == group).ToArray();
            rnd.Shuffle(rows);
            int cut = (int)Math.Round(0.6 * rows.Length);
            train.AddRange(rows[..cut]);
            test.AddRange(rows[cut..]);
        }
        train.Sort();
        test.Sort();
        int d = table.X[0].Length;
        var mean = new double[d];
        var std = new double[d];
        for (int j = 0; j < d; j++)
        {
            mean[j] = train.Average(i => (double)table.X[i][j]);
            std[j] = Math.Sqrt(train.Average(i => Math.Pow(table.X[i][j] - mean[j], 2)));
            if (std[j] < 1e-12) std[j] = 1;
        }
        float[][] Scale(List<int> rows) => rows.Select(i => Enumerable.Range(0, d).Select(j => (float)((table.X[i][j] - mean[j]) / std[j])).ToArray()).ToArray();
        return new Split(table.Name, seed, Scale(train), train.Select(i => table.Outlier[i]).ToArray(), Scale(test), test.Select(i => table.Outlier[i]).ToArray());
    }

    private static IDataView Load(MLContext ml, float[][] x, bool[] outlier, bool[]? known)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, x[0].Length);
        var rows = x.Select((f, i) => new Row { Features = f, Label = outlier[i] ? 1 : 0, KnownAnomaly = known?[i] ?? false }).ToArray();
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private static void WriteCsv(string path, float[][] x, bool[] outlier) =>
        File.WriteAllLines(path, x.Select((f, i) => string.Join(",", f.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + (outlier[i] ? ",1" : ",0")));

    /// <summary>shared/data/tabular-anomaly, looked for above the working directory and above the program.</summary>
    private static string FindDataFolder() => SharedData.Find("tabular-anomaly", "pass --data FOLDER or set TABULAR_ANOMALY_DIR");
}
