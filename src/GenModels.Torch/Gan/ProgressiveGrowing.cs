using GenModels.Torch.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenModels.Torch.Gan;

// Progressive growing (Karras et al. 2018, "Progressive Growing of GANs"): training starts at a low resolution and adds
// one generator block and one discriminator block per stage, doubling the resolution each time, until the target is
// reached. A new block is faded in: during the first part of its stage, the output is
// α · (new block's image) + (1 − α) · (previous stage's image, upsampled), with α going from 0 to 1, and the real images
// the discriminator sees are blended the same way from their average-pooled versions.
//
// The networks here are the DCGAN-style networks of GanGenerator/GanDiscriminator, grown from the other end: starting at
// StartResolution = H/4 they are, at their last stage, those very networks plus the unused "to image" (1×1) and
// "from image" (3×3) layers of the earlier stages, so a growing and a non-growing GAN differ only in how they were trained.

/// <summary>
/// Where a progressively grown GAN is in its schedule: the current stage (0 = <see cref="GanOptions.StartResolution"/>,
/// <see cref="FinalStage"/> = the full resolution) and the fade-in weight α of that stage's new block. A new state, and
/// a trained or loaded network's, sits at the final stage with α = 1.
/// </summary>
public sealed class GrowthState
{
    private readonly GanOptions options;

    /// <summary>A state at the final stage for networks built from <paramref name="options"/> (validated, growing).</summary>
    public GrowthState(GanOptions options)
    {
        this.options = options;
        FinalStage = ProgressiveLayout.StageCount(options) - 1;
        Stage = FinalStage;
    }

    /// <summary>Index of the last stage (the number of doublings from the start resolution to the full one).</summary>
    public int FinalStage { get; }
    /// <summary>The current stage, 0 to <see cref="FinalStage"/>.</summary>
    public int Stage { get; private set; }
    /// <summary>Weight of the current stage's new block, in [0, 1] (1 at stage 0, which has no new block).</summary>
    public double Alpha { get; private set; } = 1;

    /// <summary>Image height and width at the current stage.</summary>
    public (int Height, int Width) Resolution => ProgressiveLayout.Resolution(options, Stage);

    /// <summary>Moves to <paramref name="stage"/> with fade-in weight <paramref name="alpha"/>.</summary>
    public void Set(int stage, double alpha)
    {
        if (stage < 0 || stage > FinalStage) throw new ArgumentOutOfRangeException(nameof(stage), stage, $"The stage must be in [0, {FinalStage}].");
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The fade-in weight must be in [0, 1].");
        Stage = stage;
        Alpha = stage == 0 ? 1 : alpha;
    }

    /// <summary>Moves to the final stage, fully faded in: the state of a trained network.</summary>
    public void Complete() => Set(FinalStage, 1);

    /// <summary>True while a new block is being faded in (0 ≤ α &lt; 1 at a stage above 0).</summary>
    public bool IsFading => Stage > 0 && Alpha < 1;

    /// <summary>
    /// Real rows [n, C·H·W] as the discriminator sees them at the current stage: average-pooled to the stage's
    /// resolution and, while a block fades in, blended with their half-resolution version upsampled (nearest), as the
    /// generator's output is. Flattened again.
    /// </summary>
    public Tensor Downsample(Tensor real)
    {
        if (Stage == FinalStage && Alpha >= 1) return real;
        int channels = options.ImageShape![0], height = options.ImageShape[1], width = options.ImageShape[2];
        var image = real.view(real.shape[0], channels, height, width);
        int factor = 1 << (FinalStage - Stage);
        if (factor > 1) image = nn.functional.avg_pool2d(image, factor);
        if (IsFading) image = Alpha * image + (1 - Alpha) * ProgressiveLayout.Upsample(nn.functional.avg_pool2d(image, 2));
        return image.flatten(1);
    }
}

/// <summary>
/// The schedule of a progressively grown GAN over <paramref name="PlannedSteps"/> optimiser steps: the steps are split
/// evenly over <paramref name="Stages"/> stages; every stage after the first spends its first
/// <paramref name="FadeInShare"/> of steps fading its new block in (α rising linearly from 0 to 1) and the rest
/// stabilising at α = 1.
/// </summary>
/// <param name="Stages">Number of stages (doublings + 1).</param>
/// <param name="FadeInShare">Share of each grown stage spent fading, in [0, 1].</param>
/// <param name="PlannedSteps">Optimiser steps of the whole training run.</param>
public sealed record GrowthSchedule(int Stages, double FadeInShare, long PlannedSteps)
{
    /// <summary>The stage and fade-in weight of step <paramref name="step"/> (0-based); steps past the plan stay at the final stage.</summary>
    public (int Stage, double Alpha) At(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "Steps count from 0.");
        long planned = Math.Max(1, PlannedSteps);
        int stage = (int)Math.Min(Stages - 1, step * Stages / planned);
        if (stage == 0) return (0, 1);
        long start = Start(stage), length = Start(stage + 1) - start;
        double fadeSteps = FadeInShare * length;
        double alpha = fadeSteps <= 0 ? 1 : Math.Min(1, (step - start) / fadeSteps);
        return (stage, alpha);
    }

    /// <summary>True from the step on which the final stage is fully faded in.</summary>
    public bool IsFinal(long step) => At(step) is var (stage, alpha) && stage == Stages - 1 && alpha >= 1;

    // First step of a stage: stage s covers steps [⌈s·T/n⌉, ⌈(s+1)·T/n⌉), which is where step·n/T (floored) reaches s.
    private long Start(int stage) => (stage * Math.Max(1, PlannedSteps) + Stages - 1) / Stages;
}

/// <summary>The arithmetic of progressive growing shared by the networks, the step and the validation.</summary>
public static class ProgressiveLayout
{
    /// <summary>Number of stages: doublings from <see cref="GanOptions.StartResolution"/> to the image height, plus one.</summary>
    public static int StageCount(GanOptions options) =>
        1 + (int)Math.Round(Math.Log2((double)options.ImageShape![1] / options.StartResolution));

    /// <summary>Image height and width at <paramref name="stage"/>: the full size halved once per stage still to come.</summary>
    public static (int Height, int Width) Resolution(GanOptions options, int stage)
    {
        int shift = StageCount(options) - 1 - stage;
        return (options.ImageShape![1] >> shift, options.ImageShape[2] >> shift);
    }

    /// <summary>
    /// Why <paramref name="height"/>×<paramref name="width"/> images cannot be grown from <paramref name="startResolution"/>,
    /// or null when they can: the height must be the start resolution doubled at least once, and the width divisible by
    /// the same power of two.
    /// </summary>
    public static string? CannotGrow(int height, int width, int startResolution)
    {
        if (startResolution < 1 || height % startResolution != 0) return $"{height} is not a multiple of the start resolution {startResolution}";
        int factor = height / startResolution;
        if (factor < 2 || (factor & (factor - 1)) != 0) return $"{height} / {startResolution} = {factor} is not a power of two ≥ 2";
        if (width % factor != 0) return $"the width {width} is not divisible by {factor}";
        return null;
    }

    /// <summary>
    /// Feature channels at the resolution H/2^<paramref name="level"/>: the image's channels at level 0, then the DCGAN's
    /// c at H/2 and 2c below (c = <see cref="GanOptions.ConvolutionChannels"/>), so that a lower start resolution adds
    /// only small low-resolution blocks.
    /// </summary>
    public static long Channels(GanOptions options, int level) =>
        level == 0 ? options.ImageShape![0] : (long)options.ConvolutionChannels << (Math.Min(level, 2) - 1);

    /// <summary>Nearest-neighbour upsampling by 2 of an [n, C, H, W] tensor.</summary>
    public static Tensor Upsample(Tensor image) => image.repeat_interleave(2, 2).repeat_interleave(2, 3);

    internal static nn.Module<Tensor, Tensor> Conv(GanOptions o, long input, long output, long kernel, long stride, long padding) =>
        o.SpectralNormalization
            ? new SpectralNormConv2d("sn_conv", input, output, kernel, stride, padding)
            : nn.Conv2d(input, output, kernel, stride: stride, padding: padding);
}

/// <summary>
/// The growing generator body: [z, one-hot] → Linear → features at the start resolution, then one transposed
/// convolution (4×4, stride 2) per stage, and a 1×1 "to image" layer per stage below the last (the last block draws the
/// image itself). Returns flattened images at the current stage's resolution, already squashed by the output
/// non-linearity, so that fading mixes images in the data's range as the real rows are mixed.
/// </summary>
public sealed class ProgressiveGeneratorBody : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> project;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> blocks;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> to_image;
    private readonly GanOptions options;
    private readonly GrowthState growth;

    /// <summary>Builds every stage's layers; <paramref name="growth"/> says which are used.</summary>
    public ProgressiveGeneratorBody(string name, int input, GanOptions options, GrowthState growth) : base(name)
    {
        this.options = options;
        this.growth = growth;
        int last = growth.FinalStage;
        var (h0, w0) = ProgressiveLayout.Resolution(options, 0);
        long c0 = ProgressiveLayout.Channels(options, last);
        project = nn.Sequential(
            ("linear", nn.Linear(input, c0 * h0 * w0)),
            ("act", Activations.Create(options.Activation)),
            ("reshape", nn.Unflatten(1, new long[] { c0, h0, w0 })));                           // c0×h0×w0
        blocks = new ModuleList<nn.Module<Tensor, Tensor>>();
        to_image = new ModuleList<nn.Module<Tensor, Tensor>>();
        for (int stage = 1; stage <= last; stage++)
        {
            long from = ProgressiveLayout.Channels(options, last - stage + 1), to = ProgressiveLayout.Channels(options, last - stage);
            var up = nn.ConvTranspose2d(from, to, 4, stride: 2, padding: 1);                      // doubles H and W
            blocks.Add(stage < last ? nn.Sequential(("up", up), ("act", Activations.Create(options.Activation))) : up);
        }
        for (int stage = 0; stage < last; stage++)
            to_image.Add(nn.Conv2d(ProgressiveLayout.Channels(options, last - stage), options.ImageShape![0], 1));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        int stage = growth.Stage;
        var h = project.forward(input);
        for (int s = 1; s < stage; s++) h = blocks[s - 1].forward(h);
        if (stage == 0) return ToImage(0, h).flatten(1);
        var image = ToImage(stage, blocks[stage - 1].forward(h));
        if (growth.IsFading) image = growth.Alpha * image + (1 - growth.Alpha) * ProgressiveLayout.Upsample(ToImage(stage - 1, h));
        return image.flatten(1);
    }

    private Tensor ToImage(int stage, Tensor features) =>
        GanGenerator.Squash(stage == growth.FinalStage ? features : to_image[stage].forward(features), options.Output);
}

/// <summary>
/// The growing discriminator body: a "from image" layer per stage below the last (the last takes the image into its first
/// block directly), then one convolution (4×4, stride 2) per stage down to the start resolution. The "from image" layers
/// are 3×3 convolutions, not the paper's 1×1: at the first stage they are the discriminator's only convolution, and a
/// discriminator that sees each pixel on its own (1×1, then a linear head) can only match the pixels' marginal
/// distributions, not shapes. Takes flattened
/// images at the current stage's resolution and returns flattened features of the start resolution, whose size does not
/// change with the stage (so the head and the projection stay the same).
/// </summary>
public sealed class ProgressiveDiscriminatorBody : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> from_image;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> blocks;
    private readonly GanOptions options;
    private readonly GrowthState growth;

    /// <summary>Builds every stage's layers; <paramref name="growth"/> says which are used.</summary>
    public ProgressiveDiscriminatorBody(string name, GanOptions options, GrowthState growth) : base(name)
    {
        this.options = options;
        this.growth = growth;
        int last = growth.FinalStage;
        from_image = new ModuleList<nn.Module<Tensor, Tensor>>();
        for (int stage = 0; stage < last; stage++)
            from_image.Add(nn.Sequential(
                ("conv", ProgressiveLayout.Conv(options, options.ImageShape![0], ProgressiveLayout.Channels(options, last - stage), 3, 1, 1)),
                ("act", nn.LeakyReLU(0.2))));
        blocks = new ModuleList<nn.Module<Tensor, Tensor>>();                                     // block j: level j → j + 1 (halves H and W)
        for (int level = 0; level < last; level++)
            blocks.Add(nn.Sequential(
                ("down", ProgressiveLayout.Conv(options, ProgressiveLayout.Channels(options, level), ProgressiveLayout.Channels(options, level + 1), 4, 2, 1)),
                ("act", nn.LeakyReLU(0.2))));
        RegisterComponents();
    }

    /// <summary>Length of the features this body returns: channels × height × width at the start resolution.</summary>
    public static long FeatureSize(GanOptions options)
    {
        var (h0, w0) = ProgressiveLayout.Resolution(options, 0);
        return ProgressiveLayout.Channels(options, ProgressiveLayout.StageCount(options) - 1) * h0 * w0;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        int stage = growth.Stage, first = growth.FinalStage - stage; // the first active block's level
        var (height, width) = growth.Resolution;
        var image = x.view(x.shape[0], options.ImageShape![0], height, width);
        var h = FromImage(stage, image);
        if (stage > 0)
        {
            h = blocks[first].forward(h);
            if (growth.IsFading) h = growth.Alpha * h + (1 - growth.Alpha) * FromImage(stage - 1, nn.functional.avg_pool2d(image, 2));
        }
        for (int level = first + 1; level < growth.FinalStage; level++) h = blocks[level].forward(h);
        return h.flatten(1);
    }

    private Tensor FromImage(int stage, Tensor image) => stage == growth.FinalStage ? image : from_image[stage].forward(image);
}
