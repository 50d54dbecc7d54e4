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

    /// <summary>A Single scalar.</summary>
    public static SchemaShape.Column SingleScalar(string name) =>
        new(name, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, isKey: false);

    /// <summary>A Boolean scalar.</summary>
    public static SchemaShape.Column BooleanScalar(string name) =>
        new(name, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, isKey: false);
}
