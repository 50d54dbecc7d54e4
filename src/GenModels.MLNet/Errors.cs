using Microsoft.ML.Data;

namespace GenModels.MLNet;

/// <summary>Exceptions in ML.NET's style: the column, what was expected, what was found.</summary>
internal static class Errors
{
    public static ArgumentOutOfRangeException MissingColumn(string paramName, string role, string column) =>
        new(paramName, $"Schema mismatch: the {role} column '{column}' was not found.");

    public static ArgumentOutOfRangeException SchemaMismatch(string paramName, string role, string column, string expected, string found) =>
        new(paramName, $"Schema mismatch for {role} column '{column}': expected {expected}, got {found}.");

    public static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType v when !v.IsKnownSize => $"Vector<{v.ItemType}> of unknown size",
        VectorDataViewType v => $"Vector<{v.ItemType}, {v.Size}>",
        _ => type.ToString() ?? type.GetType().Name,
    };
}
