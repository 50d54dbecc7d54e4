using GenModels.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Data;

/// <summary>Reads the label column alongside the features, numbering classes as they appear (text) or by key.</summary>
internal sealed class ClassCollector
{
    private readonly DataViewSchema.Column column;
    private readonly List<string> names = [];
    private readonly Dictionary<string, int> textIndex = new(StringComparer.Ordinal);
    private readonly HashSet<int> seen = [];
    private readonly bool isKey;

    public ClassCollector(DataViewSchema schema, string columnName)
    {
        column = schema.GetColumnOrNull(columnName) ?? throw Errors.MissingColumn("input", "label", columnName);
        isKey = column.Type is KeyDataViewType;
        if (!isKey && column.Type is not TextDataViewType)
            throw Errors.SchemaMismatch("input", "label", columnName, "Text or Key", Errors.Describe(column.Type));
        if (column.Type is KeyDataViewType key)
        {
            if (key.Count > 100_000) throw Errors.SchemaMismatch("input", "label", columnName, "a key with at most 100,000 values", Errors.Describe(key));
            names.AddRange(KeyNames(column, (int)key.Count));
        }
    }

    public TrainingData.ExtraColumns AsExtraColumn() => new([column], 1, row =>
    {
        if (isKey)
        {
            var getter = row.GetGetter<uint>(column);
            uint key = 0;
            return (r, dst) =>
            {
                getter(ref key);
                if (key == 0) throw new InvalidOperationException($"Column '{column.Name}' has a missing label at row {r}; a conditional model needs a class for every row.");
                seen.Add((int)key - 1);
                dst[0] = key - 1;
            };
        }
        var text = row.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        return (r, dst) =>
        {
            text(ref value);
            if (value.IsEmpty) throw new InvalidOperationException($"Column '{column.Name}' has a missing (empty) label at row {r}; a conditional model needs a class for every row.");
            var name = value.ToString();
            if (!textIndex.TryGetValue(name, out int index)) { index = names.Count; names.Add(name); textIndex[name] = index; }
            seen.Add(index);
            dst[0] = index;
        };
    });

    /// <summary>
    /// Checks that at least two classes occur and returns the labels. Text classes are numbered in ordinal order of their
    /// names, whatever the row order, so the class column of <paramref name="rows"/> is renumbered from appearance order.
    /// </summary>
    public ClassLabels Finish(TorchSharp.torch.Tensor rows, int dimension)
    {
        if (seen.Count < 2)
            throw new InvalidOperationException(
                $"Column '{column.Name}' holds a single class ({string.Join(", ", seen.Select(i => $"'{names[i]}'"))}): a conditional model needs at least two. " +
                "Leave LabelColumnName unset to train an unconditional model.");
        if (isKey) return new ClassLabels(column.Name, true, names);
        var sorted = names.Order(StringComparer.Ordinal).ToArray();
        var newIndex = names.Select(n => (float)Array.IndexOf(sorted, n)).ToArray();
        using (var map = TorchSharp.torch.tensor(newIndex))
        using (var classColumn = rows.narrow(1, dimension, 1))
        using (var renumbered = map.index_select(0, classColumn.squeeze(1).to_type(TorchSharp.torch.ScalarType.Int64)).unsqueeze(1))
            classColumn.copy_(renumbered);
        return new ClassLabels(column.Name, false, sorted);
    }

    private static IEnumerable<string> KeyNames(DataViewSchema.Column column, int count)
    {
        if (column.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues) is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            column.GetKeyValues(ref values);
            var list = values.DenseValues().Select(v => v.ToString()).ToArray();
            if (list.Length == count && list.Distinct().Count() == count) return list;
        }
        return Enumerable.Range(1, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
