using GenModels.MLNet.Data;
using GenModels.Torch.Diffusion;
using GenModels.Torch.Networks;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet.Diffusion;

/// <summary>
/// Trains a denoising diffusion model (DDPM; conditional with classifier-free guidance when a label column is given) on a
/// vector column and produces a <see cref="DiffusionTransformer"/> whose <see cref="DiffusionTransformer.Generate"/> is a
/// data source of synthetic rows. Created by <c>mlContext.Generative().Diffusion(...)</c>.
/// </summary>
public sealed class DiffusionEstimator : GenerativeEstimatorBase<DiffusionEstimator.Options, DiffusionTransformer>
{
    /// <summary>Options of <see cref="DiffusionEstimator"/>.</summary>
    public sealed class Options : TrainingRunOptions
    {
        // The network and schedule defaults live in GenModels.Torch's DiffusionOptions; these fields start from them.
        private static readonly DiffusionOptions Model = new();

        /// <summary>
        /// Creates options with the diffusion defaults: learning rate 1e-3 and, while <see cref="TrainingRunOptions.Epochs"/>
        /// is unset, enough epochs for about 10,000 optimiser steps (<see cref="TrainingBudget.DiffusionTargetSteps"/>).
        /// </summary>
        public Options() => TargetSteps = TrainingBudget.DiffusionTargetSteps;

        /// <summary>The column to imitate: a known-size vector of Single. The model standardises it itself.</summary>
        public string FeatureColumnName = "Features";
        /// <summary>If set, a text or key column of classes: the model becomes conditional and generates per class.</summary>
        public string? LabelColumnName;
        /// <summary>Name of the optional input column of starting noise x_T (length = the feature size) that <see cref="BatchedTransformerBase.Transform"/> uses when present.</summary>
        public string NoiseColumnName = "Noise";
        /// <summary>Hidden widths of the MLP denoiser.</summary>
        public int[] HiddenSizes = Model.HiddenSizes.ToArray();
        /// <summary>Length of the time (and class) embedding; even.</summary>
        public int EmbeddingDimension = Model.EmbeddingDimension;
        /// <summary>
        /// Fourier features per coordinate for the denoiser (0 to 16; 0 = none). Null (the default) picks 8 for columns of up
        /// to 16 values and none for wider ones (see <c>DiffusionOptions.DefaultInputFrequencies</c> for the measurement).
        /// </summary>
        public int? InputFrequencies;
        /// <summary>
        /// The denoiser. Null (the default) picks a U-Net (<see cref="NetworkArchitecture.Convolutional"/>: residual blocks
        /// conditioned on the step and class, self-attention at a quarter of the size, skip connections) when the feature
        /// column holds C×H×W images with H and W divisible by 4 — an <c>MLImage</c> column or a
        /// <c>Vector&lt;Single, C, H, W&gt;</c> — and the MLP of <see cref="HiddenSizes"/> otherwise.
        /// </summary>
        public NetworkArchitecture? Architecture;
        /// <summary>Channels of the U-Net's full-size blocks (twice as many at half and quarter size).</summary>
        public int UNetChannels = Model.UNetChannels;
        /// <summary>Whether the U-Net has self-attention at its lowest resolution.</summary>
        public bool UNetAttention = Model.UNetAttention;
        /// <summary>Diffusion steps T (2 to 100,000).</summary>
        public int DiffusionSteps = Model.Steps;
        /// <summary>The noise schedule: cosine (Nichol and Dhariwal; the default, measured best) or linear (Ho et al.).</summary>
        public NoiseSchedule Schedule = Model.Schedule;
        /// <summary>The training target: the velocity v (the default, measured best with DDIM) or the noise ε (DDPM).</summary>
        public DiffusionPrediction Prediction = Model.Prediction;
        /// <summary>Decay of the moving average of denoiser weights used for sampling.</summary>
        public double EmaDecay = Model.EmaDecay;
        /// <summary>Probability of dropping a row's class in training (classifier-free guidance needs the unconditional model too).</summary>
        public double LabelDropout = Model.LabelDropout;
        /// <summary>Default denoising steps of <see cref="DiffusionTransformer.Generate"/> (DDIM); at most <see cref="DiffusionSteps"/>.</summary>
        public int SamplingSteps = 50;
        /// <summary>Default DDIM η in [0, 1]: 0 makes a row a deterministic function of its starting noise.</summary>
        public double Eta;
        /// <summary>Default guidance scale (≥ 0) of a conditional model: 1 is plain conditional sampling, above 1 sharpens classes.</summary>
        public double GuidanceScale = 1;

        internal override string TrainingColumnName => FeatureColumnName;
        private protected override IEnumerable<string?> OutputNames() => [FeatureColumnName];
        private protected override void CopyArrays() => HiddenSizes = HiddenSizes?.ToArray()!;

        internal override void Validate()
        {
            CheckName(FeatureColumnName, nameof(FeatureColumnName));
            CheckName(NoiseColumnName, nameof(NoiseColumnName));
            if (LabelColumnName is not null) CheckName(LabelColumnName, nameof(LabelColumnName));
            if (LabelColumnName == FeatureColumnName || NoiseColumnName == FeatureColumnName || NoiseColumnName == LabelColumnName)
                throw new ArgumentException("The feature, label and noise columns need different names.", nameof(NoiseColumnName));
            ToDiffusionOptions([1], 0).Validate();
            DefaultSampling().Validate(DiffusionSteps);
            base.Validate();
        }

        internal DiffusionOptions ToDiffusionOptions(int[] shape, int classCount)
        {
            int dimension = shape.Aggregate(1, (a, d) => a * d);
            bool unet = ResolveArchitecture(Architecture, shape) == NetworkArchitecture.Convolutional;
            return new()
            {
                DataDimension = dimension, ClassCount = classCount, HiddenSizes = HiddenSizes?.ToArray()!, EmbeddingDimension = EmbeddingDimension,
                InputFrequencies = unet ? 0 : InputFrequencies ?? DiffusionOptions.DefaultInputFrequencies(dimension),
                ImageShape = unet ? shape.ToArray() : null, UNetChannels = UNetChannels, UNetAttention = UNetAttention,
                Steps = DiffusionSteps, Schedule = Schedule, Prediction = Prediction, EmaDecay = EmaDecay, LabelDropout = LabelDropout,
            };
        }

        internal SamplingOptions DefaultSampling() => new() { Steps = SamplingSteps, Eta = Eta, GuidanceScale = GuidanceScale };
    }

    internal DiffusionEstimator(IHostEnvironment env, Options options) : base(env, options) { }

    /// <summary>Checks that the training columns exist with usable types; as a transform the model maps labels (and noise) to the feature column.</summary>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        EstimatorFitting.GeneratorOutputShape(inputSchema, options.FeatureColumnName, options.LabelColumnName);

    /// <summary>Trains the model on every row of <paramref name="input"/>.</summary>
    public override DiffusionTransformer Fit(IDataView input)
    {
        using var prepared = EstimatorFitting.PrepareGenerator(env, nameof(DiffusionEstimator), input, options, options.LabelColumnName);
        var data = prepared.Data;
        var diffusionOptions = options.ToDiffusionOptions(prepared.Shape, prepared.Labels?.ClassNames.Count ?? 0);
        var (model, result) = EstimatorFitting.Train(env, "Diffusion", options, data.Seed, (int)data.Rows.shape[0],
            training => DiffusionTraining.Fit(data.Rows, diffusionOptions, training));
        return new DiffusionTransformer(model, options.FeatureColumnName, prepared.Shape, data.SlotNames, prepared.Labels, options.NoiseColumnName,
            options.TransformBatchSize, data.Seed, prepared.IsImage, options.DefaultSampling(), result);
    }
}
