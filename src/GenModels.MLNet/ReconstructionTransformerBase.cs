using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Networks;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace GenModels.MLNet;

/// <summary>
/// Shared part of the transformers that run an encoder/decoder network on one vector column: output schema, batched
/// streaming <see cref="Transform"/>, <c>PredictionEngine</c> support and the saved header. Derived classes own the network
/// and say how to fill each output column.
/// </summary>
public abstract class ReconstructionTransformerBase : ITransformer, IBatchMapper, IDisposable
{
    private protected ReconstructionTransformerBase(string inputColumnName, int inputDimension, int batchSize, int noiseSeed,
        IReadOnlyList<NetworkOutputColumn> outputs, string[]? inputSlotNames)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The transform batch size must be positive.");
        InputColumnName = inputColumnName;
        InputDimension = inputDimension;
        BatchSize = batchSize;
        NoiseSeed = noiseSeed;
        Outputs = outputs;
        InputSlotNames = inputSlotNames;
    }

    /// <summary>The vector column the network reads.</summary>
    public string InputColumnName { get; }
    /// <summary>Length of the input vectors.</summary>
    public int InputDimension { get; }
    /// <summary>Rows per network call when transforming a data view.</summary>
    public int BatchSize { get; }
    /// <summary>Names of the columns this transformer adds.</summary>
    public IReadOnlyList<string> OutputColumnNames => Outputs.Select(o => o.Name).ToArray();

    internal int NoiseSeed { get; }
    internal IReadOnlyList<NetworkOutputColumn> Outputs { get; }
    internal string[]? InputSlotNames { get; }
    int IBatchMapper.NoiseSeed => NoiseSeed;
    int IBatchMapper.InputWidth => InputDimension;
    IReadOnlyList<DataViewSchema.Column> IBatchMapper.CheckInput(DataViewSchema schema) =>
        [BatchedMapping.CheckVectorInput(schema, InputColumnName, InputDimension)];
    IRowInputReader IBatchMapper.CreateInputReader(DataViewRow row) =>
        new VectorInputReader(row, row.Schema[InputColumnName], InputDimension);
    IReadOnlyList<NetworkOutputColumn> IBatchMapper.Outputs => Outputs;

    /// <summary>Always true: rows are mapped independently.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema plus the added columns; throws if the input column is missing or of the wrong type or size.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => BatchedMapping.OutputSchema(inputSchema, this);

    /// <summary>A lazy view that streams <paramref name="input"/> through the network in batches of <see cref="BatchSize"/> rows.</summary>
    public IDataView Transform(IDataView input) => new BatchedMappingDataView(input, this);

    /// <summary>Row-at-a-time mapping for <c>PredictionEngine</c>.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new BatchedRowMapper(inputSchema, this);

    void IBatchMapper.Map(Tensor input, Tensor?[] outputs, Generator noise)
    {
        using var noGrad = no_grad();
        Map(input, outputs, noise);
    }

    private protected abstract void Map(Tensor input, Tensor?[] outputs, Generator noise);

    /// <summary>The trained network the transformer runs.</summary>
    private protected abstract IReconstructionModel Network { get; }

    private protected abstract VersionInfo VersionInfo { get; }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        var network = ReconstructionNetworks.Serialize(Network); // everything that can fail happens before the model stream is touched
        ModelPersistence.Save(ctx, VersionInfo, WriteHeader, network);
    }

    // Binary format (version 1), after ML.NET's version header:
    //   string inputColumn; int inputDimension; int batchSize; int noiseSeed;
    //   int outputCount; outputCount × (int role; string name);
    //   int slotNameCount (-1 = none); slotNameCount × string;
    //   then the derived transformer's own fields (WriteSettings);
    // then the binary stream "Network" (GenModels.Torch ModelSerializer format).
    private void WriteHeader(BinaryWriter w)
    {
        w.Write(InputColumnName);
        w.Write(InputDimension);
        w.Write(BatchSize);
        w.Write(NoiseSeed);
        w.Write(Outputs.Count);
        foreach (var o in Outputs) { w.Write((int)o.Role); w.Write(o.Name); }
        w.Write(InputSlotNames?.Length ?? -1);
        foreach (var n in InputSlotNames ?? []) w.Write(n);
        WriteSettings(w);
    }

    /// <summary>Writes the derived transformer's own settings after the shared header; its loader reads them back in order.</summary>
    private protected virtual void WriteSettings(BinaryWriter writer) { }

    private protected sealed record SavedHeader(string InputColumnName, int InputDimension, int BatchSize, int NoiseSeed,
        (NetworkOutputRole Role, string Name)[] Outputs, string[]? InputSlotNames);

    private protected static SavedHeader ReadHeader(BinaryReader r)
    {
        string input = r.ReadString();
        int dimension = r.ReadInt32(), batchSize = r.ReadInt32(), seed = r.ReadInt32();
        int count = r.ReadInt32();
        if (dimension <= 0 || batchSize <= 0 || count < 1 || count > 16) throw new InvalidDataException("The saved transformer header is corrupt.");
        var outputs = new (NetworkOutputRole, string)[count];
        for (int i = 0; i < count; i++)
        {
            var role = (NetworkOutputRole)r.ReadInt32();
            if (!Enum.IsDefined(role)) throw new InvalidDataException($"The saved transformer header names an unknown output kind {(int)role}.");
            outputs[i] = (role, r.ReadString());
        }
        int slotCount = r.ReadInt32();
        if (slotCount != -1 && slotCount != dimension) throw new InvalidDataException("The saved transformer header is corrupt (slot names).");
        string[]? slots = slotCount < 0 ? null : Enumerable.Range(0, slotCount).Select(_ => r.ReadString()).ToArray();
        return new SavedHeader(input, dimension, batchSize, seed, outputs, slots);
    }

    /// <summary>Builds the output column descriptions: latent columns get slot names Latent0…, reconstructions the input's.</summary>
    private protected static NetworkOutputColumn[] DescribeOutputs(IEnumerable<(NetworkOutputRole Role, string Name)> outputs, int inputDimension,
        int latentDimension, string[]? inputSlotNames)
    {
        var latentNames = Enumerable.Range(0, latentDimension).Select(i => $"Latent{i}").ToArray();
        return outputs.Select(o => o.Role switch
        {
            NetworkOutputRole.Latent or NetworkOutputRole.LogVariance or NetworkOutputRole.SampledLatent =>
                new NetworkOutputColumn(o.Role, o.Name, latentDimension, false, latentNames),
            NetworkOutputRole.Reconstruction => new NetworkOutputColumn(o.Role, o.Name, inputDimension, false, inputSlotNames),
            NetworkOutputRole.ReconstructionError or NetworkOutputRole.LogLikelihood or NetworkOutputRole.Score => new NetworkOutputColumn(o.Role, o.Name, 1, true),
            NetworkOutputRole.PredictedLabel => new NetworkOutputColumn(o.Role, o.Name, 1, true, IsBoolean: true),
            _ => throw new InvalidDataException($"Unknown output kind {o.Role}."),
        }).ToArray();
    }

    /// <summary>Per-row mean squared reconstruction error, as a [n, 1] tensor.</summary>
    private protected static Tensor MeanSquaredError(Tensor input, Tensor reconstruction) =>
        (input - reconstruction).square().mean(new long[] { 1 }, keepdim: true);

    /// <summary>Releases the network.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the network.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) ((IDisposable)Network).Dispose();
    }
}
