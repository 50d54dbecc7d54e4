using GenModels.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

namespace GenModels.MLNet.Data;

/// <summary>What a network output column holds.</summary>
internal enum NetworkOutputRole
{
    Latent = 1,
    LogVariance = 2,
    SampledLatent = 3,
    Reconstruction = 4,
    ReconstructionError = 5,
    LogLikelihood = 6,
    Score = 7,
    PredictedLabel = 8,
    Generated = 9,
    /// <summary>The reconstruction of an image column, as an image of the same size (models trained on vectors use <see cref="Reconstruction"/>).</summary>
    ReconstructionImage = 10,
}

/// <summary>
/// An output column computed by a network: a known-size Single vector (with optional slot names), a Single scalar, or a
/// Boolean scalar (computed as 0/1 in the network's Single buffer).
/// </summary>
internal sealed record NetworkOutputColumn(NetworkOutputRole Role, string Name, int Size, bool IsScalar, string[]? SlotNames = null, bool IsBoolean = false,
    int[]? Dimensions = null, bool IsImage = false)
{
    /// <summary>An image column's type: the C×H×W values become a sized <c>MLImage</c> (see <see cref="ImageInput"/>).</summary>
    public DataViewType Type => IsImage ? new ImageDataViewType(Dimensions![1], Dimensions[2])
        : IsBoolean ? BooleanDataViewType.Instance
        : IsScalar ? NumberDataViewType.Single
        : Dimensions is { Length: > 1 } dims ? new VectorDataViewType(NumberDataViewType.Single, dims) : new VectorDataViewType(NumberDataViewType.Single, Size);
    public int Width => IsScalar || IsBoolean ? 1 : Size;

    /// <summary>A getter that reads this column's value for the row at <paramref name="offset"/>() × Width of <paramref name="buffer"/>.</summary>
    public ValueGetter<TValue> Getter<TValue>(Func<float[]> buffer, Func<int> offset)
    {
        if (typeof(TValue) != Type.RawType)
            throw new InvalidOperationException($"Column '{Name}' holds {Type.RawType.Name} values, not {typeof(TValue).Name}.");
        Delegate getter;
        if (IsImage)
        {
            int width = Width, height = Dimensions![1], columns = Dimensions[2];
            getter = (ValueGetter<MLImage>)((ref MLImage value) => value = ImageInput.Write(buffer().AsSpan(offset() * width, width), height, columns));
        }
        else if (IsBoolean) getter = (ValueGetter<bool>)((ref bool value) => value = buffer()[offset()] > 0.5f);
        else if (IsScalar) getter = (ValueGetter<float>)((ref float value) => value = buffer()[offset()]);
        else
        {
            int width = Width;
            getter = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                var editor = VBufferEditor.Create(ref value, width);
                buffer().AsSpan(offset() * width, width).CopyTo(editor.Values);
                value = editor.Commit();
            });
        }
        return (ValueGetter<TValue>)getter;
    }
}

/// <summary>
/// What a transformer gives the shared batched cursor: which input vector it reads, which columns it adds, and how to fill
/// them for a batch of rows in one network call.
/// </summary>
internal interface IBatchMapper
{
    /// <summary>Floats per row that <see cref="Map"/> receives.</summary>
    int InputWidth { get; }
    /// <summary>Checks <paramref name="schema"/> and returns the input columns the network reads (throws naming a bad column).</summary>
    IReadOnlyList<DataViewSchema.Column> CheckInput(DataViewSchema schema);
    /// <summary>A reader that turns the current row of <paramref name="row"/> into <see cref="InputWidth"/> floats.</summary>
    IRowInputReader CreateInputReader(DataViewRow row);
    IReadOnlyList<NetworkOutputColumn> Outputs { get; }
    /// <summary>Rows per network call when streaming a data view.</summary>
    int BatchSize { get; }
    /// <summary>
    /// Runs the network once on <paramref name="input"/> ([n, InputWidth]) and copies each requested output into
    /// <paramref name="outputs"/>[i] ([n, Width]); entries of outputs that were not requested are null.
    /// </summary>
    void Map(Tensor input, Tensor?[] outputs, Generator noise);
    /// <summary>Seed of the noise generator that each cursor (and each prediction row) starts from.</summary>
    int NoiseSeed { get; }
    /// <summary>
    /// The managed one-row form of <see cref="Map"/> for the outputs marked in <paramref name="activeOutputs"/>, used by
    /// <c>PredictionEngine</c>s; null when the network or one of those outputs needs libtorch.
    /// </summary>
    RowMap? CreateRowMap(bool[] activeOutputs) => null;
}

/// <summary>Computes one row's active outputs into <paramref name="results"/>[i] (each output's width in floats) from its input values.</summary>
internal delegate void RowMap(ReadOnlySpan<float> input, float[]?[] results);

/// <summary>Schema and input checks shared by every transformer built on <see cref="IBatchMapper"/>.</summary>
internal static class BatchedMapping
{
    public static DataViewSchema OutputSchema(DataViewSchema input, IBatchMapper mapper)
    {
        mapper.CheckInput(input);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var output in mapper.Outputs)
        {
            DataViewSchema.Annotations? annotations = null;
            if (output.SlotNames is { } names)
            {
                var ab = new DataViewSchema.Annotations.Builder();
                ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = (ref VBuffer<ReadOnlyMemory<char>> dst) =>
                {
                    var editor = VBufferEditor.Create(ref dst, names.Length);
                    for (int i = 0; i < names.Length; i++) editor.Values[i] = names[i].AsMemory();
                    dst = editor.Commit();
                };
                ab.AddSlotNames(names.Length, getter);
                annotations = ab.ToAnnotations();
            }
            // An anomaly detector's columns carry the annotations ML.NET's evaluators and tools look for.
            else if (output.Role == NetworkOutputRole.Score)
                annotations = MLNetInternals.AnomalyScoreAnnotations(input, MLNetInternals.ScoreValueKind);
            else if (output.Role == NetworkOutputRole.PredictedLabel)
                annotations = MLNetInternals.AnomalyScoreAnnotations(input, MLNetInternals.PredictedLabelValueKind);
            builder.AddColumn(output.Name, output.Type, annotations);
        }
        return builder.ToSchema();
    }

    /// <summary>
    /// The one vector-column check of the library: the column must exist and be a known-size vector of Single, of length
    /// <paramref name="dimension"/> when given. Errors name the column's role, the column, what was expected and what was found.
    /// </summary>
    public static DataViewSchema.Column CheckVectorInput(DataViewSchema schema, string columnName, int? dimension,
        string role = "input", string paramName = "inputSchema")
    {
        var column = schema.GetColumnOrNull(columnName) ?? throw Errors.MissingColumn(paramName, role, columnName);
        bool singleVector = column.Type is VectorDataViewType { ItemType: NumberDataViewType n } v && n == NumberDataViewType.Single && v.IsKnownSize;
        string expected = dimension is null ? "a known-size vector of Single" : $"Vector<Single, {dimension}>";
        if (!singleVector)
            throw Errors.SchemaMismatch(paramName, role, columnName, expected, SchemaShapes.Describe(SchemaShapes.ShapeOf(column)));
        if (dimension is not null && ((VectorDataViewType)column.Type).Size != dimension)
            throw Errors.SchemaMismatch(paramName, role, columnName, expected, Errors.Describe(column.Type));
        return column;
    }

    /// <summary>
    /// The check of a network's feature input: a known-size vector of Single, or a sized image column (read as C×H×W floats),
    /// of <paramref name="dimension"/> values when given. Returns the column and its shape (the vector's dimensions, or C, H, W).
    /// </summary>
    public static (DataViewSchema.Column Column, int[] Shape) CheckFeatureInput(DataViewSchema schema, string columnName, int? dimension,
        string role = "input", string paramName = "inputSchema")
    {
        var column = schema.GetColumnOrNull(columnName) ?? throw Errors.MissingColumn(paramName, role, columnName);
        if (column.Type is ImageDataViewType)
        {
            var shape = ImageInput.Shape(column, paramName, role);
            int size = shape.Aggregate(1, (a, d) => a * d);
            if (dimension is not null && size != dimension)
                throw Errors.SchemaMismatch(paramName, role, columnName, $"{dimension} values per row", $"an image of {shape[2]}×{shape[1]} ({size} values as 3×H×W)");
            return (column, shape);
        }
        bool singleVector = column.Type is VectorDataViewType { ItemType: NumberDataViewType n, IsKnownSize: true } && n == NumberDataViewType.Single;
        if (!singleVector && dimension is null)
            throw Errors.SchemaMismatch(paramName, role, columnName, "a known-size vector of Single or an image", SchemaShapes.Describe(SchemaShapes.ShapeOf(column)));
        CheckVectorInput(schema, columnName, dimension, role, paramName);
        return (column, ((VectorDataViewType)column.Type).Dimensions.ToArray());
    }

    /// <summary>The reader of a feature input checked by <see cref="CheckFeatureInput"/>.</summary>
    public static IRowInputReader FeatureReader(DataViewRow row, DataViewSchema.Column column, int dimension) =>
        column.Type is ImageDataViewType ? new ImageInputReader(row, column) : new VectorInputReader(row, column, dimension);

    /// <summary>Copies one row's vector (dense or sparse) into <paramref name="destination"/>.</summary>
    public static void CopyRow(in VBuffer<float> row, Span<float> destination)
    {
        if (row.IsDense) { row.GetValues().CopyTo(destination); return; }
        destination.Clear();
        var values = row.GetValues();
        var indices = row.GetIndices();
        for (int i = 0; i < values.Length; i++) destination[indices[i]] = values[i];
    }
}

/// <summary>Reads the network input of the current row of a cursor or row.</summary>
internal interface IRowInputReader
{
    void Read(Span<float> destination);
}

/// <summary>Reads a known-size Single vector column (dense or sparse), checking each row's length.</summary>
internal sealed class VectorInputReader(DataViewRow row, DataViewSchema.Column column, int dimension) : IRowInputReader
{
    private readonly ValueGetter<VBuffer<float>> getter = row.GetGetter<VBuffer<float>>(column);
    private VBuffer<float> value;

    public void Read(Span<float> destination)
    {
        getter(ref value);
        if (value.Length != dimension)
            throw Errors.SchemaMismatch("input", "input", column.Name, $"vectors of length {dimension}", $"a vector of length {value.Length}");
        BatchedMapping.CopyRow(value, destination);
    }
}
