using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Tabular;

/// <summary>
/// A lazy table of <c>rowCount</c> rows of a <see cref="TableEncoding"/>'s schema. A cursor asks its own batch source
/// (a generator's network with a seeded noise stream, or an array) for <c>batchSize</c> encoded rows at a time and
/// decodes only the active columns, so the network runs once per batch, never once per row.
/// </summary>
internal sealed class DecodedTableView : IDataView
{
    private readonly TableEncoding encoding;
    private readonly long rowCount;
    private readonly int batchSize;
    private readonly Func<ITableBatchSource> openSource;

    public DecodedTableView(TableEncoding encoding, long rowCount, int batchSize, Func<ITableBatchSource> openSource)
    {
        this.encoding = encoding;
        this.rowCount = rowCount;
        this.batchSize = batchSize;
        this.openSource = openSource;
    }

    public DataViewSchema Schema => encoding.Schema;
    public bool CanShuffle => false;
    public long? GetRowCount() => rowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this, columnsNeeded)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly DecodedTableView parent;
        private readonly bool[] active;
        private readonly DecodedColumn?[] columns;
        private readonly ITableBatchSource source;
        private float[] encoded = [];
        private long position = -1, batchStart;
        private int batchCount;
        private bool disposed;

        public Cursor(DecodedTableView parent, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            this.parent = parent;
            int count = parent.Schema.Count;
            active = new bool[count];
            foreach (var c in columnsNeeded) active[c.Index] = true;
            columns = parent.encoding.Columns.Select((c, i) => active[i] ? ColumnReaders.CreateDecoded(c) : null).ToArray();
            source = parent.openSource();
        }

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)position, 0);

        public override bool MoveNext()
        {
            if (disposed || position + 1 >= parent.rowCount)
            {
                position = parent.rowCount;
                return false;
            }
            position++;
            if (position >= batchStart + batchCount) NextBatch();
            return true;
        }

        private void NextBatch()
        {
            batchStart = position;
            batchCount = (int)Math.Min(parent.batchSize, parent.rowCount - position);
            int width = parent.encoding.Width;
            if (encoded.Length < batchCount * width) encoded = new float[batchCount * width];
            source.Fill(batchStart, batchCount, encoded);
            foreach (var c in columns) c?.Resize(batchCount);
            for (int r = 0; r < batchCount; r++)
            {
                var row = encoded.AsSpan(r * width, width);
                foreach (var c in columns) c?.Decode(row, r);
            }
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was opened.");
            return columns[column.Index]!.Getter<TValue>(() => (int)(position - batchStart), column.Name);
        }

        protected override void Dispose(bool disposing)
        {
            if (!disposed && disposing) source.Dispose();
            disposed = true;
            base.Dispose(disposing);
        }
    }
}
