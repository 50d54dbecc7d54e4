using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Data;

/// <summary>Reads and checks the training rows of a vector column.</summary>
internal static class TrainingData
{
    /// <summary>The column must exist and be a known-size vector of Single; returns its length.</summary>
    public static int CheckVectorColumn(DataViewSchema schema, string columnName, string paramName = "input")
    {
        var column = schema.GetColumnOrNull(columnName) ?? throw Errors.MissingColumn(paramName, "input", columnName);
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType item } vector || item != NumberDataViewType.Single || !vector.IsKnownSize)
            throw Errors.SchemaMismatch(paramName, "input", columnName, "a known-size vector of Single", Errors.Describe(column.Type));
        return vector.Size;
    }

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
    public static (float[] Values, int Rows) ReadVectors(IDataView data, string columnName, int dimension, CancellationToken cancellation)
    {
        var column = data.Schema[columnName];
        var buffer = new float[Math.Max(dimension, 1) * 1024];
        int rows = 0;
        using (var cursor = data.GetRowCursor(new[] { column }))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> row = default;
            while (cursor.MoveNext())
            {
                if ((rows & 1023) == 0) cancellation.ThrowIfCancellationRequested();
                getter(ref row);
                if ((long)(rows + 1) * dimension > Array.MaxLength)
                    throw new InvalidOperationException($"Column '{columnName}' holds more training values than one array can hold; train on a sample of the rows.");
                if ((rows + 1) * dimension > buffer.Length) Array.Resize(ref buffer, (int)Math.Min(Array.MaxLength, (long)buffer.Length * 2));
                var target = buffer.AsSpan(rows * dimension, dimension);
                BatchedMapping.CopyRow(row, target);
                for (int j = 0; j < dimension; j++)
                    if (!float.IsFinite(target[j]))
                        throw new InvalidOperationException(
                            $"Column '{columnName}' has a non-finite value ({target[j]}) at row {rows}, slot {j}. Training needs finite values: " +
                            "replace or drop missing values first (for example with ReplaceMissingValues).");
                rows++;
            }
        }
        if (rows == 0) throw new InvalidOperationException($"The training data has no rows: column '{columnName}' is empty.");
        return (buffer, rows);
    }
}
