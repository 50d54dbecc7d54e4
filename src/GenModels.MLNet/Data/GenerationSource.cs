using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Data;

/// <summary>
/// A lazy source of <c>rowCount</c> rows that only carries the requested class label (or no column at all for an
/// unconditional model); the generator's transformer maps it to generated rows.
/// </summary>
internal sealed class GenerationSource : IDataView
{
    private readonly long rowCount;
    private readonly ClassLabels? labels;
    private readonly int? fixedClass;

    public GenerationSource(long rowCount, ClassLabels? labels, int? fixedClass)
    {
        this.rowCount = rowCount;
        this.labels = labels;
        this.fixedClass = fixedClass;
        var builder = new DataViewSchema.Builder();
        if (labels is not null) builder.AddColumn(labels.ColumnName, labels.Type, labels.Annotations());
        Schema = builder.ToSchema();
    }

    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => rowCount;

    /// <summary>Class of row <paramref name="position"/>: the requested one, or all classes in turn.</summary>
    private int ClassOf(long position) => fixedClass ?? (int)(position % labels!.ClassNames.Count);

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    private sealed class Cursor(GenerationSource parent) : DataViewRowCursor
    {
        private long position = -1;
        public override DataViewSchema Schema => parent.Schema;
        public override long Position => position;
        public override long Batch => 0;
        public override bool MoveNext() => ++position < parent.rowCount;
        public override bool IsColumnActive(DataViewSchema.Column column) => true;
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var labels = parent.labels ?? throw new InvalidOperationException("An unconditional generation source has no columns.");
            return labels.Getter<TValue>(() => parent.ClassOf(position));
        }
    }
}
