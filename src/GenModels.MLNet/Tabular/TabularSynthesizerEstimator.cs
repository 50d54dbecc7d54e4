using GenModels.MLNet.Persistence;
using GenModels.Torch.Tabular;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet.Tabular;

/// <summary>The network behind a tabular synthesizer (both from Xu et al. 2019).</summary>
public enum TabularModel
{
    /// <summary>TVAE: a VAE over the encoded row (<see cref="GenModels.Torch.Tabular.TabularVae"/>).</summary>
    Tvae,
    /// <summary>
    /// CTGAN: a conditional Wasserstein GAN with gradient penalty, packed discriminator and training-by-sampling
    /// (<see cref="GenModels.Torch.Tabular.Ctgan"/>).
    /// </summary>
    Ctgan,
}

/// <summary>
/// Trains a tabular synthesizer (TVAE or CTGAN, Xu et al. 2019) on the columns of a table — numbers, Booleans, text and keys, with
/// missing values — and produces a <see cref="TabularSynthesizerTransformer"/> whose
/// <see cref="TabularSynthesizerTransformer.Generate"/> is a lazy data source of synthetic rows with the table's own
/// schema. Created by <c>mlContext.Generative().TabularSynthesizer(...)</c>.
/// </summary>
public sealed class TabularSynthesizerEstimator : GenerativeEstimatorBase<TabularSynthesizerEstimator.Options, TabularSynthesizerTransformer>
{
    /// <summary>Options of <see cref="TabularSynthesizerEstimator"/>.</summary>
    public sealed class Options : TrainingRunOptions
    {
        // The network defaults live in GenModels.Torch's TabularVaeOptions and CtganOptions; these fields start from them.
        private static readonly TabularVaeOptions Vae = new();
        private static readonly CtganOptions Gan = new();

        /// <summary>Default values of the options that are not the networks' own.</summary>
        public static new class Defaults
        {
            /// <summary>
            /// The network: TVAE. On the tabular-synthesis benchmark it beat CTGAN on all five tables in pair trends and
            /// machine-learning efficacy, both with CTGAN at its paper's 300 epochs and at 1,000 to 3,000 steps, where
            /// CTGAN trained 6 to 56 times longer (Soybean accuracy 0.942 against 0.241; real rows 0.942).
            /// </summary>
            public const TabularModel Model = TabularModel.Tvae;
            /// <summary>
            /// TVAE draws Boolean, text and key columns at temperature 0.5: each category's probability squared and
            /// renormalised, so the likely categories given the code come out more often and a column the others do not
            /// explain keeps its shares (the modes and missing flags of numbers are drawn as they are, so missing numbers
            /// come in their share). On Soybean (35 categorical predictors, 19 classes) a model trained on rows with drawn
            /// categories (temperature 1) was 5.8 and 11.6 accuracy points below the real-trained one on two splits
            /// (seeds 1 and 2) at 3,000 steps; at temperature 0.5 it was 2.2 and 8.0 points below, the most likely
            /// categories (temperature 0) 3.0 and 8.0. The most likely categories also collapse a column that varies on its
            /// own onto its commonest value (the example's Region: shape 0.444).
            /// </summary>
            public const double CategoryTemperature = 0.5;
            /// <summary>CTGAN's Adam learning rate for both networks (2e-4, as published).</summary>
            public const double CtganLearningRate = 2e-4;
            /// <summary>CTGAN's batch (500 rows, fewer on a smaller table; rounded up to whole packs) when <see cref="TrainingRunOptions.BatchSize"/> is unset.</summary>
            public const int CtganBatchSize = 500;
        }

        /// <summary>
        /// Creates options with the synthesizer's defaults: learning rate 1e-3 and, while <see cref="TrainingRunOptions.Epochs"/>
        /// is unset, enough epochs for about 3,000 optimiser steps (<see cref="TrainingBudget.TabularTargetSteps"/>). While
        /// <see cref="TrainingRunOptions.TargetSteps"/> keeps that default, a table encoded as more than 75 values aims at 40
        /// steps per value instead (<see cref="TrainingBudget.TabularSteps"/>: 6,080 for Soybean's 152).
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
        /// <summary>The network: <see cref="TabularModel.Tvae"/> (the default) or <see cref="TabularModel.Ctgan"/>.</summary>
        public TabularModel Model = Defaults.Model;
        /// <summary>
        /// How numeric columns are encoded. Null (the default) picks by model (see <see cref="ResolvedNumericEncoding"/>):
        /// <see cref="Tabular.NumericEncoding.Standardized"/> for TVAE, <see cref="Tabular.NumericEncoding.ModeSpecific"/> for CTGAN.
        /// </summary>
        public NumericEncoding? NumericEncoding;
        /// <summary>Most Gaussian modes per numeric column under mode-specific normalisation.</summary>
        public int MaxModes = TableEncoding.Defaults.MaxModes;
        /// <summary>
        /// TVAE: temperature at which generated Boolean, text and key columns are drawn from the decoder's softmax: 1 draws
        /// as modelled, below 1 favours the categories that are likely given the code (0.5, the default), 0 takes the most
        /// likely one (TVAE's argmax decoding). Numbers' modes and missing flags are always drawn at 1. CTGAN ignores it.
        /// </summary>
        public double CategoryTemperature = Defaults.CategoryTemperature;
        /// <summary>TVAE: hidden widths of the encoder; the decoder mirrors them.</summary>
        public int[] HiddenSizes = Vae.HiddenSizes.ToArray();
        /// <summary>TVAE: length of the code.</summary>
        public int LatentDimension = Vae.LatentDimension;
        /// <summary>TVAE: weight of the reconstruction terms against the KL term (TVAE's loss factor).</summary>
        public double LossFactor = Vae.LossFactor;
        /// <summary>CTGAN: length of the generator's noise.</summary>
        public int NoiseDimension = Gan.NoiseDimension;
        /// <summary>CTGAN: widths of the generator's residual layers.</summary>
        public int[] GeneratorHiddenSizes = Gan.GeneratorHiddenSizes.ToArray();
        /// <summary>CTGAN: widths of the discriminator's hidden layers.</summary>
        public int[] DiscriminatorHiddenSizes = Gan.DiscriminatorHiddenSizes.ToArray();
        /// <summary>CTGAN: rows the discriminator judges together (PacGAN; 1, measured above the paper's 10 on small tables).</summary>
        public int Pac = Gan.Pac;
        /// <summary>CTGAN: weight of the gradient penalty.</summary>
        public double GradientPenalty = Gan.GradientPenalty;
        /// <summary>CTGAN: Adam's learning rate of both networks (<see cref="TrainingRunOptions.LearningRate"/> is TVAE's).</summary>
        public double CtganLearningRate = Defaults.CtganLearningRate;

        /// <summary>
        /// The numeric encoding <c>Fit</c> uses: <see cref="NumericEncoding"/>, or the model's default when it is null. CTGAN
        /// uses mode-specific normalisation, as designed (its generator squashes values with tanh). TVAE uses standardised
        /// numbers: on the tabular-synthesis benchmark mode-specific normalisation gave TVAE better column shapes and pair
        /// trends (overall 0.909 against 0.857 on BostonHousing, 0.924 against 0.887 on Vehicle), but models trained on its
        /// rows predicted the class far worse (accuracy 0.505 against 0.746 on LetterRecognition, 0.533 against 0.645 on
        /// Vehicle; real rows: 0.777 and 0.669).
        /// </summary>
        public NumericEncoding ResolvedNumericEncoding => NumericEncoding ?? (Model == TabularModel.Ctgan ? Tabular.NumericEncoding.ModeSpecific : Tabular.NumericEncoding.Standardized);

        internal override string TrainingColumnName => ConditionColumnName ?? "";
        private protected override IEnumerable<string?> OutputNames() => [];
        private protected override void CopyArrays()
        {
            HiddenSizes = HiddenSizes?.ToArray()!;
            GeneratorHiddenSizes = GeneratorHiddenSizes?.ToArray()!;
            DiscriminatorHiddenSizes = DiscriminatorHiddenSizes?.ToArray()!;
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
            if (!Enum.IsDefined(Model)) throw new ArgumentOutOfRangeException(nameof(Model), Model, "Unknown tabular model.");
            if (NumericEncoding is { } e && !Enum.IsDefined(e)) throw new ArgumentOutOfRangeException(nameof(NumericEncoding), e, "Unknown numeric encoding.");
            if (MaxModes < 1 || MaxModes > 100) throw new ArgumentOutOfRangeException(nameof(MaxModes), MaxModes, "Between 1 and 100 modes.");
            if (!(CtganLearningRate > 0) || double.IsInfinity(CtganLearningRate)) throw new ArgumentOutOfRangeException(nameof(CtganLearningRate), CtganLearningRate, "Must be a positive number.");
            ToNetworkOptions([new TabularBlock(0, 1, false)], null, [], []).Validate();
            ToCtganOptions([new TabularBlock(0, 1, false)], [], [], null).Validate();
            base.Validate();
        }

        internal CtganOptions ToCtganOptions(IReadOnlyList<TabularBlock> blocks, int[] conditionalBlocks, double[][] frequencies, int? conditionBlock) => new()
        {
            DataDimension = blocks.Sum(b => b.Length), Blocks = blocks.ToArray(), ConditionalBlocks = conditionalBlocks, CategoryFrequencies = frequencies,
            ConditionBlock = conditionBlock, NoiseDimension = NoiseDimension, GeneratorHiddenSizes = GeneratorHiddenSizes?.ToArray()!,
            DiscriminatorHiddenSizes = DiscriminatorHiddenSizes?.ToArray()!, Pac = Pac, GradientPenalty = GradientPenalty,
            BoundedContinuous = ResolvedNumericEncoding == Tabular.NumericEncoding.ModeSpecific,
        };

        /// <summary>TVAE's network options; <paramref name="categoricalColumnBlocks"/> are the blocks of Boolean, text and key columns.</summary>
        internal TabularVaeOptions ToNetworkOptions(IReadOnlyList<TabularBlock> blocks, int? conditionBlock, double[] conditionFrequencies, IReadOnlyList<int> categoricalColumnBlocks) => new()
        {
            DataDimension = blocks.Sum(b => b.Length), Blocks = blocks.ToArray(), ConditionBlock = conditionBlock, ConditionFrequencies = conditionFrequencies,
            SharpenedBlocks = categoricalColumnBlocks.ToArray(), CategoryTemperature = CategoryTemperature,
            HiddenSizes = HiddenSizes?.ToArray()!, LatentDimension = LatentDimension, LossFactor = LossFactor,
        };
    }

    internal TabularSynthesizerEstimator(IHostEnvironment env, Options options) : base(env, options) { }

    /// <summary>
    /// Checks that the columns to learn exist as scalar numbers, Booleans, text or keys (and the condition column is not a
    /// number); the output is those columns, as generated rows carry them.
    /// </summary>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
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
    public override TabularSynthesizerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string component = options.Model == TabularModel.Ctgan ? "TabularSynthesizer (CTGAN)" : "TabularSynthesizer (TVAE)";
        int seed = options.Seed ?? MLNetInternals.SeedFrom(env, component);
        var encoding = TableEncoding.Fit(input, new TableEncodingOptions
        {
            ColumnNames = options.ColumnNames, MaxCategories = options.MaxCategories, NumericEncoding = options.ResolvedNumericEncoding,
            MaxModes = options.MaxModes, Seed = seed,
        }, options.CancellationToken);
        int? conditionBlock = null;
        if (options.ConditionColumnName is { } condition)
        {
            var column = encoding[condition];
            if (column.Kind != TableColumnKind.Categorical)
                throw Errors.SchemaMismatch(nameof(input), "condition", condition, "Boolean, Text or Key", Errors.Describe(column.Type));
            conditionBlock = encoding.Blocks.Select((b, i) => (b, i)).First(p => p.b.Start == column.Start).i;
        }
        GenModels.Torch.TorchRuntime.EnsureLoaded(); // the first torch use of a Fit: a clear message if libtorch cannot load
        var values = encoding.Encode(input, options.CancellationToken);
        int rows = values.Length / encoding.Width;
        // from_array wraps the managed array without copying; clone so the tensor owns its memory.
        using var view = TorchSharp.torch.from_array(values).view(rows, encoding.Width);
        using var data = view.clone();
        double[] Shares(TabularBlock block)
        {
            using var sums = data.narrow(1, block.Start, block.Length).sum(dim: 0L);
            return sums.data<float>().Select(s => (double)s / rows).ToArray();
        }
        string described = $"{encoding.Columns.Count} columns encoded as {encoding.Width} values ({options.ResolvedNumericEncoding} numbers)";
        // The default step target grows with the encoded width; a target the user set is kept.
        int targetSteps = options.TargetSteps == TrainingBudget.TabularTargetSteps ? TrainingBudget.TabularSteps(encoding.Width) : options.TargetSteps;
        ITabularGenerator model;
        TrainingResult result;
        if (options.Model == TabularModel.Ctgan)
        {
            var conditional = encoding.CategoricalColumnBlocks.ToArray();
            var network = options.ToCtganOptions(encoding.Blocks, conditional, conditional.Select(i => Shares(encoding.Blocks[i])).ToArray(), conditionBlock);
            (model, result) = EstimatorFitting.Train(env, component, options, seed, rows, training =>
            {
                training.TargetSteps = targetSteps;
                training.LearningRate = options.CtganLearningRate;
                training.BatchSize ??= Math.Min(Options.Defaults.CtganBatchSize, rows);
                training.WarnIfUnconverged = false;     // a GAN's losses do not level off as a likelihood does
                return CtganTraining.Fit(data, network, training);
            }, $"{described}, generator [{string.Join(", ", network.GeneratorHiddenSizes)}], critic [{string.Join(", ", network.DiscriminatorHiddenSizes)}], pac {network.Pac}");
        }
        else
        {
            var network = options.ToNetworkOptions(encoding.Blocks, conditionBlock, conditionBlock is { } b ? Shares(encoding.Blocks[b]) : [], encoding.CategoricalColumnBlocks);
            (model, result) = EstimatorFitting.Train(env, component, options, seed, rows,
                training =>
                {
                    training.TargetSteps = targetSteps;
                    return TabularVaeTraining.Fit(data, network, training);
                },
                $"{described}, hidden [{string.Join(", ", network.HiddenSizes)}], code {network.LatentDimension}");
        }
        return new TabularSynthesizerTransformer(model, encoding, options.ConditionColumnName, options.TransformBatchSize, result);
    }
}
