using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.MLNet.Translation;
using GenModels.Torch.CycleGan;
using GenModels.Torch.Networks;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

namespace GenModels.MLNet.CycleGan;

/// <summary>
/// Trains an unpaired image-to-image translation model (CycleGAN, Zhu et al. 2017) on two sets of images, domain A and
/// domain B, in which no image has a partner in the other set. Two ResNet-block generators (A → B and B → A) learn to
/// fool a PatchGAN discriminator per domain (least-squares loss) while each image survives the round trip
/// (cycle-consistency L1, λ = 10) and a generator leaves images already in its target domain alone (identity L1, 0.5·λ);
/// the discriminators see a history pool of 50 translations, and Adam (2e-4, β₁ = 0.5) decays linearly over the second
/// half of training. <see cref="Fit(IDataView)"/> reads both domains from one view with a Boolean domain column;
/// <see cref="Fit(IDataView, IDataView)"/> takes them as two views. Both give a <see cref="CycleGanTransformer"/> that
/// translates A → B; its <see cref="CycleGanTransformer.Reverse"/> translates B → A. Created by
/// <c>mlContext.Generative().CycleGan(...)</c>.
/// </summary>
public sealed class CycleGanEstimator : GenerativeEstimatorBase<CycleGanEstimator.Options, CycleGanTransformer>
{
    /// <summary>Options of <see cref="CycleGanEstimator"/>.</summary>
    public sealed class Options : TrainingRunOptions
    {
        // The network defaults live in GenModels.Torch's ResnetGeneratorOptions and CycleGanOptions; these fields start from them.
        private static readonly CycleGanOptions Model = new();

        /// <summary>
        /// Creates options with CycleGAN's defaults: Adam with learning rate 2e-4 (β₁ = 0.5) and, while
        /// <see cref="TrainingRunOptions.Epochs"/> is unset, enough epochs for about 6,000 optimiser steps
        /// (<see cref="TrainingBudget.CycleGanTargetSteps"/>).
        /// </summary>
        public Options()
        {
            LearningRate = 2e-4;
            TargetSteps = TrainingBudget.CycleGanTargetSteps;
        }

        /// <summary>
        /// The images of both domains: a sized image column (<c>MLImage</c>, read as 3×H×W in [0, 1]) or a
        /// <c>Vector&lt;Single, C, H, W&gt;</c> column with values in [0, 1] (the generators' output is a sigmoid).
        /// </summary>
        public string InputColumnName = "Input";
        /// <summary>The column of translated images to add: an image column when the input is one, else a vector of the input's shape.</summary>
        public string OutputColumnName = "Output";
        /// <summary>
        /// For <see cref="Fit(IDataView)"/>: a Boolean column that is false on domain-A rows and true on domain-B rows.
        /// <see cref="Fit(IDataView, IDataView)"/> does not read it.
        /// </summary>
        public string DomainColumnName = "IsDomainB";
        /// <summary>Channels of each generator's first convolution (CycleGAN: 64; here 32, which suits small images).</summary>
        public int Channels = Model.Generator.Channels;
        /// <summary>Residual blocks of each generator; null picks 6 below 256×256 and 9 from there up, as CycleGAN does.</summary>
        public int? ResidualBlocks;
        /// <summary>Stride-2 down-samplings of each generator (2 in CycleGAN); the image height and width must be divisible by 2 to this power.</summary>
        public int Downsamplings = Model.Generator.Downsamplings;
        /// <summary>The normalisation inside all four networks: instance normalisation, as in CycleGAN.</summary>
        public FeatureNormalization Normalization = Model.Generator.Normalization;
        /// <summary>Channels of each discriminator's first layer (CycleGAN: 64).</summary>
        public int DiscriminatorChannels = Model.DiscriminatorChannels;
        /// <summary>Stride-2 discriminator layers; null picks them from the image size (32×32 → 2, from 64×64 → 3: 70×70 patches).</summary>
        public int? DiscriminatorLayers;
        /// <summary>λ, the weight of each cycle-consistency L1 term (10).</summary>
        public double CycleWeight = Model.CycleWeight;
        /// <summary>The identity L1 terms' weight as a share of <see cref="CycleWeight"/> (0.5; 0 turns them off).</summary>
        public double IdentityWeight = Model.IdentityWeight;
        /// <summary>Generated images each discriminator's history pool keeps (50; 0 = none).</summary>
        public int PoolSize = Model.PoolSize;
        /// <summary>Share of the training steps after which the learning rates decay linearly towards zero (0.5; 1 = constant).</summary>
        public double DecayStart = Model.DecayStart;
        /// <summary>Adam's β₁ for all four networks (0.5).</summary>
        public double Beta1 = Model.Beta1;
        /// <summary>Adam's β₂ for all four networks (0.999).</summary>
        public double Beta2 = Model.Beta2;
        /// <summary>The discriminators' learning rate; null uses <see cref="TrainingRunOptions.LearningRate"/>.</summary>
        public double? DiscriminatorLearningRate;

        internal override string TrainingColumnName => InputColumnName;
        private protected override IEnumerable<string?> OutputNames() => [OutputColumnName];

        internal override void Validate()
        {
            CheckName(InputColumnName, nameof(InputColumnName));
            CheckName(OutputColumnName, nameof(OutputColumnName));
            CheckName(DomainColumnName, nameof(DomainColumnName));
            if (DiscriminatorLearningRate is { } lr && !(lr > 0 && double.IsFinite(lr)))
                throw new ArgumentOutOfRangeException(nameof(DiscriminatorLearningRate), lr, "The learning rate must be a positive number.");
            ToCycleGanOptions([1, 256, 256]).Validate(); // widths, weights, pool, decay, β, explicit blocks and layers
            base.Validate();
        }

        internal CycleGanOptions ToCycleGanOptions(int[] shape) => new()
        {
            Generator = new ResnetGeneratorOptions
            {
                ImageChannels = shape[0], Height = shape[1], Width = shape[2],
                Channels = Channels, Downsamplings = Downsamplings, ResidualBlocks = ResidualBlocks, Normalization = Normalization,
            },
            DiscriminatorChannels = DiscriminatorChannels, DiscriminatorLayers = DiscriminatorLayers,
            CycleWeight = CycleWeight, IdentityWeight = IdentityWeight, PoolSize = PoolSize, DecayStart = DecayStart, Beta1 = Beta1, Beta2 = Beta2,
        };
    }

    internal CycleGanEstimator(IHostEnvironment env, Options options) : base(env, options) { }

    /// <summary>
    /// Adds the output column (an image column when the input is one, else a Single vector); throws naming the column when
    /// the input is missing, not an image or Single vector, or an image of unknown size, or when the domain column is
    /// present but not Boolean.
    /// </summary>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var input = ImageTranslationEstimator.ShapeColumn(inputSchema, options.InputColumnName, "input");
        if (inputSchema.TryFindColumn(options.DomainColumnName, out var domain)
            && (domain.Kind != SchemaShape.Column.VectorKind.Scalar || domain.ItemType is not BooleanDataViewType))
            throw Errors.SchemaMismatch(nameof(inputSchema), "domain", options.DomainColumnName, "Boolean (true on domain-B rows)", SchemaShapes.Describe(domain));
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[options.OutputColumnName] = input.ItemType is ImageDataViewType
            ? SchemaShapes.Image(options.OutputColumnName, input.ItemType)
            : SchemaShapes.SingleVector(options.OutputColumnName, withSlotNames: false);
        return new SchemaShape(columns.Values);
    }

    /// <summary>
    /// Trains on the rows of <paramref name="input"/>: those whose domain column (<see cref="Options.DomainColumnName"/>) is
    /// false form domain A, those where it is true domain B. Throws naming the column when either domain has no rows.
    /// </summary>
    public override CycleGanTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shape = CheckedShape(input.Schema, nameof(input), "input");
        var domain = input.Schema.GetColumnOrNull(options.DomainColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(input), $"Schema mismatch: the domain column '{options.DomainColumnName}' was not found. " +
                "Give each row a Boolean domain column (false = domain A, true = domain B), or train on two views with Fit(domainA, domainB).");
        if (domain.Type is not BooleanDataViewType)
            throw Errors.SchemaMismatch(nameof(input), "domain", domain.Name, "Boolean (true on domain-B rows)", Errors.Describe(domain.Type));
        // The domain flag is read from the same cursor as the image and appended to each row, then the rows are split by it.
        var flag = new TrainingData.ExtraColumns([domain], 1, row =>
        {
            var getter = row.GetGetter<bool>(domain);
            bool value = false;
            return (_, destination) => { getter(ref value); destination[0] = value ? 1 : 0; };
        });
        int seed = options.Seed ?? MLNetInternals.SeedFrom(env, nameof(CycleGanEstimator));
        int size = shape.Aggregate(1, (a, d) => a * d);
        GenModels.Torch.TorchRuntime.EnsureLoaded();
        var (values, rows) = TrainingData.ReadVectors(input, options.InputColumnName, size, options.CancellationToken, flag);
        Tensor a, b;
        using (var scope = NewDisposeScope())
        {
            var all = from_array(values).view(-1, size + 1).narrow(0, 0, rows);
            var isB = all.select(1, size).gt(0.5);
            a = all.index_select(0, nonzero(isB.logical_not()).squeeze(1)).narrow(1, 0, size).contiguous().DetachFromDisposeScope();
            b = all.index_select(0, nonzero(isB).squeeze(1)).narrow(1, 0, size).contiguous().DetachFromDisposeScope();
        }
        using (a)
        using (b)
        {
            if (a.shape[0] == 0 || b.shape[0] == 0)
                throw new InvalidOperationException($"Domain {(a.shape[0] == 0 ? "A" : "B")} has no rows: domain column '{domain.Name}' is " +
                    $"{(a.shape[0] == 0 ? "true" : "false")} on all {rows} rows. CycleGAN needs images of both domains (false = A, true = B).");
            return Train(a, b, shape, input.Schema[options.InputColumnName].Type is ImageDataViewType, seed); // a and b are copies: values may go
        }
    }

    /// <summary>
    /// Trains on the images of <see cref="Options.InputColumnName"/> in two views: <paramref name="domainA"/> and
    /// <paramref name="domainB"/> (any row counts). Both columns must hold images of one shape (channels, height and
    /// width) and the same kind (image or vector); throws naming the column and the view otherwise, or when a view has no rows.
    /// </summary>
    public CycleGanTransformer Fit(IDataView domainA, IDataView domainB)
    {
        ArgumentNullException.ThrowIfNull(domainA);
        ArgumentNullException.ThrowIfNull(domainB);
        var shape = CheckedShape(domainA.Schema, nameof(domainA), "domain-A input");
        var shapeB = CheckedShape(domainB.Schema, nameof(domainB), "domain-B input");
        bool isImage = domainA.Schema[options.InputColumnName].Type is ImageDataViewType;
        if (!shape.SequenceEqual(shapeB))
            throw Errors.SchemaMismatch(nameof(domainB), "domain-B input", options.InputColumnName,
                $"images of domain A's shape ({string.Join("×", shape)}, C×H×W)", string.Join("×", shapeB) + (shape[0] != shapeB[0] ? " (another channel count)" : ""));
        if (isImage != domainB.Schema[options.InputColumnName].Type is ImageDataViewType)
            throw Errors.SchemaMismatch(nameof(domainB), "domain-B input", options.InputColumnName,
                isImage ? "an image column, as in domain A" : "a vector column, as in domain A", Errors.Describe(domainB.Schema[options.InputColumnName].Type));
        foreach (var (view, name, label) in new[] { (domainA, nameof(domainA), "A"), (domainB, nameof(domainB), "B") })
        {
            using var cursor = view.GetRowCursor([]);
            if (!cursor.MoveNext())
                throw new ArgumentException($"Domain {label} has no rows: the view of column '{options.InputColumnName}' is empty. CycleGAN needs images of both domains.", name);
        }
        int seed = options.Seed ?? MLNetInternals.SeedFrom(env, nameof(CycleGanEstimator));
        int size = shape.Aggregate(1, (a, d) => a * d);
        GenModels.Torch.TorchRuntime.EnsureLoaded();
        var (valuesA, rowsA) = TrainingData.ReadVectors(domainA, options.InputColumnName, size, options.CancellationToken);
        var (valuesB, rowsB) = TrainingData.ReadVectors(domainB, options.InputColumnName, size, options.CancellationToken);
        // from_array wraps the managed arrays without copying; training makes its own rows from them.
        using var a = from_array(valuesA).view(-1, size);
        using var b = from_array(valuesB).view(-1, size);
        using var usedA = a.narrow(0, 0, rowsA);
        using var usedB = b.narrow(0, 0, rowsB);
        var model = Train(usedA, usedB, shape, isImage, seed);
        GC.KeepAlive(valuesA);
        GC.KeepAlive(valuesB);
        return model;
    }

    /// <summary>C, H, W of the input column, checked against what the generators can take (errors name the column).</summary>
    private int[] CheckedShape(DataViewSchema schema, string paramName, string role)
    {
        var shape = ImageTranslationEstimator.ImageShape(schema, options.InputColumnName, role, paramName);
        try
        {
            options.ToCycleGanOptions(shape).Validate(); // image sizes the generators or discriminators cannot take fail before the rows are read
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException(e.ParamName, $"Column '{options.InputColumnName}' holds {shape[1]}×{shape[2]} images: {e.Message}");
        }
        return shape;
    }

    private CycleGanTransformer Train(Tensor a, Tensor b, int[] shape, bool isImage, int seed)
    {
        var cycleGan = options.ToCycleGanOptions(shape);
        var (network, result) = EstimatorFitting.Train(env, "CycleGAN", options, seed, (int)Math.Max(a.shape[0], b.shape[0]),
            training => CycleGanTraining.Fit(a, b, cycleGan, training, options.DiscriminatorLearningRate),
            $"{a.shape[0]} domain-A and {b.shape[0]} domain-B images of {string.Join("×", shape)}");
        CycleGanGenerators generators;
        using (network) generators = CycleGanGenerators.CopyFrom(network); // the transformer keeps the generators only
        return new CycleGanTransformer(generators, CycleGanDirection.AToB, options.InputColumnName, options.OutputColumnName, isImage,
            options.TransformBatchSize, result);
    }
}
