using GenModels.MLNet.Data;
using GenModels.MLNet.Gan;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Gan;
using GenModels.Torch.Serialization;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(GanTransformer), null, typeof(SignatureLoadModel), "GAN Generator Transformer", GanTransformer.LoaderSignature)]

namespace GenModels.MLNet.Gan;

/// <summary>
/// A trained GAN generator inside ML.NET. <see cref="Generate"/> is a lazy, batched data source of synthetic rows with the
/// training column's name, type, size and slot names (plus the label column for a conditional GAN). As a transform it
/// turns a column of requested labels (and an optional noise column) into generated rows, for augmentation. Saved and
/// loaded with <c>mlContext.Model.Save/Load</c>.
/// </summary>
public sealed class GanTransformer : ITransformer, IBatchMapper, IDisposable
{
    internal const string LoaderSignature = "GenModelsGanGenerator";
    private const string NetworkKind = "GenerativeAdversarialNetwork";
    private readonly int[] featureDimensions;
    private readonly string[]? slotNames;
    private readonly GanLabels? labels;
    private readonly NetworkOutputColumn[] outputs;
    private readonly TransformerNetwork<GenerativeAdversarialNetwork> network;

    internal GanTransformer(GenerativeAdversarialNetwork network, string featureColumnName, int[] featureDimensions, string[]? slotNames,
        GanLabels? labels, string noiseColumnName, int batchSize, int noiseSeed, TrainingResult? training)
    {
        Limits.CheckTransformBatchSize(batchSize, nameof(batchSize));
        this.network = new TransformerNetwork<GenerativeAdversarialNetwork>(network, nameof(GanTransformer));
        FeatureColumnName = featureColumnName;
        this.featureDimensions = featureDimensions;
        this.slotNames = slotNames;
        this.labels = labels;
        NoiseColumnName = noiseColumnName;
        BatchSize = batchSize;
        NoiseSeed = noiseSeed;
        Training = training;
        int size = featureDimensions.Aggregate(1, (a, d) => a * d);
        outputs = [new NetworkOutputColumn(NetworkOutputRole.Generated, featureColumnName, size, false, slotNames, Dimensions: featureDimensions)];
    }

    /// <summary>The trained networks (GenModels.Torch); generation uses the weight-averaged generator. Throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
    public GenerativeAdversarialNetwork Network => network.Value;
    /// <summary>The generated column: same name, type, size and slot names as the training column.</summary>
    public string FeatureColumnName { get; }
    /// <summary>True when rows are generated per class.</summary>
    public bool IsConditional => labels is not null;
    /// <summary>The label column of a conditional GAN, else null.</summary>
    public string? LabelColumnName => labels?.ColumnName;
    /// <summary>The classes a conditional GAN can generate, in index order (empty when unconditional).</summary>
    public IReadOnlyList<string> ClassNames => labels?.ClassNames ?? [];
    /// <summary>An optional input column of noise vectors (length <see cref="NoiseDimension"/>) that makes <see cref="Transform"/> deterministic per row.</summary>
    public string NoiseColumnName { get; }
    /// <summary>Length of the generator's noise input.</summary>
    public int NoiseDimension => Network.Options.NoiseDimension;
    /// <summary>Rows per generator call.</summary>
    public int BatchSize { get; }
    /// <summary>Loss and discriminator-accuracy history of the training run; null for a loaded model.</summary>
    public TrainingResult? Training { get; }
    internal int NoiseSeed { get; }
    int IBatchMapper.NoiseSeed => NoiseSeed;

    /// <summary>
    /// A lazy data source of <paramref name="rowCount"/> generated rows, produced in batches while it is read. The same
    /// seed gives the same rows. A conditional GAN generates <paramref name="label"/> only, or, when it is null, every class
    /// in turn (row i has class i mod classes).
    /// </summary>
    public IDataView Generate(long rowCount, int seed = 0, string? label = null)
    {
        _ = Network;
        if (rowCount < 0) throw new ArgumentOutOfRangeException(nameof(rowCount), rowCount, "The row count must be ≥ 0.");
        int? fixedClass = null;
        if (label is not null)
        {
            if (labels is null) throw new ArgumentException("This GAN is unconditional: it was trained without a label column, so it cannot generate a given label.", nameof(label));
            fixedClass = labels.IndexOf(label);
        }
        return new BatchedMappingDataView(new GenerationSource(rowCount, labels, fixedClass), new SeededBatchMapper(this, seed));
    }

    /// <summary>A noise vector drawn with <paramref name="seed"/>: a latent point to generate from or interpolate between.</summary>
    public float[] SampleNoise(int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var z = Network.SampleNoise(1, generator);
        return z.data<float>().ToArray();
    }

    /// <summary>
    /// Rows generated along a path of <paramref name="steps"/> latent points from <paramref name="from"/> to
    /// <paramref name="to"/> (endpoints included), to see the output change; <paramref name="label"/> picks the class of a
    /// conditional GAN.
    /// </summary>
    public float[][] Interpolate(float[] from, float[] to, int steps, InterpolationKind kind = InterpolationKind.Spherical, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (from.Length != NoiseDimension || to.Length != NoiseDimension)
            throw new ArgumentException($"Latent points must have length {NoiseDimension} (the noise dimension).", from.Length != NoiseDimension ? nameof(from) : nameof(to));
        if (labels is not null && label is null) throw new ArgumentNullException(nameof(label), $"A conditional GAN needs the class to generate: one of {labels.Describe()}.");
        if (labels is null && label is not null) throw new ArgumentException("This GAN is unconditional and takes no label.", nameof(label));
        using var scope = NewDisposeScope();
        var path = LatentInterpolation.Path(tensor(from), tensor(to), steps, kind);
        var classes = labels is null ? null : full(steps, labels.IndexOf(label!), dtype: ScalarType.Int64);
        var rows = Network.Generate(path, classes);
        return Enumerable.Range(0, steps).Select(i => rows[i].data<float>().ToArray()).ToArray();
    }

    /// <summary>Always true: rows are mapped independently.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema plus the generated column; a conditional GAN needs its label column (text or key).</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        _ = Network;
        return BatchedMapping.OutputSchema(inputSchema, this);
    }

    /// <summary>One generated row per input row: of the row's requested label (conditional), from the row's noise when the noise column is present.</summary>
    public IDataView Transform(IDataView input)
    {
        _ = Network;
        return new BatchedMappingDataView(input, this);
    }

    /// <summary>Row-at-a-time mapping for <c>PredictionEngine</c>.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        var mapper = new BatchedRowMapper(inputSchema, this);
        network.Lease(); // given back when the engine disposes this transformer, see TransformerNetwork
        return mapper;
    }

    // Network input per row: [class index, 1 if the row brings noise else 0, noise…].
    int IBatchMapper.InputWidth => 2 + NoiseDimension;
    IReadOnlyList<NetworkOutputColumn> IBatchMapper.Outputs => outputs;

    IReadOnlyList<DataViewSchema.Column> IBatchMapper.CheckInput(DataViewSchema schema)
    {
        var columns = new List<DataViewSchema.Column>();
        if (labels is not null)
        {
            var label = schema.GetColumnOrNull(labels.ColumnName) ?? throw Errors.MissingColumn("inputSchema", "label", labels.ColumnName);
            labels.CheckColumn(label, "inputSchema");
            columns.Add(label);
        }
        if (schema.GetColumnOrNull(NoiseColumnName) is not null) // optional: used when present
            columns.Add(BatchedMapping.CheckVectorInput(schema, NoiseColumnName, NoiseDimension, role: "noise"));
        return columns;
    }

    IRowInputReader IBatchMapper.CreateInputReader(DataViewRow row) => new InputReader(this, row);

    private sealed class InputReader : IRowInputReader
    {
        private readonly Func<int>? classOf;
        private readonly VectorInputReader? noise;
        private readonly int noiseDimension;

        public InputReader(GanTransformer parent, DataViewRow row)
        {
            noiseDimension = parent.NoiseDimension;
            if (parent.labels is { } labels) classOf = labels.CreateReader(row, row.Schema[labels.ColumnName]);
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

    void IBatchMapper.Map(Tensor input, Tensor?[] targets, Generator noise)
    {
        if (targets[0] is not { } target) return;
        long n = input.shape[0];
        var classes = labels is null ? null : input.select(1, 0).to_type(ScalarType.Int64);
        var drawn = Network.SampleNoise(n, noise);                   // drawn for every row, so a row's noise does not shift the others'
        var hasNoise = input.narrow(1, 1, 1);
        var z = drawn * (1 - hasNoise) + input.narrow(1, 2, NoiseDimension) * hasNoise;
        target.copy_(Network.Generate(z, classes));
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        using var stream = new MemoryStream();
        ModelSerializer.Save(stream, NetworkKind, Network.Options, Network); // before anything reaches the model stream
        ModelPersistence.Save(ctx, SavedFormat, WriteHeader, stream.ToArray());
    }

    // Header (formats 1 and 2; in format 2 it is one checksummed block, see ModelPersistence):
    //   string featureColumn; int dimensionCount; dimensionCount × int; int slotNameCount (-1 = none); slotNameCount × string;
    //   string labelColumn ("" = unconditional); bool labelIsKey; int classCount; classCount × string;
    //   string noiseColumn; int batchSize; int noiseSeed;
    // then the binary stream "Network" (GenModels.Torch ModelSerializer format).
    private void WriteHeader(BinaryWriter w)
    {
        w.Write(FeatureColumnName);
        w.Write(featureDimensions.Length);
        foreach (var d in featureDimensions) w.Write(d);
        w.Write(slotNames?.Length ?? -1);
        foreach (var s in slotNames ?? []) w.Write(s);
        w.Write(labels?.ColumnName ?? "");
        w.Write(labels?.IsKey ?? false);
        w.Write(labels?.ClassNames.Count ?? 0);
        foreach (var c in labels?.ClassNames ?? []) w.Write(c);
        w.Write(NoiseColumnName);
        w.Write(BatchSize);
        w.Write(NoiseSeed);
    }

    private static readonly ModelFormat SavedFormat = new("GMGANGEN", LoaderSignature, typeof(GanTransformer));

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static GanTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, SavedFormat, (r, network, _) =>
        {
            string feature = r.ReadString();
            int rank = ModelPersistence.ReadCount(r, "the feature column's rank", 1, Limits.MaxRank);
            var dims = Enumerable.Range(0, rank).Select(_ => ModelPersistence.ReadCount(r, "a feature dimension", 1, int.MaxValue)).ToArray();
            long size = dims.Aggregate(1L, (a, d) => a * d);
            int slotCount = r.ReadInt32();
            if (slotCount != -1 && slotCount != size) throw new InvalidDataException("The saved GAN is corrupt: its slot names do not match its feature size.");
            var slots = slotCount < 0 ? null : Enumerable.Range(0, slotCount).Select(_ => r.ReadString()).ToArray();
            string labelColumn = r.ReadString();
            bool isKey = r.ReadBoolean();
            int classCount = ModelPersistence.ReadCount(r, "the class count", 0, Limits.MaxClasses);
            var classes = Enumerable.Range(0, classCount).Select(_ => r.ReadString()).ToArray();
            string noiseColumn = r.ReadString();
            int batchSize = ModelPersistence.ReadCount(r, "the generation batch size", 1, Limits.MaxTransformBatchSize);
            int seed = r.ReadInt32();
            var labels = labelColumn.Length == 0 ? null : new GanLabels(labelColumn, isKey, classes);
            var gan = ModelSerializer.Load<GanOptions, GenerativeAdversarialNetwork>(new MemoryStream(network), NetworkKind, o => new GenerativeAdversarialNetwork(o));
            try
            {
                var options = gan.Options;
                if (options.DataDimension != size)
                    throw new InvalidDataException($"The saved GAN is corrupt: its network generates {options.DataDimension} values but its header says {size} ({string.Join("×", dims)}).");
                if (options.ImageShape is { } shape && !shape.SequenceEqual(dims))
                    throw new InvalidDataException($"The saved GAN is corrupt: its network draws {string.Join("×", shape)} images but its header says {string.Join("×", dims)}.");
                if ((labels?.ClassNames.Count ?? 0) != options.ClassCount)
                    throw new InvalidDataException("The saved GAN is corrupt: its classes do not match its network.");
                return new GanTransformer(gan, feature, dims, slots, labels, noiseColumn, batchSize, seed, null);
            }
            catch
            {
                gan.Dispose();
                throw;
            }
        });

    /// <summary>
    /// Gives back the creator's reference to the networks. Their native memory is released once this transformer and every
    /// <c>PredictionEngine</c> created from it are disposed; after that every use throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose() => network.Release();
}
