using GenModels.MLNet.Persistence;
using GenModels.Torch.Tabular;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet.Tabular;

/// <summary>
/// Trains a tabular synthesizer (TVAE, Xu et al. 2019) on the columns of a table — numbers, Booleans, text and keys, with
/// missing values — and produces a <see cref="TabularSynthesizerTransformer"/> whose
/// <see cref="TabularSynthesizerTransformer.Generate"/> is a lazy data source of synthetic rows with the table's own
/// schema. Created by <c>mlContext.Generative().TabularSynthesizer(...)</c>.
/// </summary>
public sealed class TabularSynthesizerEstimator : IEstimator<TabularSynthesizerTransformer>
{
    /// <summary>Options of <see cref="TabularSynthesizerEstimator"/>.</summary>
    public sealed class Options : TrainingRunOptions
    {
        // The network defaults live in GenModels.Torch's TabularVaeOptions; these fields start from them.
        private static readonly TabularVaeOptions Model = new();

        /// <summary>
        /// Creates options with the synthesizer's defaults: learning rate 1e-3 and, while <see cref="TrainingRunOptions.Epochs"/>
        /// is unset, enough epochs for about 3,000 optimiser steps (<see cref="TrainingBudget.TabularTargetSteps"/>).
        /// </summary>
        public Options() => TargetSteps = TrainingBudget.TabularTargetSteps;

        /// <summary>The columns to learn and generate. Null (the default): every visible column of the training data.</summary>
        public string[]? ColumnNames;
        /// <summary>
        /// If set, a Boolean, text or key column among <see cref="ColumnNames"/> that the model is conditioned on (a
        /// conditional VAE), so that <see cref="TabularSynthesizerTransformer.Generate"/> can ask for one of its values.
        /// </summary>
        public string? ConditionColumnName;
        /// <summary>Most distinct values of a Boolean, text or key column; more fails at <c>Fit</c> naming the column.</summary>
        public int MaxCategories = TableEncoding.Defaults.MaxCategories;
        /// <summary>Hidden widths of the encoder; the decoder mirrors them.</summary>
        public int[] HiddenSizes = Model.HiddenSizes.ToArray();
        /// <summary>Length of the code.</summary>
        public int LatentDimension = Model.LatentDimension;
        /// <summary>Weight of the reconstruction terms against the KL term (TVAE's loss factor).</summary>
        public double LossFactor = Model.LossFactor;

        internal override string TrainingColumnName => ConditionColumnName ?? "";
        private protected override IEnumerable<string?> OutputNames() => [];
        private protected override void CopyArrays()
        {
            HiddenSizes = HiddenSizes?.ToArray()!;
            ColumnNames = ColumnNames?.ToArray();
        }

        internal override void Validate()
        {
            if (ColumnNames is not null)
            {
                if (ColumnNames.Length == 0) throw new ArgumentException("At least one column is needed (null means every column).", nameof(ColumnNames));
                foreach (var name in ColumnNames) CheckName(name, nameof(ColumnNames));
                if (ConditionColumnName is not null && !ColumnNames.Contains(ConditionColumnName))
                    throw new ArgumentException($"The condition column '{ConditionColumnName}' must be one of the columns learned.", nameof(ConditionColumnName));
            }
            if (ConditionColumnName is not null) CheckName(ConditionColumnName, nameof(ConditionColumnName));
            if (MaxCategories < 1) throw new ArgumentOutOfRangeException(nameof(MaxCategories), MaxCategories, "At least one category must be allowed.");
            ToNetworkOptions([new TabularBlock(0, 1, false)], null, []).Validate();
            base.Validate();
        }

        internal TabularVaeOptions ToNetworkOptions(IReadOnlyList<TabularBlock> blocks, int? conditionBlock, double[] conditionFrequencies) => new()
        {
            DataDimension = blocks.Sum(b => b.Length), Blocks = blocks.ToArray(), ConditionBlock = conditionBlock, ConditionFrequencies = conditionFrequencies,
            HiddenSizes = HiddenSizes?.ToArray()!, LatentDimension = LatentDimension, LossFactor = LossFactor,
        };
    }

    private readonly IHostEnvironment env;
    private readonly Options options;

    internal TabularSynthesizerEstimator(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.env = env;
        this.options = options.Snapshot(); // later changes to the caller's object do not change what Fit trains
        this.options.Validate();
    }

    /// <summary>
    /// Checks that the columns to learn exist as scalar numbers, Booleans, text or keys (and the condition column is not a
    /// number); the output is those columns, as generated rows carry them.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var selected = options.ColumnNames?.Select(n => inputSchema.TryFindColumn(n, out var c) ? c : throw Errors.MissingColumn(nameof(inputSchema), "table", n)).ToArray()
            ?? inputSchema.ToArray();
        foreach (var c in selected)
        {
            bool supported = c.Kind == SchemaShape.Column.VectorKind.Scalar && (c.IsKey || TableEncoding.IsSupported(c.ItemType));
            if (!supported)
                throw Errors.SchemaMismatch(nameof(inputSchema), "table", c.Name,
                    "a scalar number (Single, Double, an integer), Boolean, Text or Key (drop other columns with mlContext.Transforms.DropColumns)", SchemaShapes.Describe(c));
        }
        if (options.ConditionColumnName is { } condition)
        {
            var c = selected.FirstOrDefault(s => s.Name == condition);
            if (c.Name is null) throw Errors.MissingColumn(nameof(inputSchema), "condition", condition);
            if (!c.IsKey && c.ItemType is NumberDataViewType)
                throw Errors.SchemaMismatch(nameof(inputSchema), "condition", condition, "Boolean, Text or Key", SchemaShapes.Describe(c));
        }
        return new SchemaShape(selected);
    }

    /// <summary>Learns the table's encoding from <paramref name="input"/>, then trains the synthesizer on every row.</summary>
    public TabularSynthesizerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        const string component = "TabularSynthesizer";
        var encoding = TableEncoding.Fit(input, options.ColumnNames, options.MaxCategories, options.CancellationToken);
        int? conditionBlock = null;
        if (options.ConditionColumnName is { } condition)
        {
            var column = encoding[condition];
            if (column.Kind != TableColumnKind.Categorical)
                throw Errors.SchemaMismatch(nameof(input), "condition", condition, "Boolean, Text or Key", Errors.Describe(column.Type));
            conditionBlock = encoding.Blocks.Select((b, i) => (b, i)).First(p => p.b.Start == column.Start).i;
        }
        GenModels.Torch.TorchRuntime.EnsureLoaded(); // the first torch use of a Fit: a clear message if libtorch cannot load
        int seed = options.Seed ?? MLNetInternals.SeedFrom(env, component);
        var values = encoding.Encode(input, options.CancellationToken);
        int rows = values.Length / encoding.Width;
        // from_array wraps the managed array without copying; clone so the tensor owns its memory.
        using var view = TorchSharp.torch.from_array(values).view(rows, encoding.Width);
        using var data = view.clone();
        double[] frequencies = [];
        if (conditionBlock is { } b)
        {
            var block = encoding.Blocks[b];
            using var sums = data.narrow(1, block.Start, block.Length).sum(dim: 0L);
            frequencies = sums.data<float>().Select(s => (double)s / rows).ToArray();
        }
        var network = options.ToNetworkOptions(encoding.Blocks, conditionBlock, frequencies);
        var (model, result) = EstimatorFitting.Train(env, component, options, seed, rows,
            training => TabularVaeTraining.Fit(data, network, training),
            $"{encoding.Columns.Count} columns encoded as {encoding.Width} values, hidden [{string.Join(", ", network.HiddenSizes)}], code {network.LatentDimension}");
        return new TabularSynthesizerTransformer(model, encoding, options.ConditionColumnName, options.TransformBatchSize, result);
    }
}
