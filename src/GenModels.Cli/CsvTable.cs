using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.Cli;

/// <summary>What a CSV column holds, inferred from its header and a sample of rows.</summary>
public enum CsvColumnKind
{
    /// <summary>Every non-empty sampled value parses as a number (invariant culture).</summary>
    Numeric,
    /// <summary>Anything else: read as text and passed through.</summary>
    Text,
}

/// <summary>A CSV column: its position, header name and inferred kind.</summary>
public sealed record CsvColumn(int Index, string Name, CsvColumnKind Kind);

/// <summary>
/// A CSV file as the tool reads it: the header names the columns, a sample of rows decides which are numeric, and ML.NET's
/// <see cref="TextLoader"/> streams the rows (numbers as Single, empty numbers as NaN, everything else as text).
/// </summary>
public sealed class CsvTable
{
    /// <summary>Rows sampled to decide whether a column is numeric.</summary>
    public const int SampleRows = 1000;

    /// <summary>Distinct values kept per column from the sample (the first ones met).</summary>
    public const int SampleValues = 50;

    private CsvTable(string path, char separator, IReadOnlyList<CsvColumn> columns, IReadOnlyList<IReadOnlyCollection<string>> values, IReadOnlyList<string> firstRow)
    {
        Path = path;
        Separator = separator;
        Columns = columns;
        this.values = values;
        FirstRow = firstRow;
    }

    private readonly IReadOnlyList<IReadOnlyCollection<string>> values;

    /// <summary>The fields of the first row.</summary>
    public IReadOnlyList<string> FirstRow { get; }

    /// <summary>Up to <see cref="SampleValues"/> distinct non-empty values of a column, from the sampled rows.</summary>
    public IReadOnlyCollection<string> ValuesOf(CsvColumn column) => values[column.Index];

    /// <summary>The file.</summary>
    public string Path { get; }
    /// <summary>The field separator.</summary>
    public char Separator { get; }
    /// <summary>The columns in file order.</summary>
    public IReadOnlyList<CsvColumn> Columns { get; }

    /// <summary>Reads the header and samples rows. Fails (usage error) for a missing or empty file and a duplicate header name.</summary>
    public static CsvTable Open(string path, char separator)
    {
        if (!File.Exists(path))
            throw new UsageException(Directory.Exists(path) ? $"'{path}' is a folder; --data expects a CSV file." : $"The data file '{path}' does not exist.");
        using var reader = new StreamReader(path);
        var headerLine = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(headerLine))
            throw new UsageException($"'{path}' is empty: a CSV with a header line and rows is expected.");
        var names = SplitLine(headerLine, separator);
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new UsageException($"'{path}' has two columns named '{duplicate.Key}'.");

        var numeric = Enumerable.Repeat(true, names.Length).ToArray();
        var seen = new bool[names.Length];
        var distinct = names.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();
        string[]? first = null;
        int rows = 0;
        for (string? line; rows < SampleRows && (line = reader.ReadLine()) is not null;)
        {
            if (line.Length == 0) continue;
            rows++;
            var fields = SplitLine(line, separator);
            first ??= fields;
            for (int c = 0; c < names.Length && c < fields.Length; c++)
            {
                var value = fields[c].Trim();
                if (value.Length == 0) continue;
                seen[c] = true;
                if (distinct[c].Count < SampleValues) distinct[c].Add(value);
                if (numeric[c] && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) numeric[c] = false;
            }
        }
        if (rows == 0)
            throw new UsageException($"'{path}' has a header but no rows.");
        var columns = names.Select((n, i) => new CsvColumn(i, n, numeric[i] && seen[i] ? CsvColumnKind.Numeric : CsvColumnKind.Text)).ToArray();
        return new CsvTable(path, separator, columns, distinct, first!);
    }

    /// <summary>The column of that name, or a usage error that lists the file's columns.</summary>
    public CsvColumn Column(string name, string option) =>
        Columns.FirstOrDefault(c => c.Name == name)
        ?? throw new UsageException($"{option}: the column '{name}' is not in '{Path}'. Its columns are: {string.Join(", ", Columns.Select(c => c.Name))}.");

    /// <summary>
    /// The feature columns: those named (each must exist and be numeric), or else every numeric column except the excluded ones.
    /// Fails when none is left.
    /// </summary>
    public IReadOnlyList<CsvColumn> FeatureColumns(IReadOnlyList<string>? named, IEnumerable<string?> excluded)
    {
        if (named is { Count: > 0 })
        {
            var chosen = named.Select(n => Column(n, "--columns")).ToArray();
            var text = chosen.FirstOrDefault(c => c.Kind != CsvColumnKind.Numeric);
            if (text is not null)
                throw new UsageException($"--columns: the column '{text.Name}' of '{Path}' is not numeric (a value in its first {SampleRows} rows is not a number).");
            return chosen;
        }
        var skip = excluded.Where(e => e is not null).ToHashSet(StringComparer.Ordinal);
        var features = Columns.Where(c => c.Kind == CsvColumnKind.Numeric && !skip.Contains(c.Name)).ToArray();
        if (features.Length == 0)
            throw new UsageException($"'{Path}' has no numeric columns to learn from"
                + (skip.Count > 0 ? $" besides {string.Join(", ", skip.Select(s => $"'{s}'"))}" : "")
                + $". Its columns are: {string.Join(", ", Columns.Select(c => $"{c.Name} ({c.Kind.ToString().ToLowerInvariant()})"))}.");
        return features;
    }

    /// <summary>
    /// An ML.NET view of the file: every column under its header name, numbers as Single (empty = NaN) and text as text.
    /// <paramref name="types"/> overrides a column's type (a Boolean label, a text label).
    /// </summary>
    public IDataView Load(MLContext ml, IReadOnlyDictionary<string, DataKind>? types = null)
    {
        var columns = Columns.Select(c => new TextLoader.Column(c.Name,
            types is not null && types.TryGetValue(c.Name, out var kind) ? kind : c.Kind == CsvColumnKind.Numeric ? DataKind.Single : DataKind.String, c.Index)).ToArray();
        var loader = ml.Data.CreateTextLoader(new TextLoader.Options
        {
            Columns = columns,
            Separators = [Separator],
            HasHeader = true,
            AllowQuoting = true,
            TrimWhitespace = true,
            MissingRealsAsNaNs = true,
        });
        return loader.Load(Path);
    }

    /// <summary>Splits one CSV line: quoted fields may hold the separator and doubled quotes.</summary>
    public static string[] SplitLine(string line, char separator)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == separator) { fields.Add(field.ToString().Trim()); field.Clear(); }
            else field.Append(ch);
        }
        fields.Add(field.ToString().Trim());
        return fields.ToArray();
    }

    /// <summary>Quotes a field when it holds the separator, a quote or a line break.</summary>
    public static string Quote(string value, char separator) =>
        value.IndexOfAny([separator, '"', '\n', '\r']) < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";
}
