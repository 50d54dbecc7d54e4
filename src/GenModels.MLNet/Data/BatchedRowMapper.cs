using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace GenModels.MLNet.Data;

/// <summary>
/// Row-at-a-time face of an <see cref="IBatchMapper"/> for <c>PredictionEngine</c>: each input row is computed once per
/// row position and only when a network column is read, by the mapper's managed one-row form where it has one
/// (<see cref="IBatchMapper.CreateRowMap"/>), else as a libtorch batch of one.
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
        private readonly BatchBuffers? buffers;       // the libtorch path: a batch of one
        private readonly RowMap? rowMap;              // the managed path, where the mapper has one
        private readonly float[]? rowInput;
        private readonly float[]?[] results = [];
        private readonly Generator noise;
        private long computedAt = -1;
        private int computedBy, threadsInside, collisions;
        // Per thread: the position it last read here and which outputs it read there (bit o), so that a thread's next
        // column within one call is told apart from its next call.
        private readonly ThreadLocal<(long Position, ulong Read)> reads = new(() => (-1, ulong.MaxValue));

        public Row(BatchedRowMapper parent, DataViewRow input, HashSet<int> active)
        {
            this.parent = parent;
            this.input = input;
            this.active = active;
            var mapper = parent.mapper;
            int inputCount = parent.InputSchema.Count;
            var activeOutputs = mapper.Outputs.Select((_, i) => active.Contains(inputCount + i)).ToArray();
            if (activeOutputs.Any(a => a))
            {
                inputReader = mapper.CreateInputReader(input);
                rowMap = mapper.CreateRowMap(activeOutputs);
                if (rowMap is not null)
                {
                    rowInput = new float[mapper.InputWidth];
                    results = activeOutputs.Select((a, i) => a ? new float[mapper.Outputs[i].Width] : null).ToArray();
                }
                else
                {
                    buffers = new BatchBuffers(mapper, activeOutputs, 1, 1);
                    results = buffers.Results;
                }
            }
            noise = new Generator((ulong)mapper.NoiseSeed);
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
            if (o >= results.Length || results[o] is not { } result) throw new InvalidOperationException($"Column '{column.Name}' was not requested from this row.");
            var getter = parent.mapper.Outputs[o].Getter<TValue>(() => result, () => 0);
            return (ref TValue value) =>
            {
                // A PredictionEngine is not thread-safe (ML.NET's rule): threads sharing one would read each other's rows.
                // Overlapping calls, and a row computed by one thread being read by another, are refused instead of
                // answered with another request's values. Handing an engine from thread to thread between calls is fine.
                if (Interlocked.Increment(ref threadsInside) != 1)
                {
                    Interlocked.Increment(ref collisions);
                    Interlocked.Decrement(ref threadsInside);
                    throw ConcurrentUse();
                }
                try
                {
                    int collisionsBefore = Volatile.Read(ref collisions);
                    int thread = Environment.CurrentManagedThreadId;
                    long position = input.Position;
                    ulong bit = o < 64 ? 1UL << o : 0;
                    var (mine, read) = reads.Value;
                    if (position == mine) reads.Value = (mine, read | bit);
                    else if ((read & bit) != 0 || bit == 0) reads.Value = (position, bit); // this thread's next call
                    else
                    {
                        // This thread read other columns of its call at another position: its row was replaced mid-call.
                        reads.Value = (-1, ulong.MaxValue);
                        throw ConcurrentUse();
                    }
                    if (computedAt != position || position < 0)
                    {
                        // Each call sets one row and reads it. A row set after the last one computed here and never read
                        // means another call replaced this caller's row before it was read: refuse this position for
                        // everyone, and go on normally from the next.
                        if (computedAt >= 0 && position > computedAt + 1)
                        {
                            computedAt = position;
                            computedBy = -1;
                            throw ConcurrentUse();
                        }
                        try
                        {
                            if (rowMap is not null)
                            {
                                inputReader!.Read(rowInput);
                                rowMap(rowInput, results);
                            }
                            else
                            {
                                inputReader!.Read(buffers!.InputRow(0));
                                noise.manual_seed(parent.mapper.NoiseSeed); // every row starts from the same noise, as in a fresh pass
                                buffers.Run(1, noise);
                            }
                        }
                        catch
                        {
                            // A failed row (bad input here or upstream) still counts as read, so the next call is not taken for a replaced row.
                            computedAt = position;
                            computedBy = -1;
                            throw;
                        }
                        computedAt = position;
                        computedBy = thread;
                    }
                    else if (computedBy != thread) throw ConcurrentUse();
                    getter(ref value);
                    if (input.Position != position || Volatile.Read(ref collisions) != collisionsBefore)
                    {
                        computedBy = -1; // this position is refused for everyone; the next row set is computed afresh
                        throw ConcurrentUse();
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref threadsInside);
                }
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                buffers?.Dispose();
                noise.Dispose();
                reads.Dispose();
            }
            base.Dispose(disposing);
        }

        private static InvalidOperationException ConcurrentUse() => new(
            "This prediction engine was used by several threads at once. A PredictionEngine is not thread-safe: create one per " +
            "thread or per request (the model itself can be shared), or guard the engine with a lock.");
    }
}
