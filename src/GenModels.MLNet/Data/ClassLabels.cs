using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Data;

/// <summary>
/// The class labels of a conditional generator (GAN or diffusion model): the column's name, whether it held text or a key,
/// and the class names in index order. It converts between a label value and a class index in both directions.
/// </summary>
internal sealed class ClassLabels
{
    private readonly Dictionary<string, int> indexOf;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> indexOfSpan;

    public ClassLabels(string columnName, bool isKey, IReadOnlyList<string> classNames)
    {
        ColumnName = columnName;
        IsKey = isKey;
        ClassNames = classNames;
        indexOf = classNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        indexOfSpan = indexOf.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string ColumnName { get; }
    public bool IsKey { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public DataViewType Type => IsKey ? new KeyDataViewType(typeof(uint), ClassNames.Count) : TextDataViewType.Instance;

    /// <summary>Key columns carry their class names as key values, as MapValueToKey makes them.</summary>
    public DataViewSchema.Annotations? Annotations() => IsKey ? KeyValueAnnotations(ClassNames) : null;

    /// <summary>Annotations holding <paramref name="names"/> as a key column's text key values.</summary>
    public static DataViewSchema.Annotations KeyValueAnnotations(IReadOnlyList<string> names)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = (ref VBuffer<ReadOnlyMemory<char>> dst) =>
        {
            var editor = VBufferEditor.Create(ref dst, names.Count);
            for (int i = 0; i < names.Count; i++) editor.Values[i] = names[i].AsMemory();
            dst = editor.Commit();
        };
        builder.AddKeyValues(names.Count, TextDataViewType.Instance, getter);
        return builder.ToAnnotations();
    }

    /// <summary>The class index of <paramref name="label"/>, or an exception listing the known labels.</summary>
    public int IndexOf(string label) => indexOf.TryGetValue(label, out int i) ? i
        : throw new ArgumentException($"Unknown label '{label}' for column '{ColumnName}': the model was trained on {Describe()}.", "label");

    public string Describe() => string.Join(", ", ClassNames.Take(20).Select(n => $"'{n}'")) + (ClassNames.Count > 20 ? $" and {ClassNames.Count - 20} more" : "");

    /// <summary>A getter that writes the label of the class <paramref name="classIndex"/>() in this column's type.</summary>
    public ValueGetter<TValue> Getter<TValue>(Func<int> classIndex)
    {
        Delegate getter = IsKey
            ? (ValueGetter<uint>)((ref uint value) => value = (uint)classIndex() + 1)
            : (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = ClassNames[classIndex()].AsMemory());
        return getter as ValueGetter<TValue> ?? throw new InvalidOperationException($"Column '{ColumnName}' holds {Type.RawType.Name}, not {typeof(TValue).Name}.");
    }

    /// <summary>Checks that <paramref name="column"/> holds labels this model understands: text, or a key of the same count.</summary>
    public void CheckColumn(DataViewSchema.Column column, string paramName)
    {
        bool ok = column.Type is TextDataViewType || (column.Type is KeyDataViewType k && k.Count == (ulong)ClassNames.Count);
        if (!ok) throw Errors.SchemaMismatch(paramName, "label", column.Name, $"Text or Key<UInt32, 0-{ClassNames.Count - 1}>", Errors.Describe(column.Type));
    }

    /// <summary>Reads the class index of the current row of <paramref name="row"/>; throws naming the column for unknown or missing labels.</summary>
    public Func<int> CreateReader(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> value = default;
            // Looked up by span: no string per row.
            return () => { getter(ref value); return indexOfSpan.TryGetValue(value.Span, out int i) ? i : IndexOf(value.ToString()); };
        }
        var keyGetter = row.GetGetter<uint>(column);
        uint key = 0;
        return () =>
        {
            keyGetter(ref key);
            if (key == 0) throw new InvalidOperationException($"Column '{column.Name}' has a missing label at row {row.Position}.");
            return (int)key - 1;
        };
    }
}
