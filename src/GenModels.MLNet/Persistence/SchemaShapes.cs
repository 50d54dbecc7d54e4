using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Persistence;

/// <summary>
/// Builds <see cref="SchemaShape.Column"/> values, whose constructor is internal to ML.NET (see build/MLNetInternals.targets).
/// </summary>
internal static class SchemaShapes
{
    private static readonly SchemaShape.Column SlotNamesAnnotation = new(AnnotationUtils.Kinds.SlotNames,
        SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, isKey: false);

    /// <summary>A known-size vector of Single with slot names.</summary>
    public static SchemaShape.Column SingleVector(string name, bool withSlotNames) =>
        new(name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false,
            withSlotNames ? new SchemaShape(new[] { SlotNamesAnnotation }) : null);

    /// <summary>A column shaped like <paramref name="column"/> (same kind and type, no annotations) under another name.</summary>
    public static SchemaShape.Column Renamed(SchemaShape.Column column, string name) =>
        new(name, column.Kind, column.ItemType, column.IsKey);

    /// <summary>A sized image column (an <c>MLImage</c> per row) of <paramref name="type"/>'s height and width.</summary>
    public static SchemaShape.Column Image(string name, DataViewType type) =>
        new(name, SchemaShape.Column.VectorKind.Scalar, type, isKey: false);

    /// <summary>A Single scalar.</summary>
    public static SchemaShape.Column SingleScalar(string name) =>
        new(name, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, isKey: false);

    /// <summary>An anomaly detector's Single score column, with ML.NET's score-column annotations.</summary>
    public static SchemaShape.Column AnomalyScore(string name) =>
        new(name, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, isKey: false, MLNetInternals.AnomalyScoreAnnotationShape());

    /// <summary>An anomaly detector's Boolean predicted-label column, with ML.NET's score-column annotations.</summary>
    public static SchemaShape.Column AnomalyPredictedLabel(string name) =>
        new(name, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, isKey: false, MLNetInternals.AnomalyScoreAnnotationShape());

    /// <summary>
    /// How a column looks at the schema-shape level ("Double", "Vector&lt;Double&gt;", "Vector&lt;Double&gt; of unknown size"):
    /// what <c>GetOutputSchema</c> can know, so it and <c>Fit</c> describe a wrong column the same way.
    /// </summary>
    public static string Describe(SchemaShape.Column column) => column.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => column.ItemType.ToString() ?? "unknown",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{column.ItemType}>",
        _ => $"Vector<{column.ItemType}> of unknown size",
    };

    /// <summary>The schema shape of one data-view column.</summary>
    public static SchemaShape.Column ShapeOf(DataViewSchema.Column column)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(column.Name, column.Type);
        return SchemaShape.Create(builder.ToSchema()).Single();
    }
}
