using GenModels.Torch.Networks;

namespace GenModels.Torch.Gan;

/// <summary>The GAN objective.</summary>
public enum GanLoss
{
    /// <summary>
    /// The standard non-saturating loss: D minimises softplus(−D(x)) + softplus(D(G(z))); G minimises softplus(−D(G(z))).
    /// With the R1 gradient penalty (<see cref="GanOptions.GradientPenalty"/>, on by default) it resists mode collapse and
    /// instability; without it, it is the plain loss.
    /// </summary>
    NonSaturating,
    /// <summary>Hinge loss: D minimises relu(1 − D(x)) + relu(1 + D(G(z))); G minimises −D(G(z)). Usually paired with spectral normalisation.</summary>
    Hinge,
}

/// <summary>The generator's last non-linearity, chosen to match the range of the data.</summary>
public enum GeneratorOutput
{
    /// <summary>No squashing: any real values.</summary>
    Linear,
    /// <summary>Values in (0, 1), e.g. min-max normalised features or pixel intensities.</summary>
    Sigmoid,
    /// <summary>Values in (−1, 1).</summary>
    Tanh,
}

/// <summary>Which network family a GAN uses.</summary>
public enum GanArchitecture
{
    /// <summary>Multi-layer perceptrons over flat vectors.</summary>
    Mlp,
    /// <summary>DCGAN-style convolutional networks over C×H×W images (H and W divisible by 4).</summary>
    Convolutional,
}

/// <summary>Everything needed to build a <see cref="GenerativeAdversarialNetwork"/> before loading its weights.</summary>
public sealed class GanOptions
{
    /// <summary>Length of each data row (C·H·W for images).</summary>
    public int DataDimension { get; set; }
    /// <summary>Image shape [C, H, W] for the convolutional architecture; null for vectors.</summary>
    public int[]? ImageShape { get; set; }
    /// <summary>Network family.</summary>
    public GanArchitecture Architecture { get; set; } = GanArchitecture.Mlp;
    /// <summary>Length of the generator's noise input z.</summary>
    public int NoiseDimension { get; set; } = DefaultNoiseDimension;
    /// <summary>Number of classes for a conditional GAN; 0 for an unconditional one.</summary>
    public int ClassCount { get; set; }
    /// <summary>MLP generator hidden widths (noise side first).</summary>
    public int[] GeneratorHiddenSizes { get; set; } = [128, 128];
    /// <summary>MLP discriminator hidden widths (data side first).</summary>
    public int[] DiscriminatorHiddenSizes { get; set; } = [128, 128];
    /// <summary>Base channel count of the convolutional networks.</summary>
    public int ConvolutionChannels { get; set; } = 64;
    /// <summary>Non-linearity between hidden layers.</summary>
    public Activation Activation { get; set; } = Activation.LeakyReLU;
    /// <summary>The generator's output squashing.</summary>
    public GeneratorOutput Output { get; set; } = GeneratorOutput.Linear;
    /// <summary>The objective.</summary>
    public GanLoss Loss { get; set; } = GanLoss.NonSaturating;
    /// <summary>
    /// Spectral normalisation of every discriminator layer (bounds its Lipschitz constant by 1). It suits data whose
    /// samples lie far apart, such as images in [−1, 1]; on low-dimensional or [0, 1]-scaled data a 1-Lipschitz
    /// discriminator cannot separate nearby points and training stalls.
    /// </summary>
    public bool SpectralNormalization { get; set; }
    /// <summary>
    /// Weight γ of the R1 penalty γ/2·E‖∇ₓD(x)‖² on real rows (Mescheder et al., 2018): it keeps the discriminator from
    /// growing steep around the data, which stabilises training; 0 = off.
    /// </summary>
    public double GradientPenalty { get; set; } = 0.1;
    /// <summary>Decay of the exponential moving average of generator weights used for generation (0 = no averaging).</summary>
    public double EmaDecay { get; set; } = 0.99;
    /// <summary>
    /// Share of the training loop's planned steps after which both learning rates decay linearly towards zero (CycleGAN's
    /// policy, <see cref="Training.LearningRateDecay"/>); 1 keeps them constant. A falling rate lets the generator settle
    /// on narrow modes instead of jittering around them at the rate's scale.
    /// </summary>
    public double LearningRateDecayStart { get; set; } = 1;
    /// <summary>
    /// Rows the discriminator judges together (PacGAN, Lin et al. 2018): it sees <see cref="Pac"/> real or fake rows
    /// concatenated into one input, so a generator that drops modes or repeats itself becomes visible to it. 1 = no packing.
    /// MLP architecture and unconditional GANs only. It shapes the discriminator, so it is saved with the network.
    /// </summary>
    public int Pac { get; set; } = 1;
    /// <summary>
    /// Progressive growing (Karras et al. 2018), convolutional architecture only: training starts at
    /// <see cref="StartResolution"/> and adds a generator and a discriminator block per stage, doubling the resolution,
    /// fading each new block in (see <see cref="GrowthSchedule"/> and <see cref="ProgressiveGeneratorBody"/>). The trained generator draws full-size images.
    /// </summary>
    public bool ProgressiveGrowing { get; set; }
    /// <summary>
    /// Image height at the first stage of progressive growing; the height must be this doubled at least once (4 grows
    /// 32×32 images in 4 stages: 4, 8, 16, 32) and the width scales by the same factor. Checked even when growing is off.
    /// </summary>
    public int StartResolution { get; set; } = DefaultStartResolution;
    /// <summary>Share of each grown stage's steps spent fading its new block in (the rest stabilises), in [0, 1]. Checked even when growing is off.</summary>
    public double FadeInShare { get; set; } = DefaultFadeInShare;

    /// <summary>Default <see cref="NoiseDimension"/>; the estimator gives vector columns shorter than this noise of their own length.</summary>
    public const int DefaultNoiseDimension = 32;
    /// <summary>
    /// <see cref="LearningRateDecayStart"/> that the estimator picks for the MLP networks of vector columns: constant for the
    /// first half of the steps, then a linear decay. On the tight mixtures of the diffusion-modes benchmark it raised the share
    /// of samples within 3σ of a mode (see the README's "Tight mixtures" table).
    /// </summary>
    public const double DefaultVectorLearningRateDecayStart = 0.5;
    /// <summary>Default <see cref="StartResolution"/>: the paper's 4×4.</summary>
    public const int DefaultStartResolution = 4;
    /// <summary>Default <see cref="FadeInShare"/>: half fading, half stabilising, as in the paper.</summary>
    public const double DefaultFadeInShare = 0.5;

    /// <summary>True for a conditional GAN.</summary>
    public bool IsConditional => ClassCount > 0;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (DataDimension <= 0) throw new ArgumentOutOfRangeException(nameof(DataDimension), DataDimension, "The data dimension must be positive.");
        if (NoiseDimension <= 0) throw new ArgumentOutOfRangeException(nameof(NoiseDimension), NoiseDimension, "The noise dimension must be positive.");
        if (ClassCount < 0 || ClassCount == 1) throw new ArgumentOutOfRangeException(nameof(ClassCount), ClassCount, "A conditional GAN needs at least 2 classes (0 = unconditional).");
        if (GeneratorHiddenSizes is null || GeneratorHiddenSizes.Any(h => h <= 0)) throw new ArgumentOutOfRangeException(nameof(GeneratorHiddenSizes), "Hidden sizes must be given and positive.");
        if (DiscriminatorHiddenSizes is null || DiscriminatorHiddenSizes.Length == 0 || DiscriminatorHiddenSizes.Any(h => h <= 0))
            throw new ArgumentOutOfRangeException(nameof(DiscriminatorHiddenSizes), "The discriminator needs at least one positive hidden size.");
        if (!(GradientPenalty >= 0) || double.IsInfinity(GradientPenalty)) throw new ArgumentOutOfRangeException(nameof(GradientPenalty), GradientPenalty, "The gradient penalty must be a finite number ≥ 0.");
        if (!(EmaDecay >= 0 && EmaDecay < 1)) throw new ArgumentOutOfRangeException(nameof(EmaDecay), EmaDecay, "The EMA decay must be in [0, 1).");
        if (!(LearningRateDecayStart >= 0 && LearningRateDecayStart <= 1))
            throw new ArgumentOutOfRangeException(nameof(LearningRateDecayStart), LearningRateDecayStart, "The learning-rate decay start must be a share of the steps in [0, 1].");
        if (Pac < 1 || Pac > 64) throw new ArgumentOutOfRangeException(nameof(Pac), Pac, "Between 1 and 64 rows per discriminator input.");
        if (Pac > 1 && (Architecture != GanArchitecture.Mlp || IsConditional))
            throw new ArgumentException($"Packing (Pac = {Pac}) needs the MLP architecture and an unconditional GAN: a conditional or convolutional discriminator judges one row at a time.", nameof(Pac));
        if (StartResolution < 1) throw new ArgumentOutOfRangeException(nameof(StartResolution), StartResolution, "The start resolution of progressive growing must be positive.");
        if (!(FadeInShare >= 0 && FadeInShare <= 1)) throw new ArgumentOutOfRangeException(nameof(FadeInShare), FadeInShare, "The fade-in share must be in [0, 1].");
        if (ProgressiveGrowing && Architecture != GanArchitecture.Convolutional)
            throw new ArgumentException($"Progressive growing adds convolutional blocks: it needs the convolutional architecture, not {Architecture}.", nameof(ProgressiveGrowing));
        if (Architecture == GanArchitecture.Convolutional)
        {
            if (ImageShape is not { Length: 3 } s || s.Any(d => d <= 0) || s[1] % 4 != 0 || s[2] % 4 != 0 || s[0] * s[1] * s[2] != DataDimension)
                throw new ArgumentOutOfRangeException(nameof(ImageShape), "The convolutional GAN needs an image shape [C, H, W] with H and W divisible by 4 and C·H·W equal to the data dimension.");
            if (ConvolutionChannels <= 0) throw new ArgumentOutOfRangeException(nameof(ConvolutionChannels), ConvolutionChannels, "Must be positive.");
            if (ProgressiveGrowing && ProgressiveLayout.CannotGrow(s[1], s[2], StartResolution) is { } reason)
                throw new ArgumentOutOfRangeException(nameof(StartResolution), StartResolution,
                    $"Progressive growing doubles the resolution at each stage and cannot grow {s[1]}×{s[2]} images from {StartResolution}: {reason}.");
        }
    }
}
