using GenModels.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace GenModels.MLNet.Data;

/// <summary>
/// The one batched cursor of the library. It reads a batch of rows from a single upstream cursor (caching the active
/// pass-through columns), runs the network once on the batch through reused, pinned buffers, then serves rows from the
/// results. When no network column is requested it is a pure pass-through.
/// </summary>
internal sealed partial class BatchedMappingDataView : IDataView
{
    private readonly IDataView source;
    private readonly IBatchMapper mapper;
    private readonly HashSet<int> inputColumns;

    public BatchedMappingDataView(IDataView source, IBatchMapper mapper)
    {
        this.source = source;
        this.mapper = mapper;
        inputColumns = mapper.CheckInput(source.Schema).Select(c => c.Index).ToHashSet();
        Schema = BatchedMapping.OutputSchema(source.Schema, mapper);
    }

    public DataViewSchema Schema { get; }
    public bool CanShuffle => source.CanShuffle;
    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int inputCount = source.Schema.Count;
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        var activeOutputs = mapper.Outputs.Select((_, i) => needed.Contains(inputCount + i)).ToArray();
        bool anyOutput = activeOutputs.Any(a => a);
        var upstreamColumns = source.Schema.Where(c => needed.Contains(c.Index) || (anyOutput && inputColumns.Contains(c.Index)));
        var upstream = source.GetRowCursor(upstreamColumns, rand);
        if (!anyOutput) return new PassThroughCursor(this, upstream);
        return new Cursor(this, upstream, needed, activeOutputs);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>No network column requested: every call goes straight to the upstream cursor.</summary>
    private sealed class PassThroughCursor(BatchedMappingDataView parent, DataViewRowCursor upstream) : DataViewRowCursor
    {
        public override DataViewSchema Schema => parent.Schema;
        public override long Position => upstream.Position;
        public override long Batch => upstream.Batch;
        public override bool MoveNext() => upstream.MoveNext();
        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < parent.source.Schema.Count && upstream.IsColumnActive(parent.source.Schema[column.Index]);
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            upstream.GetGetter<TValue>(parent.source.Schema[column.Index]);
        public override ValueGetter<DataViewRowId> GetIdGetter() => upstream.GetIdGetter();
        protected override void Dispose(bool disposing)
        {
            if (disposing) upstream.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class Cursor : DataViewRowCursor
    {
        // Rows allocated for at first when the row count is unknown; buffers grow with what is read, up to the batch size.
        private const int InitialRows = 64;
        private readonly BatchedMappingDataView parent;
        private readonly DataViewRowCursor upstream;
        private readonly int batchSize, inputCount;
        private readonly IRowInputReader inputReader;
        private readonly Dictionary<int, ColumnCache> caches = new();
        private readonly ValueGetter<DataViewRowId> upstreamId;
        private DataViewRowId[] ids;
        private readonly BatchBuffers buffers;
        private readonly Generator noise;
        private int rowsInBatch, indexInBatch = -1;
        private long position = -1;

        public Cursor(BatchedMappingDataView parent, DataViewRowCursor upstream, HashSet<int> needed, bool[] activeOutputs)
        {
            this.parent = parent;
            this.upstream = upstream;
            var mapper = parent.mapper;
            batchSize = mapper.BatchSize;
            inputCount = parent.source.Schema.Count;
            long? rows = parent.source.GetRowCount();
            int initialRows = (int)Math.Min(batchSize, rows is { } known ? Math.Max(known, 1) : InitialRows);
            inputReader = mapper.CreateInputReader(upstream);
            foreach (var column in parent.source.Schema.Where(c => needed.Contains(c.Index)))
                caches[column.Index] = ColumnCache.Create(upstream, column, initialRows);
            upstreamId = upstream.GetIdGetter();
            noise = new Generator((ulong)mapper.NoiseSeed);
            ids = new DataViewRowId[initialRows];
            buffers = new BatchBuffers(mapper, activeOutputs, initialRows, batchSize);
        }

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => position;
        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (++indexInBatch >= rowsInBatch)
            {
                if (!FillBatch()) return false;
                indexInBatch = 0;
            }
            position++;
            return true;
        }

        private bool FillBatch()
        {
            int n = 0, width = parent.mapper.InputWidth;
            var inputs = buffers.InputRows(); // taken once per batch (and again when the buffers grow): a span costs native calls
            while (n < batchSize && upstream.MoveNext())
            {
                if (n == buffers.Capacity)
                {
                    buffers.EnsureCapacity(n + 1);
                    inputs = buffers.InputRows();
                }
                if (n == ids.Length) Array.Resize(ref ids, buffers.Capacity);
                inputReader.Read(inputs.Slice(n * width, width));
                foreach (var cache in caches.Values) cache.Store(n);
                upstreamId(ref ids[n]);
                n++;
            }
            rowsInBatch = n;
            if (n == 0) return false;
            buffers.Run(n, noise);
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < inputCount ? caches.ContainsKey(column.Index) : buffers.Results[column.Index - inputCount] is not null;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < inputCount)
            {
                if (!caches.TryGetValue(column.Index, out var cache))
                    throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
                return cache.GetGetter<TValue>(() => indexInBatch);
            }
            int output = column.Index - inputCount;
            if (buffers.Results[output] is null) throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
            return parent.mapper.Outputs[output].Getter<TValue>(() => buffers.Results[output]!, () => indexInBatch);
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = ids[indexInBatch];

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                upstream.Dispose();
                buffers.Dispose();
                noise.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

/// <summary>Holds one pass-through column's values for the rows of a batch.</summary>
internal abstract class ColumnCache
{
    public abstract void Store(int slot);
    public abstract ValueGetter<TValue> GetGetter<TValue>(Func<int> slot);

    /// <summary>A cache for <paramref name="column"/> with room for <paramref name="capacity"/> rows at first; it grows as rows are stored.</summary>
    public static ColumnCache Create(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        var type = column.Type is VectorDataViewType v
            ? typeof(VectorColumnCache<>).MakeGenericType(v.ItemType.RawType)
            : typeof(ScalarColumnCache<>).MakeGenericType(column.Type.RawType);
        return (ColumnCache)Activator.CreateInstance(type, row, column, capacity)!;
    }
}

internal sealed class ScalarColumnCache<T>(DataViewRow row, DataViewSchema.Column column, int capacity) : ColumnCache
{
    private readonly ValueGetter<T> getter = row.GetGetter<T>(column);
    private T[] values = new T[capacity];
    public override void Store(int slot)
    {
        if (slot >= values.Length) Array.Resize(ref values, Math.Max(slot + 1, 2 * values.Length));
        getter(ref values[slot]);
    }
    public override ValueGetter<TValue> GetGetter<TValue>(Func<int> slot)
    {
        ValueGetter<T> g = (ref T value) => value = values[slot()];
        return (ValueGetter<TValue>)(Delegate)g;
    }
}

internal sealed class VectorColumnCache<T>(DataViewRow row, DataViewSchema.Column column, int capacity) : ColumnCache
{
    private readonly ValueGetter<VBuffer<T>> getter = row.GetGetter<VBuffer<T>>(column);
    private VBuffer<T>[] values = new VBuffer<T>[capacity];
    private VBuffer<T> scratch;
    // Upstream getters may hand out their own buffers, so each row is copied into storage that this cache owns.
    public override void Store(int slot)
    {
        if (slot >= values.Length) Array.Resize(ref values, Math.Max(slot + 1, 2 * values.Length));
        getter(ref scratch);
        scratch.CopyTo(ref values[slot]);
    }
    public override ValueGetter<TValue> GetGetter<TValue>(Func<int> slot)
    {
        ValueGetter<VBuffer<T>> g = (ref VBuffer<T> value) => values[slot()].CopyTo(ref value);
        return (ValueGetter<TValue>)(Delegate)g;
    }
}
