using GenModels.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace GenModels.MLNet.AnomalyDetection;

/// <summary>Reads the optional label column of the anomaly trainers as one flag per row (1 = known anomaly, 0 = not marked).</summary>
internal static class KnownAnomalyLabels
{
    /// <summary>
    /// The label column as an extra training column: Boolean true or Single &gt; 0 marks a known anomaly (NaN does not);
    /// any other type is rejected naming the column.
    /// </summary>
    public static TrainingData.ExtraColumns Column(DataViewSchema schema, string columnName)
    {
        var column = schema.GetColumnOrNull(columnName) ?? throw Errors.MissingColumn("input", "label", columnName);
        return column.Type switch
        {
            BooleanDataViewType => new([column], 1, row =>
            {
                var getter = row.GetGetter<bool>(column);
                bool value = false;
                return (_, dst) => { getter(ref value); dst[0] = value ? 1 : 0; };
            }),
            NumberDataViewType n when n == NumberDataViewType.Single => new([column], 1, row =>
            {
                var getter = row.GetGetter<float>(column);
                float value = 0;
                return (_, dst) => { getter(ref value); dst[0] = value > 0 ? 1 : 0; };
            }),
            _ => throw Errors.SchemaMismatch("input", "label", columnName, "Boolean or Single", Errors.Describe(column.Type)),
        };
    }

    /// <summary>
    /// Splits training rows read with <see cref="Column"/> (features, then the flag) into the unmarked rows and the marked
    /// ones (null when none is marked), both without the flag.
    /// </summary>
    public static SplitRows Split(Tensor rows, int dimension)
    {
        using var marked = rows.select(1, dimension).gt(0);
        using var markedIndex = marked.nonzero().squeeze(1);
        using var normalIndex = marked.logical_not().nonzero().squeeze(1);
        using var features = rows.narrow(1, 0, dimension);
        return new SplitRows(features.index_select(0, normalIndex), markedIndex.shape[0] == 0 ? null : features.index_select(0, markedIndex));
    }

    /// <summary>The unmarked rows and the known anomalies (null when none is marked).</summary>
    public sealed record SplitRows(Tensor Normal, Tensor? Anomalies) : IDisposable
    {
        public void Dispose()
        {
            Normal.Dispose();
            Anomalies?.Dispose();
        }
    }
}
