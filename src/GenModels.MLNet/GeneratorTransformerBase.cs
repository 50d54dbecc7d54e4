using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Gan;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace GenModels.MLNet;

/// <summary>
/// What the trained generators (GAN, diffusion model) share inside ML.NET: <c>Generate</c> as a lazy, batched data
/// source with the training column's name, type, size and slot names (plus the label column when conditional); the
/// transform that turns a column of requested labels (and optional starting noise) into generated rows; latent
/// interpolation; the saved header; and the network's lifetime. Derived classes own the network and say how noise and
/// classes become rows.
/// </summary>
public abstract class GeneratorTransformerBase : BatchedTransformerBase, IBatchMapper
{
    private readonly int[] featureDimensions;
    private readonly NetworkOutputColumn[] outputs;

    private protected GeneratorTransformerBase(IDisposable network, string featureColumnName, int[] featureDimensions, string[]? slotNames,
        ClassLabels? labels, string noiseColumnName, int batchSize, int noiseSeed, bool featureIsImage)
        : base(network, batchSize)
    {
        if (featureIsImage && (featureDimensions.Length != 3 || featureDimensions[0] != ImageInput.Channels))
            throw new ArgumentException($"An image column is generated as {ImageInput.Channels}×H×W values, not {string.Join("×", featureDimensions)}.", nameof(featureDimensions));
        FeatureIsImage = featureIsImage;
        FeatureColumnName = featureColumnName;
        this.featureDimensions = featureDimensions;
        SlotNames = slotNames;
        Labels = labels;
        NoiseColumnName = noiseColumnName;
        NoiseSeed = noiseSeed;
        int size = featureDimensions.Aggregate(1, (a, d) => a * d);
        outputs = [new NetworkOutputColumn(NetworkOutputRole.Generated, featureColumnName, size, false, slotNames, Dimensions: featureDimensions, IsImage: featureIsImage)];
    }

    /// <summary>The generated column: same name, type, size and slot names as the training column.</summary>
    public string FeatureColumnName { get; }
    /// <summary>True when rows are generated per class.</summary>
    public bool IsConditional => Labels is not null;
    /// <summary>The label column of a conditional model, else null.</summary>
    public string? LabelColumnName => Labels?.ColumnName;
    /// <summary>The classes a conditional model can generate, in index order (empty when unconditional).</summary>
    public IReadOnlyList<string> ClassNames => Labels?.ClassNames ?? [];
    /// <summary>An optional input column of noise vectors (length <see cref="NoiseDimension"/>) that makes <see cref="BatchedTransformerBase.Transform"/> deterministic per row.</summary>
    public string NoiseColumnName { get; }
    /// <summary>
    /// True when the model was trained on an image column: the generated column is then a sized <c>MLImage</c> column of the
    /// same size (values clamped to [0, 1] before they become pixels), so it feeds ImageAnalytics transforms and
    /// <c>MLImage.Save</c> like the training column did.
    /// </summary>
    public bool FeatureIsImage { get; }
    /// <summary>Length of the noise vector a row is generated from.</summary>
    public abstract int NoiseDimension { get; }

    internal int NoiseSeed { get; }
    internal ClassLabels? Labels { get; }
    internal string[]? SlotNames { get; }
    internal int[] FeatureDimensions => featureDimensions;


    /// <summary>Standard normal noise for <paramref name="count"/> rows from the network's noise distribution.</summary>
    private protected abstract Tensor DrawNoise(long count, Generator generator);

    /// <summary>Rows from noise <paramref name="z"/> and class indices (null when unconditional) with the default settings.</summary>
    private protected abstract Tensor GenerateRows(Tensor z, Tensor? classes, Generator noise);

    /// <summary>
    /// A lazy data source of <paramref name="rowCount"/> rows made by <paramref name="generate"/> in batches while it is read,
    /// starting from noise seeded by <paramref name="seed"/>. A conditional model generates <paramref name="label"/> only, or,
    /// when it is null, every class in turn (row i has class i mod classes).
    /// </summary>
    private protected IDataView GenerateWith(long rowCount, int seed, string? label, Func<Tensor, Tensor?, Generator, Tensor> generate)
    {
        _ = NetworkObject;
        if (rowCount < 0) throw new ArgumentOutOfRangeException(nameof(rowCount), rowCount, "The row count must be ≥ 0.");
        int? fixedClass = null;
        if (label is not null)
        {
            if (Labels is null) throw new ArgumentException("This model is unconditional: it was trained without a label column, so it cannot generate a given label.", nameof(label));
            fixedClass = Labels.IndexOf(label);
        }
        return new BatchedMappingDataView(new GenerationSource(rowCount, Labels, fixedClass), new GenerationMapper(this, seed, generate));
    }

    /// <summary>A noise vector drawn with <paramref name="seed"/>: a latent point to generate from or interpolate between.</summary>
    public float[] SampleNoise(int seed)
    {
        _ = NetworkObject;
        using var generator = new Generator((ulong)seed);
        using var z = DrawNoise(1, generator);
        return z.data<float>().ToArray();
    }

    /// <summary>
    /// Rows generated along a path of <paramref name="steps"/> latent points from <paramref name="from"/> to
    /// <paramref name="to"/> (endpoints included), to see the output change; <paramref name="label"/> picks the class of a
    /// conditional model.
    /// </summary>
    public float[][] Interpolate(float[] from, float[] to, int steps, InterpolationKind kind = InterpolationKind.Spherical, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        _ = NetworkObject;
        if (from.Length != NoiseDimension || to.Length != NoiseDimension)
            throw new ArgumentException($"Latent points must have length {NoiseDimension} (the noise dimension).", from.Length != NoiseDimension ? nameof(from) : nameof(to));
        if (Labels is not null && label is null) throw new ArgumentNullException(nameof(label), $"A conditional model needs the class to generate: one of {Labels.Describe()}.");
        if (Labels is null && label is not null) throw new ArgumentException("This model is unconditional and takes no label.", nameof(label));
        using var scope = NewDisposeScope();
        using var noise = new Generator((ulong)NoiseSeed);
        var path = LatentInterpolation.Path(tensor(from), tensor(to), steps, kind);
        var classes = Labels is null ? null : full(steps, Labels.IndexOf(label!), dtype: ScalarType.Int64);
        var rows = GenerateRows(path, classes, noise);
        return Enumerable.Range(0, steps).Select(i => rows[i].data<float>().ToArray()).ToArray();
    }

    // Network input per row: [class index, 1 if the row brings noise else 0, noise…].
    int IBatchMapper.InputWidth => 2 + NoiseDimension;
    IReadOnlyList<NetworkOutputColumn> IBatchMapper.Outputs => outputs;
    int IBatchMapper.NoiseSeed => NoiseSeed;

    IReadOnlyList<DataViewSchema.Column> IBatchMapper.CheckInput(DataViewSchema schema)
    {
        var columns = new List<DataViewSchema.Column>();
        if (Labels is not null)
        {
            var label = schema.GetColumnOrNull(Labels.ColumnName) ?? throw Errors.MissingColumn("inputSchema", "label", Labels.ColumnName);
            Labels.CheckColumn(label, "inputSchema");
            columns.Add(label);
        }
        if (schema.GetColumnOrNull(NoiseColumnName) is not null) // optional: used when present
            columns.Add(BatchedMapping.CheckVectorInput(schema, NoiseColumnName, NoiseDimension, role: "noise"));
        return columns;
    }

    IRowInputReader IBatchMapper.CreateInputReader(DataViewRow row) => new InputReader(this, row);

    void IBatchMapper.Map(Tensor input, Tensor?[] targets, Generator noise) => MapRows(input, targets, noise, GenerateRows);

    private void MapRows(Tensor input, Tensor?[] targets, Generator noise, Func<Tensor, Tensor?, Generator, Tensor> generate)
    {
        if (targets[0] is not { } target) return;
        using var noGrad = no_grad();
        long n = input.shape[0];
        var classes = Labels is null ? null : input.select(1, 0).to_type(ScalarType.Int64);
        var drawn = DrawNoise(n, noise);                                  // drawn for every row, so a row's noise does not shift the others'
        var hasNoise = input.narrow(1, 1, 1);
        var z = drawn * (1 - hasNoise) + input.narrow(1, 2, NoiseDimension) * hasNoise;
        target.copy_(generate(z, classes, noise));
    }

    private sealed class InputReader : IRowInputReader
    {
        private readonly Func<int>? classOf;
        private readonly VectorInputReader? noise;
        private readonly int noiseDimension;

        public InputReader(GeneratorTransformerBase parent, DataViewRow row)
        {
            noiseDimension = parent.NoiseDimension;
            if (parent.Labels is { } labels) classOf = labels.CreateReader(row, row.Schema[labels.ColumnName]);
            if (row.Schema.GetColumnOrNull(parent.NoiseColumnName) is { } column) noise = new VectorInputReader(row, column, noiseDimension);
        }

        public void Read(Span<float> destination)
        {
            destination[0] = classOf?.Invoke() ?? 0;
            destination[1] = noise is null ? 0 : 1;
            if (noise is null) destination[2..].Clear();
            else noise.Read(destination.Slice(2, noiseDimension));
        }
    }

    /// <summary>The transformer's mapping with another noise seed and generation settings: what <c>Generate</c> streams through.</summary>
    private sealed class GenerationMapper(GeneratorTransformerBase parent, int seed, Func<Tensor, Tensor?, Generator, Tensor> generate) : IBatchMapper
    {
        private IBatchMapper Parent => parent;
        public int InputWidth => Parent.InputWidth;
        public IReadOnlyList<DataViewSchema.Column> CheckInput(DataViewSchema schema) => Parent.CheckInput(schema);
        public IRowInputReader CreateInputReader(DataViewRow row) => Parent.CreateInputReader(row);
        public IReadOnlyList<NetworkOutputColumn> Outputs => Parent.Outputs;
        public int BatchSize => Parent.BatchSize;
        public void Map(Tensor input, Tensor?[] outputs, Generator noise) => parent.MapRows(input, outputs, noise, generate);
        public int NoiseSeed => seed;
    }

    // Shared header (formats 1 and 2; in format 2 it is one checksummed block, see ModelPersistence):
    //   string featureColumn; int dimensionCount; dimensionCount × int; int slotNameCount (-1 = none); slotNameCount × string;
    //   string labelColumn ("" = unconditional); bool labelIsKey; int classCount; classCount × string;
    //   string noiseColumn; int batchSize; int noiseSeed;
    //   format 2 only: bool featureIsImage (format-1 models generated vectors);
    // then the derived transformer's own fields (WriteSettings), then the binary stream "Network".
    private void WriteHeader(BinaryWriter w)
    {
        w.Write(FeatureColumnName);
        w.Write(featureDimensions.Length);
        foreach (var d in featureDimensions) w.Write(d);
        w.Write(SlotNames?.Length ?? -1);
        foreach (var s in SlotNames ?? []) w.Write(s);
        w.Write(Labels?.ColumnName ?? "");
        w.Write(Labels?.IsKey ?? false);
        w.Write(Labels?.ClassNames.Count ?? 0);
        foreach (var c in Labels?.ClassNames ?? []) w.Write(c);
        w.Write(NoiseColumnName);
        w.Write(BatchSize);
        w.Write(NoiseSeed);
        w.Write(FeatureIsImage);
        WriteSettings(w);
    }

    /// <summary>Saves <paramref name="module"/> (rebuilt from <paramref name="options"/> on load) with the shared header, in <paramref name="format"/>.</summary>
    private protected void SaveWith<TOptions>(ModelSaveContext ctx, ModelFormat format, string kind, TOptions options, TorchSharp.torch.nn.Module module)
    {
        using var stream = new MemoryStream();
        GenModels.Torch.Serialization.ModelSerializer.Save(stream, kind, options, module); // before anything reaches the model stream
        ModelPersistence.Save(ctx, format, WriteHeader, stream.ToArray());
    }

    /// <summary>Writes the derived transformer's own settings after the shared header; its loader reads them back in order.</summary>
    private protected virtual void WriteSettings(BinaryWriter writer) { }

    private protected sealed record SavedHeader(string FeatureColumnName, int[] Dimensions, long Size, string[]? SlotNames, ClassLabels? Labels,
        string NoiseColumnName, int BatchSize, int NoiseSeed, bool FeatureIsImage);

    /// <summary>Reads the shared header of a model saved in <paramref name="format"/>, checking every count it holds.</summary>
    private protected static SavedHeader ReadHeader(BinaryReader r, uint format)
    {
        string feature = r.ReadString();
        int rank = ModelPersistence.ReadCount(r, "the feature column's rank", 1, Limits.MaxRank);
        var dims = Enumerable.Range(0, rank).Select(_ => ModelPersistence.ReadCount(r, "a feature dimension", 1, int.MaxValue)).ToArray();
        long size = dims.Aggregate(1L, (a, d) => a * d);
        int slotCount = r.ReadInt32();
        if (slotCount != -1 && slotCount != size) throw new InvalidDataException("The saved model is corrupt: its slot names do not match its feature size.");
        var slots = slotCount < 0 ? null : Enumerable.Range(0, slotCount).Select(_ => r.ReadString()).ToArray();
        string labelColumn = r.ReadString();
        bool isKey = r.ReadBoolean();
        int classCount = ModelPersistence.ReadCount(r, "the class count", 0, Limits.MaxClasses);
        var classes = Enumerable.Range(0, classCount).Select(_ => r.ReadString()).ToArray();
        string noiseColumn = r.ReadString();
        int batchSize = ModelPersistence.ReadCount(r, "the generation batch size", 1, Limits.MaxTransformBatchSize);
        int seed = r.ReadInt32();
        bool image = format >= ModelFormat.Version2 && r.ReadBoolean();
        if (image && (dims.Length != 3 || dims[0] != ImageInput.Channels))
            throw new InvalidDataException("The saved model is corrupt: it generates images but its shape is not 3×H×W.");
        var labels = labelColumn.Length == 0 ? null : new ClassLabels(labelColumn, isKey, classes);
        return new SavedHeader(feature, dims, size, slots, labels, noiseColumn, batchSize, seed, image);
    }

    /// <summary>
    /// Builds a loaded transformer once <paramref name="header"/> matches the network's data size and class count; the
    /// network is released if anything turns out corrupt.
    /// </summary>
    private protected static T LoadWith<T, TNetwork>(SavedHeader header, TNetwork network, long dataDimension, int classCount, Func<TNetwork, T> build)
        where TNetwork : IDisposable =>
        LoadOwning(network, n =>
        {
            if (dataDimension != header.Size)
                throw new InvalidDataException($"The saved model is corrupt: its network generates {dataDimension} values but its header says {header.Size} ({string.Join("×", header.Dimensions)}).");
            if ((header.Labels?.ClassNames.Count ?? 0) != classCount)
                throw new InvalidDataException("The saved model is corrupt: its classes do not match its network.");
            return build(n);
        });
}
