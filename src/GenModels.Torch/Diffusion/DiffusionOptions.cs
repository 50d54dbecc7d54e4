using GenModels.Torch.Networks;

namespace GenModels.Torch.Diffusion;

/// <summary>How the forward process adds noise over the T steps.</summary>
public enum NoiseSchedule
{
    /// <summary>β rising linearly from 1e-4 to 0.02 (Ho et al. 2020).</summary>
    Linear,
    /// <summary>ᾱ following a squared cosine (Nichol and Dhariwal 2021): less noise early, better for small data.</summary>
    Cosine,
}

/// <summary>What the denoiser is trained to predict.</summary>
public enum DiffusionPrediction
{
    /// <summary>The noise ε that was added (DDPM).</summary>
    Epsilon,
    /// <summary>The velocity v = √ᾱ·ε − √(1 − ᾱ)·x₀ (Salimans and Ho 2022), better behaved at both ends of the schedule.</summary>
    Velocity,
}

/// <summary>Settings of a <see cref="DiffusionModel"/>: the data, the denoiser network, the noise schedule and training extras.</summary>
public sealed class DiffusionOptions
{
    /// <summary>Values per row.</summary>
    public int DataDimension { get; set; }
    /// <summary>Classes of a conditional model (0 = unconditional).</summary>
    public int ClassCount { get; set; }
    /// <summary>Hidden widths of the MLP denoiser.</summary>
    public int[] HiddenSizes { get; set; } = [256, 256, 256];
    /// <summary>Length of the sinusoidal time embedding (and of the class embedding).</summary>
    public int EmbeddingDimension { get; set; } = 64;
    /// <summary>Fourier features per coordinate fed to the denoiser besides the coordinate itself (0 = none); they let it resolve tight structure in few dimensions.</summary>
    public int InputFrequencies { get; set; }

    /// <summary>
    /// The measured default of <see cref="InputFrequencies"/> for rows of <paramref name="dimension"/> values: 8 up to 16 values,
    /// else none. On a ring of 8 modes with σ = 0.01 (20,000 rows, 50 epochs, MLP 256-256-256), 8 frequencies put 92 % of
    /// DDIM samples within 3σ of a mode (97 % with DDPM), against 0.5 % without: an MLP on raw coordinates cannot resolve
    /// structure that fine. For wide rows the features would multiply the input size, for little gain.
    /// </summary>
    public static int DefaultInputFrequencies(int dimension) => dimension <= 16 ? 8 : 0;
    /// <summary>
    /// C×H×W of image rows (H and W divisible by 4): the denoiser is then a <see cref="DiffusionUNet"/> instead of the MLP
    /// (and <see cref="HiddenSizes"/>, <see cref="InputFrequencies"/> are unused), and the rows are standardised per channel.
    /// Null (the default) builds the MLP.
    /// </summary>
    public int[]? ImageShape { get; set; }
    /// <summary>Channels of the U-Net's full-resolution blocks (twice as many at half and quarter size).</summary>
    public int UNetChannels { get; set; } = 32;
    /// <summary>Whether the U-Net has self-attention at its lowest resolution.</summary>
    public bool UNetAttention { get; set; } = true;
    /// <summary>Non-linearity of the denoiser.</summary>
    public Activation Activation { get; set; } = Activation.SiLU;
    /// <summary>Diffusion steps T.</summary>
    public int Steps { get; set; } = 1000;
    /// <summary>
    /// The noise schedule. Cosine by default: on a three-mode mixture (1,500 rows, 400 epochs, DDIM 50 steps) cosine with
    /// velocity put 95 % of samples within 4σ of a mode, against 42 % for cosine with ε and 88 % for linear with ε.
    /// </summary>
    public NoiseSchedule Schedule { get; set; } = NoiseSchedule.Cosine;
    /// <summary>The training target; velocity by default (see <see cref="Schedule"/> for the measurement).</summary>
    public DiffusionPrediction Prediction { get; set; } = DiffusionPrediction.Velocity;
    /// <summary>Decay of the moving average of denoiser weights used for sampling.</summary>
    public double EmaDecay { get; set; } = 0.995;
    /// <summary>Probability that a row's class is dropped in training, so one network also learns the unconditional model (classifier-free guidance).</summary>
    public double LabelDropout { get; set; } = 0.1;

    /// <summary>True for a class-conditional model.</summary>
    public bool IsConditional => ClassCount > 0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (DataDimension <= 0) throw new ArgumentOutOfRangeException(nameof(DataDimension), DataDimension, "The data dimension must be positive.");
        if (ClassCount < 0 || ClassCount == 1) throw new ArgumentOutOfRangeException(nameof(ClassCount), ClassCount, "A conditional model needs at least 2 classes (0 = unconditional).");
        if (HiddenSizes is null || HiddenSizes.Length == 0 || HiddenSizes.Any(h => h <= 0))
            throw new ArgumentOutOfRangeException(nameof(HiddenSizes), "The denoiser needs at least one positive hidden size.");
        if (EmbeddingDimension < 2 || EmbeddingDimension % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(EmbeddingDimension), EmbeddingDimension, "The embedding dimension must be even and at least 2.");
        if (ImageShape is not null)
        {
            if (ImageShape.Length != 3 || ImageShape.Any(d => d <= 0) || ImageShape[1] % 4 != 0 || ImageShape[2] % 4 != 0)
                throw new ArgumentOutOfRangeException(nameof(ImageShape), $"[{string.Join(", ", ImageShape)}]",
                    "The U-Net denoiser needs a C×H×W shape with height and width divisible by 4.");
            if ((long)ImageShape[0] * ImageShape[1] * ImageShape[2] != DataDimension)
                throw new ArgumentOutOfRangeException(nameof(ImageShape), $"[{string.Join(", ", ImageShape)}]", $"The image shape must hold the {DataDimension} values of a row.");
            if (UNetChannels < 1 || UNetChannels > 1024) throw new ArgumentOutOfRangeException(nameof(UNetChannels), UNetChannels, "Between 1 and 1,024 U-Net channels.");
        }
        if (InputFrequencies < 0 || InputFrequencies > 16) throw new ArgumentOutOfRangeException(nameof(InputFrequencies), InputFrequencies, "Between 0 and 16 input frequencies.");
        if (Steps < 2 || Steps > 100_000) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "The number of diffusion steps must be between 2 and 100,000.");
        if (!(EmaDecay >= 0 && EmaDecay < 1)) throw new ArgumentOutOfRangeException(nameof(EmaDecay), EmaDecay, "The EMA decay must be in [0, 1).");
        if (!(LabelDropout >= 0 && LabelDropout < 1)) throw new ArgumentOutOfRangeException(nameof(LabelDropout), LabelDropout, "The label dropout must be in [0, 1).");
    }
}

/// <summary>
/// One denoising step of a batch, as <see cref="SamplingOptions.OnStep"/> receives it. <see cref="Current"/> is x_t after
/// the step (the last step's is the batch's result) and <see cref="Predicted"/> is the model's estimate x̂₀ of the clean rows
/// at that step; both are in the data's own units, flat (row after row, <see cref="Rows"/> rows), and the receiver's to keep.
/// </summary>
/// <param name="Done">Steps done in this batch, 1 to <paramref name="Total"/>.</param>
/// <param name="Total">Steps the sampler takes.</param>
/// <param name="Timestep">The diffusion step t (T − 1 … 0) the step started from.</param>
/// <param name="Rows">Rows in the batch.</param>
/// <param name="Current">x_t after the step, in the data's units.</param>
/// <param name="Predicted">x̂₀ predicted at the step, in the data's units.</param>
public sealed record DenoisingStep(int Done, int Total, int Timestep, int Rows, float[] Current, float[] Predicted);

/// <summary>How to draw samples from a trained <see cref="DiffusionModel"/>.</summary>
public sealed class SamplingOptions
{
    /// <summary>Denoising steps: all T for DDPM; fewer for DDIM (which skips along a subsequence of the T steps).</summary>
    public int? Steps { get; set; }
    /// <summary>DDIM's η in [0, 1]: 0 is deterministic given the starting noise; 1 adds DDPM's amount of fresh noise at each step.</summary>
    public double Eta { get; set; }
    /// <summary>
    /// Classifier-free guidance scale s ≥ 0 for a conditional model: ε = ε_uncond + s·(ε_cond − ε_uncond). 1 is the plain
    /// conditional model, 0 ignores the class, values above 1 push samples harder towards their class.
    /// </summary>
    public double GuidanceScale { get; set; } = 1;
    /// <summary>Use DDPM's ancestral sampler (all T steps, fresh noise each step) instead of DDIM.</summary>
    public bool Ancestral { get; set; }
    /// <summary>Receives (steps done, steps in all) while a batch is sampled.</summary>
    public IProgress<(int Done, int Total)>? Progress { get; set; }
    /// <summary>Stops sampling between steps with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; set; }
    /// <summary>
    /// If set, called synchronously after every denoising step of every batch with the batch's state (see
    /// <see cref="DenoisingStep"/>), to show how samples form. Each call copies the batch twice; leave it null otherwise.
    /// </summary>
    public Action<DenoisingStep>? OnStep { get; set; }

    /// <summary>Throws naming the first setting that does not fit a model of <paramref name="diffusionSteps"/> steps.</summary>
    public void Validate(int diffusionSteps)
    {
        if (Steps is { } s && (s < 1 || s > diffusionSteps))
            throw new ArgumentOutOfRangeException(nameof(Steps), s, $"The sampling steps must be between 1 and the model's {diffusionSteps} diffusion steps.");
        if (Ancestral && Steps is { } a && a != diffusionSteps)
            throw new ArgumentOutOfRangeException(nameof(Steps), a, $"The ancestral (DDPM) sampler takes all {diffusionSteps} steps; use DDIM for fewer.");
        if (!(Eta >= 0 && Eta <= 1)) throw new ArgumentOutOfRangeException(nameof(Eta), Eta, "η must be in [0, 1].");
        if (!(GuidanceScale >= 0) || double.IsInfinity(GuidanceScale))
            throw new ArgumentOutOfRangeException(nameof(GuidanceScale), GuidanceScale, "The guidance scale must be a finite number ≥ 0.");
    }
}
