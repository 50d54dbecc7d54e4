using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace GenModels.MLNet.Data;

/// <summary>
/// Row-at-a-time face of an <see cref="IBatchMapper"/> for <c>PredictionEngine</c>: each input row is a batch of one,
/// computed once per row position and only when a network column is read.
/// </summary>
internal sealed class BatchedRowMapper : IRowToRowMapper
{
    private readonly IBatchMapper mapper;
    private readonly HashSet<int> inputColumns;

    public BatchedRowMapper(DataViewSchema inputSchema, IBatchMapper mapper)
    {
        this.mapper = mapper;
        inputColumns = mapper.CheckInput(inputSchema).Select(c => c.Index).ToHashSet();
        InputSchema = inputSchema;
        OutputSchema = BatchedMapping.OutputSchema(inputSchema, mapper);
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var indices = dependingColumns.Select(c => c.Index).ToHashSet();
        bool anyOutput = indices.Any(i => i >= InputSchema.Count);
        return InputSchema.Where(c => indices.Contains(c.Index) || (anyOutput && inputColumns.Contains(c.Index))).ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new Row(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    private sealed class Row : DataViewRow
    {
        private readonly BatchedRowMapper parent;
        private readonly DataViewRow input;
        private readonly HashSet<int> active;
        private readonly IRowInputReader? inputReader;
        private readonly float[] inputBuffer;
        private readonly float[][] outputs;
        private long computedAt = -1;

        public Row(BatchedRowMapper parent, DataViewRow input, HashSet<int> active)
        {
            this.parent = parent;
            this.input = input;
            this.active = active;
            var mapper = parent.mapper;
            if (active.Any(i => i >= parent.InputSchema.Count))
                inputReader = mapper.CreateInputReader(input);
            inputBuffer = new float[mapper.InputWidth];
            outputs = mapper.Outputs.Select(o => new float[o.Width]).ToArray();
        }

        public override DataViewSchema Schema => parent.OutputSchema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = parent.InputSchema.Count;
            if (column.Index < inputCount) return input.GetGetter<TValue>(input.Schema[column.Index]);
            int o = column.Index - inputCount;
            return parent.mapper.Outputs[o].Getter<TValue>(() => { Compute(); return outputs[o]; }, () => 0);
        }

        private void Compute()
        {
            if (computedAt == input.Position && computedAt >= 0) return;
            int dimension = parent.mapper.InputWidth;
            inputReader!.Read(inputBuffer);
            using var scope = NewDisposeScope();
            using var noise = new Generator((ulong)parent.mapper.NoiseSeed);
            var x = TorchSharp.torch.from_array(inputBuffer).view(1, dimension);
            var targets = outputs.Select((buffer, i) => (Tensor?)TorchSharp.torch.from_array(buffer).view(1, parent.mapper.Outputs[i].Width)).ToArray();
            parent.mapper.Map(x, targets, noise);
            computedAt = input.Position;
        }
    }
}
