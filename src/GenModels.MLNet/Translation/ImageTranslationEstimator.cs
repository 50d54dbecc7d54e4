using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Networks;
using GenModels.Torch.Serialization;
using GenModels.Torch.Training;
using GenModels.Torch.Translation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace GenModels.MLNet.Translation;

/// <summary>
/// Trains a paired image-to-image translation model (pix2pix, Isola et al. 2017) on rows that hold an input image and its
/// target image, and produces an <see cref="ImageTranslationTransformer"/> that maps the input column to a new output
/// column shaped like the target. The generator is a U-Net with skip connections; a PatchGAN discriminator that sees
/// input and output stacked on channels adds an adversarial term to λ·L1 (λ = 100). Created by
/// <c>mlContext.Generative().ImageTranslation(...)</c>.
/// </summary>
public sealed class ImageTranslationEstimator : GenerativeEstimatorBase<ImageTranslationEstimator.Options, ImageTranslationTransformer>
{
    /// <summary>Options of <see cref="ImageTranslationEstimator"/>.</summary>
    public sealed class Options : TrainingRunOptions
    {
        // The network defaults live in GenModels.Torch's UNetOptions and TranslationOptions; these fields start from them.
        private static readonly TranslationOptions Model = new();

        /// <summary>
        /// Creates options with pix2pix's defaults: Adam with learning rate 2e-4 (β₁ = 0.5) and, while
        /// <see cref="TrainingRunOptions.Epochs"/> is unset, enough epochs for about 4,000 optimiser steps
        /// (<see cref="TrainingBudget.TranslationTargetSteps"/>).
        /// </summary>
        public Options()
        {
            LearningRate = 2e-4;
            TargetSteps = TrainingBudget.TranslationTargetSteps;
        }

        /// <summary>
        /// The input images: a sized image column (<c>MLImage</c>, read as 3×H×W in [0, 1]) or a <c>Vector&lt;Single, C, H, W&gt;</c>
        /// column (from <c>ExtractPixels</c>, for example).
        /// </summary>
        public string InputColumnName = "Input";
        /// <summary>
        /// The target images, of the input's height and width (the channels may differ). Values are expected in [0, 1]: the
        /// generator's output is a sigmoid.
        /// </summary>
        public string TargetColumnName = "Target";
        /// <summary>The column of translated images to add: an image column when the target is one, else a vector shaped like the target.</summary>
        public string OutputColumnName = "Output";
        /// <summary>
        /// Whether the PatchGAN discriminator trains against the generator (pix2pix). False trains the U-Net on the L1 term
        /// alone, a strong baseline whose outputs blur where the input leaves the answer uncertain.
        /// </summary>
        public bool Adversarial = Model.Adversarial;
        /// <summary>λ, the weight of the L1 term beside the adversarial one (100 in pix2pix).</summary>
        public double L1Weight = Model.L1Weight;
        /// <summary>U-Net levels; null halves the images while the innermost map keeps at least 2×2 pixels (32×32 → 4).</summary>
        public int? Depth;
        /// <summary>U-Net channels at the first level (doubled per level, up to 8 times this).</summary>
        public int Channels = Model.Generator.Channels;
        /// <summary>The normalisation inside both networks: batch (pix2pix's) or instance normalisation.</summary>
        public FeatureNormalization Normalization = Model.Generator.Normalization;
        /// <summary>Dropout rate in the innermost U-Net decoder blocks while training (0 = none); translation itself never drops.</summary>
        public double Dropout = Model.Generator.Dropout;
        /// <summary>Discriminator channels at its first layer.</summary>
        public int DiscriminatorChannels = Model.DiscriminatorChannels;
        /// <summary>Stride-2 discriminator layers; null picks them from the image size (32×32 → 2, from 64×64 → 3: 70×70 patches).</summary>
        public int? DiscriminatorLayers;
        /// <summary>The discriminator's learning rate; null uses <see cref="TrainingRunOptions.LearningRate"/>.</summary>
        public double? DiscriminatorLearningRate;

        internal override string TrainingColumnName => InputColumnName;
        private protected override IEnumerable<string?> OutputNames() => [OutputColumnName];

        internal override void Validate()
        {
            CheckName(InputColumnName, nameof(InputColumnName));
            CheckName(TargetColumnName, nameof(TargetColumnName));
            CheckName(OutputColumnName, nameof(OutputColumnName));
            if (DiscriminatorLearningRate is { } lr && !(lr > 0 && double.IsFinite(lr)))
                throw new ArgumentOutOfRangeException(nameof(DiscriminatorLearningRate), lr, "The learning rate must be a positive number.");
            ToTranslationOptions([1, 256, 256], [1, 256, 256]).Validate(); // channels, dropout, λ, explicit depth and layers
            base.Validate();
        }

        internal TranslationOptions ToTranslationOptions(int[] inputShape, int[] targetShape) => new()
        {
            Generator = new UNetOptions
            {
                InputChannels = inputShape[0], OutputChannels = targetShape[0], Height = inputShape[1], Width = inputShape[2],
                Depth = Depth, Channels = Channels, Normalization = Normalization, Dropout = Dropout,
            },
            Adversarial = Adversarial, L1Weight = L1Weight, DiscriminatorChannels = DiscriminatorChannels, DiscriminatorLayers = DiscriminatorLayers,
        };
    }

    internal ImageTranslationEstimator(IHostEnvironment env, Options options) : base(env, options) { }

    /// <summary>
    /// Adds the output column (an image column when the target is one, else a Single vector); throws naming the column when
    /// the input or target is missing, not an image or Single vector, an image of unknown size, or of another size than the other.
    /// </summary>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var input = ShapeColumn(inputSchema, options.InputColumnName, "input");
        var target = ShapeColumn(inputSchema, options.TargetColumnName, "target");
        if (input.ItemType is ImageDataViewType i && target.ItemType is ImageDataViewType t && (i.Height != t.Height || i.Width != t.Width))
            throw Errors.SchemaMismatch(nameof(inputSchema), "target", options.TargetColumnName, $"an image of the input's size ({i.Width}×{i.Height})", $"{t.Width}×{t.Height}");
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[options.OutputColumnName] = target.ItemType is ImageDataViewType
            ? SchemaShapes.Image(options.OutputColumnName, target.ItemType)
            : SchemaShapes.SingleVector(options.OutputColumnName, withSlotNames: false);
        return new SchemaShape(columns.Values);
    }

    /// <summary>Trains the translation model on every row of <paramref name="input"/>.</summary>
    public override ImageTranslationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var inputShape = ImageShape(input.Schema, options.InputColumnName, "input");
        var targetShape = ImageShape(input.Schema, options.TargetColumnName, "target");
        if (inputShape[1] != targetShape[1] || inputShape[2] != targetShape[2])
            throw Errors.SchemaMismatch(nameof(input), "target", options.TargetColumnName,
                $"images of the input's height and width ({inputShape[1]}×{inputShape[2]})", $"{targetShape[1]}×{targetShape[2]} (as C×H×W: {string.Join("×", targetShape)})");
        var translation = options.ToTranslationOptions(inputShape, targetShape);
        try
        {
            translation.Validate(); // image sizes the U-Net or the discriminator cannot take fail before the rows are read
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException(e.ParamName, $"Column '{options.InputColumnName}' holds {inputShape[1]}×{inputShape[2]} images: {e.Message}");
        }

        var targetColumn = input.Schema[options.TargetColumnName];
        int targetSize = targetShape.Aggregate(1, (a, d) => a * d);
        // The target image is read from the same cursor as the input and appended to each training row.
        var target = new TrainingData.ExtraColumns([targetColumn], targetSize, row =>
        {
            var reader = BatchedMapping.FeatureReader(row, targetColumn, targetSize);
            return (r, destination) =>
            {
                reader.Read(destination);
                TrainingData.CheckFinite(destination, targetColumn.Name, r);
            };
        });
        using var data = EstimatorFitting.Prepare(env, nameof(ImageTranslationEstimator), input, options, inputShape, target);
        var (network, result) = EstimatorFitting.Train(env, "Image translation", options, data.Seed, (int)data.Rows.shape[0],
            training => TranslationTraining.Fit(data.Rows, translation, training, options.DiscriminatorLearningRate));
        UNet generator;
        using (network) generator = ImageTranslationTransformer.Copy(network.Generator); // the transformer keeps the generator only
        return new ImageTranslationTransformer(generator, options.InputColumnName, inputShape, options.OutputColumnName, targetShape,
            input.Schema[options.TargetColumnName].Type is ImageDataViewType, options.TransformBatchSize, result);
    }

    /// <summary>The shape-level check of an image column: a sized image or a known-size Single vector.</summary>
    internal static SchemaShape.Column ShapeColumn(SchemaShape schema, string name, string role)
    {
        if (!schema.TryFindColumn(name, out var column)) throw Errors.MissingColumn(nameof(schema), role, name);
        if (column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is ImageDataViewType image)
        {
            if (image.Height <= 0 || image.Width <= 0)
                throw Errors.SchemaMismatch(nameof(schema), role, name, "a sized image (add mlContext.Transforms.ResizeImages after LoadImages)", "an image of unknown size");
            return column;
        }
        if (column.Kind != SchemaShape.Column.VectorKind.Vector || !column.ItemType.Equals(NumberDataViewType.Single))
            throw Errors.SchemaMismatch(nameof(schema), role, name, ExpectedImage, SchemaShapes.Describe(column));
        return column;
    }

    internal const string ExpectedImage = "a sized image or Vector<Single, C, H, W>";

    /// <summary>C, H, W of an image column (3, H, W) or of a <c>Vector&lt;Single, C, H, W&gt;</c> column; throws naming the column otherwise.</summary>
    internal static int[] ImageShape(DataViewSchema schema, string name, string role, string paramName = "input")
    {
        var (column, shape) = BatchedMapping.CheckFeatureInput(schema, name, null, role, paramName);
        if (shape.Length != 3)
            throw Errors.SchemaMismatch(paramName, role, name, ExpectedImage, Errors.Describe(column.Type) + (shape.Length == 1 ? " (a flat vector: give it C, H, W dimensions)" : ""));
        return shape;
    }
}
