using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Data;

/// <summary>Reads and checks the training rows of a vector column.</summary>
internal static class TrainingData
{
    /// <summary>Bytes the training-row buffer starts with.</summary>
    private const long InitialReadBytes = 4 << 20;

    /// <summary>The column must exist and be a known-size vector of Single or a sized image; returns its length.</summary>
    public static int CheckVectorColumn(DataViewSchema schema, string columnName) =>
        Shape(schema, columnName).Aggregate(1, (a, d) => a * d);

    /// <summary>The training column's shape: a vector's dimensions, or C, H, W for an image column.</summary>
    public static int[] Shape(DataViewSchema schema, string columnName) =>
        BatchedMapping.CheckFeatureInput(schema, columnName, null, paramName: "input").Shape;

    /// <summary>The column's slot names, or null when it has none.</summary>
    public static string[]? SlotNames(DataViewSchema schema, string columnName)
    {
        var column = schema[columnName];
        if (!column.HasSlotNames()) return null;
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    /// <summary>
    /// Copies every row of <paramref name="columnName"/> into one row-major array, rejecting non-finite values (naming the
    /// row and slot) and an empty data view.
    /// </summary>
    public static (float[] Values, int Rows) ReadVectors(IDataView data, string columnName, int dimension, CancellationToken cancellation,
        ExtraColumns? extra = null)
    {
        var column = data.Schema[columnName];
        int width = dimension + (extra?.Width ?? 0);
        // Room for the first rows is sized in bytes (a few MB, at least one row), then doubled as rows arrive: a very wide
        // column does not allocate a thousand rows up front, and sizes are computed in 64 bits.
        long maxRows = Array.MaxLength / width;
        if (maxRows < 1) throw new InvalidOperationException($"Column '{columnName}' has rows of {width:N0} values, more than one array can hold.");
        int capacityRows = (int)Math.Clamp(InitialReadBytes / (sizeof(float) * (long)width), 1, Math.Min(1024, maxRows));
        var buffer = new float[capacityRows * width];
        int rows = 0;
        var columns = new List<DataViewSchema.Column> { column };
        if (extra is not null) columns.AddRange(extra.Columns);
        using (var cursor = data.GetRowCursor(columns))
        {
            var reader = BatchedMapping.FeatureReader(cursor, column, dimension);
            var readExtra = extra?.CreateReader(cursor);
            while (cursor.MoveNext())
            {
                if ((rows & 1023) == 0) cancellation.ThrowIfCancellationRequested();
                if (rows == capacityRows)
                {
                    if (rows >= maxRows)
                        throw new InvalidOperationException($"Column '{columnName}' holds more training values than one array can hold; train on a sample of the rows.");
                    capacityRows = (int)Math.Min(maxRows, 2L * capacityRows);
                    Array.Resize(ref buffer, capacityRows * width);
                }
                var target = buffer.AsSpan(rows * width, dimension);
                reader.Read(target);
                readExtra?.Invoke(rows, buffer.AsSpan(rows * width + dimension, width - dimension));
                CheckFinite(target, columnName, rows);
                rows++;
            }
        }
        if (rows == 0) throw new InvalidOperationException($"The training data has no rows: column '{columnName}' is empty.");
        return (buffer, rows);
    }

    /// <summary>Throws naming the column, row and slot of the first non-finite value of <paramref name="row"/>.</summary>
    public static void CheckFinite(ReadOnlySpan<float> row, string columnName, long rowIndex)
    {
        for (int j = 0; j < row.Length; j++)
            if (!float.IsFinite(row[j]))
                throw new InvalidOperationException(
                    $"Column '{columnName}' has a non-finite value ({row[j]}) at row {rowIndex}, slot {j}. Training needs finite values: " +
                    "replace or drop missing values first (for example with ReplaceMissingValues).");
    }

    /// <summary>
    /// A seeded uniform sample of at most <paramref name="maxRows"/> rows of the column (reservoir sampling while the data
    /// streams, so memory holds only the sample), as one row-major array; rejects non-finite values like the training reader.
    /// </summary>
    public static (float[] Values, int Rows) SampleVectors(IDataView data, string columnName, int dimension, int maxRows, int seed)
    {
        var column = data.Schema[columnName];
        var rnd = new Random(seed);
        var sample = new List<float[]>();
        long seen = 0;
        using (var cursor = data.GetRowCursor([column]))
        {
            var reader = BatchedMapping.FeatureReader(cursor, column, dimension);
            var row = new float[dimension];
            while (cursor.MoveNext())
            {
                reader.Read(row);
                CheckFinite(row, columnName, seen);
                seen++;
                if (sample.Count < maxRows) sample.Add((float[])row.Clone());
                else if (rnd.NextInt64(seen) is var slot && slot < maxRows) row.CopyTo(sample[(int)slot], 0);
            }
        }
        var values = new float[sample.Count * dimension];
        for (int i = 0; i < sample.Count; i++) sample[i].CopyTo(values, i * dimension);
        return (values, sample.Count);
    }

    /// <summary>Columns read alongside the vector column, appended to each training row (for example a class index).</summary>
    /// <param name="Columns">The columns the reader needs.</param>
    /// <param name="Width">Floats appended per row.</param>
    /// <param name="CreateReader">Given the cursor, a callback that fills the extra floats of row number <c>row</c>.</param>
    internal sealed record ExtraColumns(IReadOnlyList<DataViewSchema.Column> Columns, int Width, Func<DataViewRow, RowReader> CreateReader);

    /// <summary>Fills the extra floats of the current row (its index is given for error messages).</summary>
    internal delegate void RowReader(int row, Span<float> destination);
}
