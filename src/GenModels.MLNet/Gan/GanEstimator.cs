using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Gan;
using GenModels.Torch.Networks;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet.Gan;

/// <summary>
/// Trains a GAN (conditional when a label column is given) on a vector column and produces a <see cref="GanTransformer"/>
/// whose generator is a data source of synthetic rows. Created by <c>mlContext.Generative().Gan(...)</c>.
/// </summary>
public sealed class GanEstimator : GenerativeEstimatorBase<GanEstimator.Options, GanTransformer>
{
    /// <summary>Options of <see cref="GanEstimator"/>.</summary>
    public sealed class Options : TrainingRunOptions
    {
        /// <summary>
        /// Creates options with the GAN's training defaults: learning rate <see cref="DefaultLearningRate"/> and, while
        /// <see cref="TrainingRunOptions.Epochs"/> is unset, enough epochs for about 10,000 optimiser steps
        /// (<see cref="TrainingBudget.GanTargetSteps"/>; for example about 310 epochs of 4,000 rows or 22 of 60,000).
        /// </summary>
        public Options()
        {
            LearningRate = DefaultLearningRate;
            TargetSteps = TrainingBudget.GanTargetSteps;
        }

        /// <summary>
        /// The GAN's default learning rate (both networks, Adam with β₁ = 0.5). It was 2e-4, DCGAN's rate for images; on the
        /// tight mixtures of the diffusion-modes benchmark 1e-3 with the decay (<see cref="LearningRateDecayStart"/>) put 84 %
        /// of samples within 3σ of the ring's modes where 2e-4 put 72 %, and the image tests train at 1e-3.
        /// </summary>
        public const double DefaultLearningRate = 1e-3;

        /// <summary>The column to imitate: a known-size vector of Single; <c>Vector&lt;Single, C, H, W&gt;</c> images get convolutional networks.</summary>
        public string FeatureColumnName = "Features";
        /// <summary>If set, a text or key column of classes: the GAN becomes conditional and generates per class.</summary>
        public string? LabelColumnName;
        /// <summary>Name of the optional input column of noise vectors that <see cref="BatchedTransformerBase.Transform"/> uses when present.</summary>
        public string NoiseColumnName = "Noise";
        /// <summary>
        /// Length of the noise vector z. Null (the default) is <see cref="GanOptions.DefaultNoiseDimension"/> (32) for images and
        /// the column's length, up to 32, for vector columns: a generator that maps noise of the data's own dimension onto it
        /// need not fold extra dimensions away, and on the benchmark's tight 5×5 grid (2 columns) it found every mode with
        /// noise 2 where noise 32 found 8 (README, "Tight mixtures").
        /// </summary>
        public int? NoiseDimension;
        /// <summary>MLP generator hidden widths (noise side first).</summary>
        public int[] GeneratorHiddenSizes = [256, 256];
        /// <summary>MLP discriminator hidden widths (data side first).</summary>
        public int[] DiscriminatorHiddenSizes = [256, 256];
        /// <summary>Network family; null picks convolutional for C×H×W columns with H and W divisible by 4, else MLP.</summary>
        public GanArchitecture? Architecture;
        /// <summary>Base channel count of the convolutional networks.</summary>
        public int ConvolutionChannels = 64;
        /// <summary>Non-linearity between hidden layers.</summary>
        public Activation Activation = Activation.LeakyReLU;
        /// <summary>The generator's output range: Linear (any value), Sigmoid (0–1, e.g. after NormalizeMinMax or for pixels) or Tanh.</summary>
        public GeneratorOutput Output = GeneratorOutput.Linear;
        /// <summary>The objective: the non-saturating loss (default) or the hinge loss.</summary>
        public GanLoss Loss = GanLoss.NonSaturating;
        /// <summary>Spectral normalisation of the discriminator's layers: for images scaled to [−1, 1]; it stalls on low-dimensional or [0, 1]-scaled data.</summary>
        public bool SpectralNormalization;
        /// <summary>
        /// Weight γ of the R1 gradient penalty γ/2·E‖∇ₓD(x)‖² on real rows. The default 0.1 makes the non-saturating loss the
        /// robust configuration that covered every mode of the benchmark mixtures where the plain loss (0) dropped modes.
        /// </summary>
        public double GradientPenalty = 0.1;
        /// <summary>Decay of the moving average of generator weights used for generation (0 = use the last weights).</summary>
        public double EmaDecay = 0.99;
        /// <summary>The discriminator's learning rate; null uses <see cref="TrainingRunOptions.LearningRate"/>.</summary>
        public double? DiscriminatorLearningRate;
        /// <summary>
        /// Share of the training steps after which both learning rates decay linearly towards zero, in [0, 1]; 1 keeps them
        /// constant. Null (the default) decays over the second half (<see cref="GanOptions.DefaultVectorLearningRateDecayStart"/>)
        /// for the MLP networks of vector columns, where it lets the generator settle on narrow modes, and keeps the rate
        /// constant for the convolutional networks of images.
        /// </summary>
        public double? LearningRateDecayStart;
        /// <summary>
        /// Rows the discriminator judges together (PacGAN): it sees this many real or fake rows concatenated, which makes a
        /// generator that drops modes visible to it. MLP architecture and unconditional GANs only; 1 = no packing.
        /// </summary>
        public int Pac = 1;
        /// <summary>
        /// Progressive growing (Karras et al. 2018) of the convolutional networks: training starts at
        /// <see cref="StartResolution"/> and adds a generator and a discriminator block per stage, doubling the resolution up
        /// to the column's, fading each new block in over <see cref="FadeInShare"/> of its stage. The training steps are
        /// split evenly over the stages. The trained model generates full-size images and saves and loads like any GAN.
        /// Needs a <c>Vector&lt;Single, C, H, W&gt;</c> column whose H is the start resolution doubled at least once.
        /// </summary>
        public bool ProgressiveGrowing;
        /// <summary>Image height at the first stage of progressive growing (4 grows 32×32 images in 4 stages: 4, 8, 16, 32); the width scales alike.</summary>
        public int StartResolution = GanOptions.DefaultStartResolution;
        /// <summary>Share of each grown stage spent fading its new block in; the rest stabilises at full weight.</summary>
        public double FadeInShare = GanOptions.DefaultFadeInShare;

        internal override string TrainingColumnName => FeatureColumnName;
        private protected override IEnumerable<string?> OutputNames() => [FeatureColumnName];

        private protected override void CopyArrays()
        {
            GeneratorHiddenSizes = GeneratorHiddenSizes?.ToArray()!;
            DiscriminatorHiddenSizes = DiscriminatorHiddenSizes?.ToArray()!;
        }

        internal override void Validate()
        {
            CheckName(FeatureColumnName, nameof(FeatureColumnName));
            CheckName(NoiseColumnName, nameof(NoiseColumnName));
            if (LabelColumnName is not null) CheckName(LabelColumnName, nameof(LabelColumnName));
            if (LabelColumnName == FeatureColumnName || NoiseColumnName == FeatureColumnName || NoiseColumnName == LabelColumnName)
                throw new ArgumentException("The feature, label and noise columns need different names.", nameof(NoiseColumnName));
            if (NoiseDimension is <= 0) throw new ArgumentOutOfRangeException(nameof(NoiseDimension), NoiseDimension, "The noise dimension must be positive.");
            if (DiscriminatorLearningRate is { } lr && !(lr > 0 && double.IsFinite(lr)))
                throw new ArgumentOutOfRangeException(nameof(DiscriminatorLearningRate), lr, "The learning rate must be a positive number.");
            if (ProgressiveGrowing && Architecture == GanArchitecture.Mlp)
                throw new ArgumentException("Progressive growing adds convolutional blocks: it needs the convolutional architecture, not Mlp.", nameof(ProgressiveGrowing));
            var shapeFree = ToGanOptions(1, null, 0);
            shapeFree.ProgressiveGrowing = false; // whether the column can be grown is checked at Fit, when its shape is known
            shapeFree.Validate(); // hidden sizes, EMA decay, channels, start resolution, fade-in share
            base.Validate();
        }

        internal GanOptions ToGanOptions(int dimension, int[]? imageShape, int classCount) => new()
        {
            DataDimension = dimension, ImageShape = imageShape,
            Architecture = imageShape is null ? GanArchitecture.Mlp : GanArchitecture.Convolutional,
            NoiseDimension = NoiseDimension ?? (imageShape is null ? Math.Min(GanOptions.DefaultNoiseDimension, dimension) : GanOptions.DefaultNoiseDimension),
            ClassCount = classCount,
            GeneratorHiddenSizes = GeneratorHiddenSizes?.ToArray()!, DiscriminatorHiddenSizes = DiscriminatorHiddenSizes?.ToArray()!,
            ConvolutionChannels = ConvolutionChannels, Activation = Activation, Output = Output, Loss = Loss,
            SpectralNormalization = SpectralNormalization, GradientPenalty = GradientPenalty, EmaDecay = EmaDecay,
            LearningRateDecayStart = LearningRateDecayStart ?? (imageShape is null ? GanOptions.DefaultVectorLearningRateDecayStart : 1), Pac = Pac,
            ProgressiveGrowing = ProgressiveGrowing, StartResolution = StartResolution, FadeInShare = FadeInShare,
        };
    }

    internal GanEstimator(IHostEnvironment env, Options options) : base(env, options) { }

    /// <summary>
    /// The generator as a transform maps label (and noise) columns to the feature column; checks here that the training
    /// columns exist with usable types.
    /// </summary>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        EstimatorFitting.GeneratorOutputShape(inputSchema, options.FeatureColumnName, options.LabelColumnName);

    /// <summary>Trains the GAN on every row of <paramref name="input"/>.</summary>
    public override GanTransformer Fit(IDataView input)
    {
        ChooseImageShape(TrainingData.Shape(input.Schema, options.FeatureColumnName)); // a wrong architecture fails before the rows are read
        using var prepared = EstimatorFitting.PrepareGenerator(env, nameof(GanEstimator), input, options, options.LabelColumnName);
        var data = prepared.Data;
        var ganOptions = options.ToGanOptions(prepared.Dimension, ChooseImageShape(prepared.Shape), prepared.Labels?.ClassNames.Count ?? 0);
        var (network, result) = EstimatorFitting.Train(env, "GAN", options, data.Seed, (int)data.Rows.shape[0],
            training => GanTraining.Fit(data.Rows, ganOptions, training, options.DiscriminatorLearningRate));
        return new GanTransformer(network, options.FeatureColumnName, prepared.Shape, data.SlotNames, prepared.Labels, options.NoiseColumnName,
            options.TransformBatchSize, data.Seed, prepared.IsImage, result);
    }

    private int[]? ChooseImageShape(int[] dims)
    {
        bool image = dims.Length == 3 && dims[1] % 4 == 0 && dims[2] % 4 == 0;
        if (options.ProgressiveGrowing && !image)
            throw new ArgumentException(
                $"Progressive growing needs column '{options.FeatureColumnName}' to be Vector<Single, C, H, W> with H and W divisible by 4; it is Vector<Single, {string.Join(", ", dims)}>.",
                nameof(options.ProgressiveGrowing));
        if (options.Architecture == GanArchitecture.Convolutional && !image)
            throw new ArgumentOutOfRangeException(nameof(options.Architecture), options.Architecture,
                $"The convolutional GAN needs column '{options.FeatureColumnName}' to be Vector<Single, C, H, W> with H and W divisible by 4; it is Vector<Single, {string.Join(", ", dims)}>.");
        if (options.ProgressiveGrowing && ProgressiveLayout.CannotGrow(dims[1], dims[2], options.StartResolution) is { } reason)
            throw new ArgumentOutOfRangeException(nameof(options.StartResolution), options.StartResolution,
                $"Progressive growing doubles the resolution at each stage and cannot grow column '{options.FeatureColumnName}' ({dims[1]}×{dims[2]} images) from {options.StartResolution}: {reason}.");
        return image && options.Architecture != GanArchitecture.Mlp ? dims : null;
    }
}
