using GenModels.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet;

/// <summary>
/// The face every transformer of the library shows ML.NET: the output schema, the batched streaming <see cref="Transform"/>,
/// the row-to-row mapper of a <c>PredictionEngine</c>, saving, and the network's counted lifetime (see
/// <see cref="Dispose"/>). Derived classes describe the mapping (<c>IBatchMapper</c>) and what they save.
/// </summary>
public abstract class BatchedTransformerBase : ITransformer, IDisposable
{
    private readonly TransformerNetwork<IDisposable> network;

    private protected BatchedTransformerBase(IDisposable network, int batchSize)
    {
        Limits.CheckTransformBatchSize(batchSize, nameof(batchSize));
        this.network = new TransformerNetwork<IDisposable>(network, GetType().Name);
        BatchSize = batchSize;
    }

    /// <summary>Rows per network call when transforming or generating.</summary>
    public int BatchSize { get; }

    /// <summary>The network; throws <see cref="ObjectDisposedException"/> once released.</summary>
    private protected IDisposable NetworkObject => network.Value;

    /// <summary>The mapping the shared batched cursor and row mapper run (the derived transformer itself).</summary>
    private IBatchMapper Mapper => (IBatchMapper)this;

    /// <summary>Always true: rows are mapped independently.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema plus the added columns; throws naming a missing or unusable input column.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        _ = network.Value;
        return BatchedMapping.OutputSchema(inputSchema, Mapper);
    }

    /// <summary>A lazy view that streams <paramref name="input"/> through the network in batches of <see cref="BatchSize"/> rows.</summary>
    public IDataView Transform(IDataView input)
    {
        _ = network.Value;
        return new BatchedMappingDataView(input, Mapper);
    }

    /// <summary>
    /// Row-at-a-time mapping for <c>PredictionEngine</c>. The mapper holds a reference to the network, given back when the
    /// engine disposes this transformer, so engines can be created and disposed freely while the model stays usable.
    /// </summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        var mapper = new BatchedRowMapper(inputSchema, Mapper);
        network.Lease();
        return mapper;
    }

    /// <summary>Writes the model in ML.NET's format.</summary>
    private protected abstract void SaveModel(ModelSaveContext ctx);

    void ICanSaveModel.Save(ModelSaveContext ctx) => SaveModel(ctx);

    /// <summary>
    /// Gives back the creator's reference to the network. Its native memory is released once this transformer and every
    /// <c>PredictionEngine</c> created from it are disposed (an engine disposes the transformer it was made from, which gives
    /// back only that engine's reference); after that every use throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose() => network.Release();

    /// <summary>Builds a loaded transformer around <paramref name="network"/>, releasing the network if anything turns out corrupt.</summary>
    private protected static T LoadOwning<TNetwork, T>(TNetwork network, Func<TNetwork, T> build) where TNetwork : IDisposable
    {
        try
        {
            return build(network);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
