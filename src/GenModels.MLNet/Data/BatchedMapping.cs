using Microsoft.ML;
using Microsoft.ML.Data;
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
}

/// <summary>
/// An output column computed by a network: a known-size Single vector (with optional slot names), a Single scalar, or a
/// Boolean scalar (computed as 0/1 in the network's Single buffer).
/// </summary>
internal sealed record NetworkOutputColumn(NetworkOutputRole Role, string Name, int Size, bool IsScalar, string[]? SlotNames = null, bool IsBoolean = false)
{
    public DataViewType Type => IsBoolean ? BooleanDataViewType.Instance
        : IsScalar ? NumberDataViewType.Single : new VectorDataViewType(NumberDataViewType.Single, Size);
    public int Width => IsScalar || IsBoolean ? 1 : Size;

    /// <summary>A getter that reads this column's value for the row at <paramref name="offset"/>() × Width of <paramref name="buffer"/>.</summary>
    public ValueGetter<TValue> Getter<TValue>(Func<float[]> buffer, Func<int> offset)
    {
        if (typeof(TValue) != Type.RawType)
            throw new InvalidOperationException($"Column '{Name}' holds {Type.RawType.Name} values, not {typeof(TValue).Name}.");
        Delegate getter;
        if (IsBoolean) getter = (ValueGetter<bool>)((ref bool value) => value = buffer()[offset()] > 0.5f);
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
    string InputColumnName { get; }
    int InputDimension { get; }
    IReadOnlyList<NetworkOutputColumn> Outputs { get; }
    /// <summary>Rows per network call when streaming a data view.</summary>
    int BatchSize { get; }
    /// <summary>
    /// Runs the network once on <paramref name="input"/> ([n, InputDimension]) and copies each requested output into
    /// <paramref name="outputs"/>[i] ([n, Width]); entries of outputs that were not requested are null.
    /// </summary>
    void Map(Tensor input, Tensor?[] outputs, Generator noise);
    /// <summary>Seed of the noise generator that each cursor (and each prediction row) starts from.</summary>
    int NoiseSeed { get; }
}

/// <summary>Schema and input checks shared by every transformer built on <see cref="IBatchMapper"/>.</summary>
internal static class BatchedMapping
{
    public static DataViewSchema OutputSchema(DataViewSchema input, IBatchMapper mapper)
    {
        CheckInput(input, mapper);
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
            builder.AddColumn(output.Name, output.Type, annotations);
        }
        return builder.ToSchema();
    }

    /// <summary>The input column must exist and be a Single vector of the trained length.</summary>
    public static int CheckInput(DataViewSchema schema, IBatchMapper mapper)
    {
        var column = schema.GetColumnOrNull(mapper.InputColumnName)
            ?? throw Errors.MissingColumn("inputSchema", "input", mapper.InputColumnName);
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType n } v || n != NumberDataViewType.Single || v.Size != mapper.InputDimension)
            throw Errors.SchemaMismatch("inputSchema", "input", mapper.InputColumnName,
                $"Vector<Single, {mapper.InputDimension}>", Errors.Describe(column.Type));
        return column.Index;
    }

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
