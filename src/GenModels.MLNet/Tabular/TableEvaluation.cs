using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Tabular;

/// <summary>Settings of <c>mlContext.Generative().EvaluateTable</c>.</summary>
public sealed class TableEvaluationOptions
{
    /// <summary>Default values of the options.</summary>
    public static class Defaults
    {
        /// <summary>Quantile bins of a numeric column when it is paired with a categorical one.</summary>
        public const int Bins = 10;
        /// <summary>Rows of each table compared for the distance to the closest record.</summary>
        public const int PrivacyRows = 2_000;
    }

    /// <summary>The columns to compare (present in both tables with the same type). Null: every visible column of the real table.</summary>
    public string[]? ColumnNames;
    /// <summary>Whether to score every pair of columns (how well relations between columns are kept).</summary>
    public bool PairTrends = true;
    /// <summary>Quantile bins (of the real values) of a numeric column in a pair with a categorical column (2 to 100).</summary>
    public int Bins = Defaults.Bins;
    /// <summary>
    /// Whether to measure the distance from each synthetic row to its closest real row (in the encoding learned from the
    /// real table: standardised numbers, one-hot categories), on up to <see cref="PrivacyRows"/> rows of each.
    /// </summary>
    public bool DistanceToClosestRecord = true;
    /// <summary>Rows of each table used for the distance to the closest record.</summary>
    public int PrivacyRows = Defaults.PrivacyRows;
    /// <summary>
    /// Optional real rows not used for training: their distances to the training rows are the yardstick for the synthetic
    /// rows', and the rows machine-learning efficacy is scored on.
    /// </summary>
    public IDataView? Holdout;
    /// <summary>
    /// If set (with <see cref="Holdout"/>), the column machine-learning efficacy predicts from the others: an ML.NET model
    /// trained on the synthetic rows and one trained on the real rows are scored on the held-out rows (AUC for a column of
    /// two categories, accuracy for more, R² for a number). See <see cref="MachineLearningEfficacy"/>.
    /// </summary>
    public string? TargetColumnName;
    /// <summary>Seed of the efficacy models' training.</summary>
    public int Seed;
}

/// <summary>How closely one synthetic column follows the real one: 1 is identical distributions, 0 none in common.</summary>
/// <param name="Column">The column.</param>
/// <param name="Metric">"KSComplement" (1 − the Kolmogorov–Smirnov statistic, numeric columns, on present values) or "TVComplement" (1 − total variation distance, categorical columns).</param>
/// <param name="Score">The score in [0, 1].</param>
/// <param name="RealMissingShare">Share of real rows with a missing value (NaN, empty text, key 0).</param>
/// <param name="SyntheticMissingShare">The same share in the synthetic rows.</param>
public sealed record ColumnShapeScore(string Column, string Metric, double Score, double RealMissingShare, double SyntheticMissingShare);

/// <summary>How closely the relation between two synthetic columns follows the real one: 1 is identical.</summary>
/// <param name="First">The first column.</param>
/// <param name="Second">The second column.</param>
/// <param name="Metric">"CorrelationSimilarity" (two numeric columns: 1 − |Δ Pearson correlation| / 2) or "ContingencySimilarity" (1 − total variation distance of the joint frequencies; numbers in quantile bins).</param>
/// <param name="Score">The score in [0, 1].</param>
/// <param name="RealCorrelation">The real Pearson correlation (numeric pairs), else null.</param>
/// <param name="SyntheticCorrelation">The synthetic Pearson correlation (numeric pairs), else null.</param>
public sealed record ColumnPairScore(string First, string Second, string Metric, double Score, double? RealCorrelation, double? SyntheticCorrelation);

/// <summary>
/// Distances from rows to their closest real training row, in the real table's encoding (standardised numbers, one-hot
/// categories): synthetic rows much closer than real held-out rows are copies rather than new rows.
/// </summary>
/// <param name="SyntheticMedian">Median distance from a synthetic row to its closest real row.</param>
/// <param name="SyntheticExactCopies">Share of synthetic rows equal to a real row (distance below 1e-6).</param>
/// <param name="HoldoutMedian">Median distance from a held-out real row to its closest training row, or null without a holdout.</param>
/// <param name="HoldoutExactCopies">
/// Share of held-out real rows equal to a training row, or null without a holdout: on tables of few categorical columns,
/// new real rows repeat old ones too, and this is the share a synthesizer that does not copy can be expected to reach.
/// </param>
public sealed record ClosestRecordDistance(double SyntheticMedian, double SyntheticExactCopies, double? HoldoutMedian, double? HoldoutExactCopies)
{
    /// <summary>
    /// 5th percentile of the synthetic rows' distances to their closest real row: the closest twentieth of the synthetic
    /// rows lie nearer than this.
    /// </summary>
    public double SyntheticFifthPercentile { get; init; }
    /// <summary>
    /// 5th percentile of the held-out real rows' distances to their closest training row, or null without a holdout. A
    /// synthesizer whose <see cref="SyntheticFifthPercentile"/> is at least this places no more rows close to training rows
    /// than new real data does.
    /// </summary>
    public double? HoldoutFifthPercentile { get; init; }
}

/// <summary>
/// The comparison of a synthetic table with a real one (in the manner of SDMetrics' quality report): per-column shape
/// scores, pair-trend scores, the distance to the closest real record and, when asked, machine-learning efficacy.
/// </summary>
public sealed class TableEvaluation
{
    internal TableEvaluation(IReadOnlyList<ColumnShapeScore> columns, IReadOnlyList<ColumnPairScore> pairs, ClosestRecordDistance? distance,
        MachineLearningEfficacy? efficacy)
    {
        Columns = columns;
        Pairs = pairs;
        Distance = distance;
        Efficacy = efficacy;
    }

    /// <summary>Machine-learning efficacy, or null when no <see cref="TableEvaluationOptions.TargetColumnName"/> was given.</summary>
    public MachineLearningEfficacy? Efficacy { get; }

    /// <summary>One score per column.</summary>
    public IReadOnlyList<ColumnShapeScore> Columns { get; }
    /// <summary>One score per pair of columns (empty when not asked).</summary>
    public IReadOnlyList<ColumnPairScore> Pairs { get; }
    /// <summary>The distance to the closest record, or null when not asked.</summary>
    public ClosestRecordDistance? Distance { get; }
    /// <summary>Mean column shape score.</summary>
    public double ColumnShapes => Columns.Average(c => c.Score);
    /// <summary>Mean pair-trend score (NaN without pairs).</summary>
    public double PairTrends => Pairs.Count == 0 ? double.NaN : Pairs.Average(p => p.Score);
    /// <summary>The mean of <see cref="ColumnShapes"/> and <see cref="PairTrends"/> (or the column score alone without pairs).</summary>
    public double Overall => Pairs.Count == 0 ? ColumnShapes : (ColumnShapes + PairTrends) / 2;

    /// <summary>One line per score.</summary>
    public override string ToString() =>
        $"overall {Overall:F4}, column shapes {ColumnShapes:F4}, pair trends {PairTrends:F4}" + Environment.NewLine
        + string.Join(Environment.NewLine, Columns.Select(c => $"  {c.Column}: {c.Metric} {c.Score:F4} (missing {c.RealMissingShare:P1} real, {c.SyntheticMissingShare:P1} synthetic)"))
        + (Distance is { } d ? Environment.NewLine + $"  closest real record: median {d.SyntheticMedian:F4}, exact copies {d.SyntheticExactCopies:P1}"
            + $", 5th percentile {d.SyntheticFifthPercentile:F4}"
            + (d.HoldoutMedian is { } h ? $"; held-out real rows: median {h:F4}, exact copies {d.HoldoutExactCopies:P1}, 5th percentile {d.HoldoutFifthPercentile:F4}" : "") : "")
        + (Efficacy is { } m ? Environment.NewLine + $"  efficacy ({m.Target}, {m.Metric}): {m.Synthetic:F4} trained on synthetic rows, {m.Real:F4} on real rows" : "");
}

/// <summary>Computes a <see cref="TableEvaluation"/>.</summary>
internal static class TableEvaluator
{
    public static TableEvaluation Evaluate(IDataView real, IDataView synthetic, TableEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(synthetic);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Bins < 2 || options.Bins > 100) throw new ArgumentOutOfRangeException(nameof(options.Bins), options.Bins, "Between 2 and 100 bins.");
        if (options.PrivacyRows < 1) throw new ArgumentOutOfRangeException(nameof(options.PrivacyRows), options.PrivacyRows, "At least one row.");
        if (options.TargetColumnName is not null && options.Holdout is null)
            throw new ArgumentException("Machine-learning efficacy needs held-out real rows: set Holdout as well as TargetColumnName.", nameof(options.Holdout));
        var encoding = TableEncoding.Fit(real, options.ColumnNames, int.MaxValue);
        if (options.TargetColumnName is { } target && encoding.Columns.All(c => c.Name != target))
            throw new ArgumentException($"The target column '{target}' is not one of the compared columns ({string.Join(", ", encoding.Columns.Select(c => c.Name))}).", nameof(options.TargetColumnName));
        var realColumns = Read(real, encoding, nameof(real));
        var syntheticColumns = Read(synthetic, encoding, nameof(synthetic));
        if (syntheticColumns[0].Rows == 0) throw new ArgumentException("The synthetic table has no rows.", nameof(synthetic));

        var shapes = encoding.Columns.Select((c, i) => Shape(c, realColumns[i], syntheticColumns[i])).ToArray();
        var pairs = new List<ColumnPairScore>();
        if (options.PairTrends)
            for (int i = 0; i < encoding.Columns.Count; i++)
                for (int j = i + 1; j < encoding.Columns.Count; j++)
                    pairs.Add(Pair(encoding.Columns[i], encoding.Columns[j], realColumns[i], realColumns[j], syntheticColumns[i], syntheticColumns[j], options.Bins));
        var distance = options.DistanceToClosestRecord ? ClosestRecord(encoding, real, synthetic, options) : null;
        var efficacy = options.TargetColumnName is { } t ? TableEfficacy.Measure(encoding, real, synthetic, options.Holdout!, t, options.Seed) : null;
        return new TableEvaluation(shapes, pairs, distance, efficacy);
    }

    /// <summary>A column's values: numbers (NaN = missing) or category texts ("" = missing).</summary>
    private sealed record Values(double[]? Numbers, string[]? Texts)
    {
        public int Rows => Numbers?.Length ?? Texts!.Length;
    }

    private static Values[] Read(IDataView data, TableEncoding encoding, string paramName)
    {
        var columns = encoding.Columns.Select(c =>
        {
            var column = data.Schema.GetColumnOrNull(c.Name) ?? throw Errors.MissingColumn(paramName, "table", c.Name);
            if (!column.Type.Equals(c.Type)) throw Errors.SchemaMismatch(paramName, "table", c.Name, Errors.Describe(c.Type), Errors.Describe(column.Type));
            return column;
        }).ToArray();
        var numbers = encoding.Columns.Select(c => c.Kind == TableColumnKind.Numeric ? new List<double>() : null).ToArray();
        var texts = encoding.Columns.Select(c => c.Kind == TableColumnKind.Categorical ? new List<string>() : null).ToArray();
        using var cursor = data.GetRowCursor(columns);
        var readers = encoding.Columns.Select((c, i) =>
        {
            if (c.Kind == TableColumnKind.Numeric)
            {
                var number = ColumnReaders.Numeric(cursor, columns[i]);
                return (Action)(() => numbers[i]!.Add(number()));
            }
            var category = ColumnReaders.Category(cursor, columns[i], ColumnReaders.KeyValues(columns[i]));
            return () => texts[i]!.Add(category().Text);
        }).ToArray();
        while (cursor.MoveNext()) foreach (var read in readers) read();
        return encoding.Columns.Select((c, i) => new Values(numbers[i]?.ToArray(), texts[i]?.ToArray())).ToArray();
    }

    private static ColumnShapeScore Shape(TableColumnEncoding c, Values real, Values synthetic)
    {
        if (c.Kind == TableColumnKind.Numeric)
        {
            var a = real.Numbers!.Where(v => !double.IsNaN(v)).ToArray();
            var b = synthetic.Numbers!.Where(v => !double.IsNaN(v)).ToArray();
            double score = a.Length == 0 || b.Length == 0 ? (a.Length == b.Length ? 1 : 0) : 1 - KolmogorovSmirnov(a, b);
            return new ColumnShapeScore(c.Name, "KSComplement", score, 1 - a.Length / (double)real.Rows, 1 - b.Length / (double)synthetic.Rows);
        }
        return new ColumnShapeScore(c.Name, "TVComplement", 1 - TotalVariation(real.Texts!, synthetic.Texts!),
            real.Texts!.Count(t => t.Length == 0) / (double)real.Rows, synthetic.Texts!.Count(t => t.Length == 0) / (double)synthetic.Rows);
    }

    private static ColumnPairScore Pair(TableColumnEncoding c1, TableColumnEncoding c2, Values r1, Values r2, Values s1, Values s2, int bins)
    {
        if (c1.Kind == TableColumnKind.Numeric && c2.Kind == TableColumnKind.Numeric)
        {
            double real = Correlation(r1.Numbers!, r2.Numbers!), synthetic = Correlation(s1.Numbers!, s2.Numbers!);
            double score = double.IsNaN(real) || double.IsNaN(synthetic) ? (double.IsNaN(real) && double.IsNaN(synthetic) ? 1 : 0) : 1 - Math.Abs(real - synthetic) / 2;
            return new ColumnPairScore(c1.Name, c2.Name, "CorrelationSimilarity", score, real, synthetic);
        }
        // Numbers join a contingency table through quantile bins of the real values (NaN is a bin of its own).
        var (a1, b1) = Categories(r1, s1, bins);
        var (a2, b2) = Categories(r2, s2, bins);
        var real2 = a1.Zip(a2, (x, y) => x + "\u0001" + y).ToArray();
        var synthetic2 = b1.Zip(b2, (x, y) => x + "\u0001" + y).ToArray();
        return new ColumnPairScore(c1.Name, c2.Name, "ContingencySimilarity", 1 - TotalVariation(real2, synthetic2), null, null);
    }

    private static (string[] Real, string[] Synthetic) Categories(Values real, Values synthetic, int bins)
    {
        if (real.Texts is not null) return (real.Texts, synthetic.Texts!);
        var sorted = real.Numbers!.Where(v => !double.IsNaN(v)).Order().ToArray();
        var edges = sorted.Length == 0 ? [] : Enumerable.Range(1, bins - 1).Select(k => sorted[(int)((long)k * (sorted.Length - 1) / bins)]).Distinct().ToArray();
        string Bin(double v)
        {
            if (double.IsNaN(v)) return "NaN";
            int i = Array.BinarySearch(edges, v);
            return (i >= 0 ? i : ~i).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return (real.Numbers!.Select(Bin).ToArray(), synthetic.Numbers!.Select(Bin).ToArray());
    }

    /// <summary>The two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical distribution functions.</summary>
    internal static double KolmogorovSmirnov(double[] a, double[] b)
    {
        var x = a.Order().ToArray();
        var y = b.Order().ToArray();
        int i = 0, j = 0;
        double largest = 0;
        while (i < x.Length && j < y.Length)
        {
            double v = Math.Min(x[i], y[j]);
            while (i < x.Length && x[i] <= v) i++;
            while (j < y.Length && y[j] <= v) j++;
            largest = Math.Max(largest, Math.Abs(i / (double)x.Length - j / (double)y.Length));
        }
        return largest;
    }

    /// <summary>Total variation distance between the value frequencies of two samples: half the sum of absolute differences.</summary>
    internal static double TotalVariation(string[] a, string[] b)
    {
        var p = a.GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count() / (double)a.Length, StringComparer.Ordinal);
        var q = b.GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count() / (double)b.Length, StringComparer.Ordinal);
        return 0.5 * p.Keys.Union(q.Keys).Sum(k => Math.Abs(p.GetValueOrDefault(k) - q.GetValueOrDefault(k)));
    }

    /// <summary>Pearson correlation over the rows where both are present; NaN when either is constant there.</summary>
    internal static double Correlation(double[] x, double[] y)
    {
        double n = 0, mx = 0, my = 0;
        for (int i = 0; i < x.Length; i++) if (!double.IsNaN(x[i]) && !double.IsNaN(y[i])) { n++; mx += x[i]; my += y[i]; }
        if (n < 2) return double.NaN;
        mx /= n; my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (double.IsNaN(x[i]) || double.IsNaN(y[i])) continue;
            sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my);
        }
        return sxx <= 0 || syy <= 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    private static ClosestRecordDistance ClosestRecord(TableEncoding encoding, IDataView real, IDataView synthetic, TableEvaluationOptions options)
    {
        int w = encoding.Width;
        var train = Take(encoding.Encode(real), w, options.PrivacyRows);
        var fake = Take(encoding.Encode(synthetic), w, options.PrivacyRows);
        var distances = Closest(fake, train, w);
        double[]? holdout = options.Holdout is { } h ? Closest(Take(encoding.Encode(h), w, options.PrivacyRows), train, w) : null;
        return new ClosestRecordDistance(Median(distances), Copies(distances), holdout is null ? null : Median(holdout), holdout is null ? null : Copies(holdout))
        {
            SyntheticFifthPercentile = Percentile(distances, 0.05), HoldoutFifthPercentile = holdout is null ? null : Percentile(holdout, 0.05),
        };
    }

    /// <summary>The first <paramref name="rows"/> rows of encoded values (every row when fewer).</summary>
    private static float[] Take(float[] values, int width, int rows) => values.Length <= (long)rows * width ? values : values[..(rows * width)];

    private static double[] Closest(float[] from, float[] to, int width)
    {
        int n = from.Length / width, m = to.Length / width;
        var result = new double[n];
        Parallel.For(0, n, i =>
        {
            var a = from.AsSpan(i * width, width);
            double best = double.PositiveInfinity;
            for (int j = 0; j < m; j++)
            {
                var b = to.AsSpan(j * width, width);
                double d = 0;
                for (int k = 0; k < width && d < best; k++) { double diff = a[k] - b[k]; d += diff * diff; }
                if (d < best) best = d;
            }
            result[i] = Math.Sqrt(best);
        });
        return result;
    }

    private static double Copies(double[] distances) => distances.Count(d => d < 1e-6) / (double)distances.Length;

    /// <summary>The <paramref name="q"/>-quantile with linear interpolation between order statistics.</summary>
    internal static double Percentile(double[] values, double q)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        double position = q * (sorted.Length - 1);
        int low = (int)Math.Floor(position), high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
