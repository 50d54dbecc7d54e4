using GenModels.MLNet.Persistence;
using GenModels.MLNet.Tabular;
using GenModels.Torch.Serialization;
using GenModels.Torch.Tabular;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(TabularSynthesizerTransformer), null, typeof(SignatureLoadModel), "Tabular Synthesizer Transformer", TabularSynthesizerTransformer.LoaderSignature)]

namespace GenModels.MLNet.Tabular;

/// <summary>
/// A trained tabular synthesizer inside ML.NET. <see cref="Generate"/> is a lazy, batched data source of synthetic rows
/// with the training table's column names, types and key values. As a transform it replaces its input by as many
/// synthetic rows as the input has. Saved and loaded with <c>mlContext.Model.Save/Load</c>.
/// </summary>
public sealed class TabularSynthesizerTransformer : ITransformer, IDisposable
{
    internal const string LoaderSignature = "GenModelsTabularSynth"; // ML.NET allows at most 23 characters
    private const string VaeKind = "TabularVae", CtganKind = "Ctgan";
    /// <summary>Format 3: the encoding carries each numeric column's encoding and modes, and the header names the model.</summary>
    private const uint Version3 = 0x00010003;
    /// <summary>
    /// Format 4: a TVAE network's options may name the blocks it draws at a temperature
    /// (<see cref="TabularVaeOptions.SharpenedBlocks"/>, <see cref="TabularVaeOptions.CategoryTemperature"/>); the layout
    /// is format 3's, and older models read with none (every block drawn as it is).
    /// A format-3 reader would ignore the setting and generate other rows, so it must refuse these models.
    /// </summary>
    private const uint Version4 = 0x00010004;
    private static readonly ModelFormat SavedFormat = new("GMTABVAE", LoaderSignature, typeof(TabularSynthesizerTransformer)) { Current = Version4 };

    private readonly TransformerNetwork<ITabularGenerator> network;

    internal TabularSynthesizerTransformer(ITabularGenerator model, TableEncoding encoding, string? conditionColumnName, int batchSize, TrainingResult? training)
    {
        Limits.CheckTransformBatchSize(batchSize, nameof(batchSize));
        network = new TransformerNetwork<ITabularGenerator>(model, nameof(TabularSynthesizerTransformer));
        Model = model is Ctgan ? TabularModel.Ctgan : TabularModel.Tvae;
        Encoding = encoding;
        ConditionColumnName = conditionColumnName;
        BatchSize = batchSize;
        Training = training;
    }

    /// <summary>How the table's columns are encoded for the network, and the schema of generated rows (<see cref="TableEncoding.Schema"/>).</summary>
    public TableEncoding Encoding { get; }
    /// <summary>The network behind the synthesizer.</summary>
    public TabularModel Model { get; }
    /// <summary>The column the model is conditioned on, or null.</summary>
    public string? ConditionColumnName { get; }
    /// <summary>Rows per network call when generating.</summary>
    public int BatchSize { get; }
    /// <summary>Loss history of the training run; null for a loaded model.</summary>
    public TrainingResult? Training { get; }
    /// <summary>The values <see cref="Generate"/> can be conditioned on (empty when unconditional).</summary>
    public IReadOnlyList<string> ConditionValues => ConditionColumnName is null ? [] : Encoding[ConditionColumnName].Categories;

    /// <summary>Always false: generated rows do not come from input rows one by one.</summary>
    public bool IsRowToRowMapper => false;

    /// <summary>
    /// A lazy data source of <paramref name="rowCount"/> synthetic rows with the training table's schema, generated in
    /// batches of <see cref="BatchSize"/> while it is read; the same <paramref name="seed"/> gives the same rows. With
    /// <paramref name="conditionValue"/> (a model trained with a condition column only) every row has that value in the
    /// condition column and the other columns follow it; otherwise the condition's values are drawn with their training shares.
    /// </summary>
    public IDataView Generate(long rowCount, int seed = 0, string? conditionValue = null)
    {
        var model = network.Value;
        if (rowCount < 0) throw new ArgumentOutOfRangeException(nameof(rowCount), rowCount, "The row count must be ≥ 0.");
        int? condition = null;
        if (conditionValue is not null)
        {
            if (ConditionColumnName is null)
                throw new ArgumentException("This synthesizer is unconditional: it was trained without ConditionColumnName, so it cannot generate a given value.", nameof(conditionValue));
            condition = Encoding[ConditionColumnName].CategoryIndex(conditionValue);
        }
        return new DecodedTableView(Encoding, rowCount, BatchSize, () => new NetworkSource(model, seed, condition));
    }

    /// <summary>The training table's schema (the columns learned): what <see cref="Transform"/> and <see cref="Generate"/> give.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Encoding.Schema;

    /// <summary>As many synthetic rows as <paramref name="input"/> has (counted when unknown), generated with seed 0.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        long rows = input.GetRowCount() ?? CountRows(input);
        return Generate(rows);
    }

    /// <summary>Not supported: a synthesizer is a data source, not a row-to-row mapping.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException("A tabular synthesizer generates rows; it cannot map input rows one by one (use Generate).");

    /// <summary>Releases the network; every later use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => network.Release();

    private static long CountRows(IDataView input)
    {
        long n = 0;
        using var cursor = input.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }

    /// <summary>The network with its own noise stream: one per cursor, so each read of a generated view gives the same rows.</summary>
    private sealed class NetworkSource(ITabularGenerator model, int seed, int? condition) : ITableBatchSource
    {
        private readonly Generator noise = new((ulong)seed);

        public void Fill(long start, int count, float[] destination)
        {
            using var threads = GenModels.Torch.TorchThreads.Use();
            using var scope = NewDisposeScope();
            var classes = condition is { } c ? full(count, c, dtype: ScalarType.Int64) : null;
            var rows = model.Sample(count, classes, noise);
            rows.data<float>().CopyTo(destination);
        }

        public void Dispose() => noise.Dispose();
    }

    // Format 4: format 3's layout; the TVAE network options may hold SharpenedBlocks and CategoryTemperature (absent before: every block drawn at 1).
    // Format 3 (ModelPersistence): header = the encoding with modes (TableEncoding.Write); string conditionColumn ("" = none);
    // int batchSize; string networkKind ("TabularVae" or "Ctgan"); then the network (ModelSerializer, that kind).
    // Format 2 (TVAE only): the encoding without modes, conditionColumn, batchSize; the network of kind "TabularVae".
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        var model = network.Value;
        string kind = model is Ctgan ? CtganKind : VaeKind;
        using var stream = new MemoryStream();
        if (model is Ctgan gan) ModelSerializer.Save(stream, kind, gan.Options, gan);
        else
        {
            var vae = (TabularVae)model;
            ModelSerializer.Save(stream, kind, vae.Options, vae);
        }
        ModelPersistence.Save(ctx, SavedFormat, w =>
        {
            Encoding.Write(w, withModes: true);
            w.Write(ConditionColumnName ?? "");
            w.Write(BatchSize);
            w.Write(kind);
        }, stream.ToArray());
    }

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static TabularSynthesizerTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, SavedFormat, (r, bytes, format) =>
        {
            if (format < ModelFormat.Version2) throw new InvalidDataException("The saved tabular synthesizer is corrupt: it has no format-2 header.");
            var encoding = TableEncoding.Read(r, withModes: format >= Version3);
            string condition = r.ReadString();
            int batchSize = ModelPersistence.ReadCount(r, "the generation batch size", 1, Limits.MaxTransformBatchSize);
            string kind = format >= Version3 ? r.ReadString() : VaeKind;
            ITabularGenerator model = kind switch
            {
                VaeKind => ModelSerializer.Load<TabularVaeOptions, TabularVae>(new MemoryStream(bytes), VaeKind, o => new TabularVae(o)),
                CtganKind => ModelSerializer.Load<CtganOptions, Ctgan>(new MemoryStream(bytes), CtganKind, o => new Ctgan(o)),
                _ => throw new InvalidDataException($"The saved tabular synthesizer is corrupt: unknown network kind '{kind}'."),
            };
            try
            {
                int width = model.Blocks.Sum(b => b.Length);
                if (width != encoding.Width)
                    throw new InvalidDataException($"The saved model is corrupt: its network generates {width} values but its encoding has {encoding.Width}.");
                if (condition.Length > 0 && encoding.Columns.All(c => c.Name != condition))
                    throw new InvalidDataException($"The saved model is corrupt: its condition column '{condition}' is not one of its columns.");
                return new TabularSynthesizerTransformer(model, encoding, condition.Length == 0 ? null : condition, batchSize, null);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        });
}
