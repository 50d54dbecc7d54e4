using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.Cli;

/// <summary>
/// One CSV column to write: a scalar column of the view, or one slot of a Single vector column, optionally mapped back to
/// the original scale (<c>value / Scale + Offset</c>, the inverse of ML.NET's affine normalisers).
/// </summary>
public sealed record CsvOutputColumn(string Header, string SourceColumn, int Slot = -1, float Scale = 1, float Offset = 0);

/// <summary>Writes a view to CSV: numbers round-trip ("R"), NaN as an empty field, text quoted when needed.</summary>
public static class CsvWriter
{
    /// <summary>Streams <paramref name="data"/> into <paramref name="path"/> and returns the number of rows written.</summary>
    public static long Write(IDataView data, IReadOnlyList<CsvOutputColumn> columns, string path, char separator = ',')
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
            throw new UsageException($"Cannot write '{path}': the folder '{directory}' does not exist.");
        var sourceNames = columns.Select(c => c.SourceColumn).Distinct().ToArray();
        var sources = sourceNames.Select(n => data.Schema.GetColumnOrNull(n) ?? throw new InvalidOperationException($"The model's output has no column '{n}'.")).ToArray();
        using var cursor = data.GetRowCursor(sources);
        var readers = columns.Select(c => Reader(cursor, data.Schema[c.SourceColumn], c)).ToArray();
        using var writer = new StreamWriter(path);
        writer.WriteLine(string.Join(separator, columns.Select(c => CsvTable.Quote(c.Header, separator))));
        long rows = 0;
        var fields = new string[columns.Count];
        while (cursor.MoveNext())
        {
            for (int i = 0; i < readers.Length; i++) fields[i] = CsvTable.Quote(readers[i](), separator);
            writer.WriteLine(string.Join(separator, fields));
            rows++;
        }
        return rows;
    }

    private static string Format(float value) => float.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);

    private static Func<string> Reader(DataViewRowCursor cursor, DataViewSchema.Column column, CsvOutputColumn spec)
    {
        var type = column.Type;
        if (type is VectorDataViewType { ItemType: var item } && item == NumberDataViewType.Single)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> buffer = default;
            int slot = spec.Slot < 0 ? 0 : spec.Slot;
            return () => { getter(ref buffer); return Format(buffer.GetItemOrDefault(slot) / spec.Scale + spec.Offset); };
        }
        if (type == NumberDataViewType.Single)
        {
            var getter = cursor.GetGetter<float>(column);
            float v = 0;
            return () => { getter(ref v); return Format(v / spec.Scale + spec.Offset); };
        }
        if (type == NumberDataViewType.Double)
        {
            var getter = cursor.GetGetter<double>(column);
            double v = 0;
            return () => { getter(ref v); return double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture); };
        }
        if (type == BooleanDataViewType.Instance)
        {
            var getter = cursor.GetGetter<bool>(column);
            bool v = false;
            return () => { getter(ref v); return v ? "true" : "false"; };
        }
        if (type is TextDataViewType)
        {
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> v = default;
            return () => { getter(ref v); return v.ToString(); };
        }
        if (type is KeyDataViewType)
        {
            // A key column with text key values (a conditional generator's label): write the value, not the index.
            var getter = cursor.GetGetter<uint>(column);
            VBuffer<ReadOnlyMemory<char>> names = default;
            if (column.HasKeyValues()) column.GetKeyValues(ref names);
            var values = names.DenseValues().Select(n => n.ToString()).ToArray();
            uint v = 0;
            return () => { getter(ref v); return v == 0 ? "" : v - 1 < values.Length ? values[v - 1] : v.ToString(CultureInfo.InvariantCulture); };
        }
        throw new InvalidOperationException($"Column '{column.Name}' has type {type}, which the CSV writer does not handle.");
    }
}
