using Microsoft.ML;
using static TorchSharp.torch;

namespace GenModels.MLNet.Data;

/// <summary>The same mapping with another noise seed: what <c>Generate(…, seed)</c> streams through.</summary>
internal sealed class SeededBatchMapper(IBatchMapper inner, int seed) : IBatchMapper
{
    public int InputWidth => inner.InputWidth;
    public IReadOnlyList<DataViewSchema.Column> CheckInput(DataViewSchema schema) => inner.CheckInput(schema);
    public IRowInputReader CreateInputReader(DataViewRow row) => inner.CreateInputReader(row);
    public IReadOnlyList<NetworkOutputColumn> Outputs => inner.Outputs;
    public int BatchSize => inner.BatchSize;
    public void Map(Tensor input, Tensor?[] outputs, Generator noise) => inner.Map(input, outputs, noise);
    public int NoiseSeed => seed;
}
