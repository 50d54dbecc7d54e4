using GenModels.Torch.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Gan;

/// <summary>
/// A GAN: a generator, a discriminator, and an exponential moving average (EMA) of the generator's weights that is
/// used for generation because it is smoother than the last training iterate.
/// </summary>
public sealed class GenerativeAdversarialNetwork : nn.Module
{
    private readonly GanGenerator generator;
    private readonly GanDiscriminator discriminator;
    private readonly GanGenerator generator_ema;

    /// <summary>Builds the three networks from <paramref name="options"/> (validated here); the EMA starts as a copy of the generator.</summary>
    public GenerativeAdversarialNetwork(GanOptions options) : base(nameof(GenerativeAdversarialNetwork))
    {
        options.Validate();
        Options = options;
        Growth = options.ProgressiveGrowing ? new GrowthState(options) : null;
        generator = new GanGenerator("generator", options, Growth);
        discriminator = new GanDiscriminator("discriminator", options, Growth);
        generator_ema = new GanGenerator("generator_ema", options); // generation always draws full-size images
        RegisterComponents();
        WeightAverage.Start(generator_ema, generator);
    }

    /// <summary>The options the network was built from.</summary>
    public GanOptions Options { get; }
    /// <summary>
    /// The stage and fade-in of progressive growing that <see cref="Generator"/> and <see cref="Discriminator"/> train at
    /// (the final stage once trained or loaded); null without growing. <see cref="Generate"/> always draws full-size images.
    /// </summary>
    public GrowthState? Growth { get; }
    /// <summary>The trained generator.</summary>
    public GanGenerator Generator => generator;
    /// <summary>The discriminator.</summary>
    public GanDiscriminator Discriminator => discriminator;
    /// <summary>The weight-averaged generator used by <see cref="Generate"/>.</summary>
    public GanGenerator AveragedGenerator => generator_ema;

    /// <summary>Moves the EMA weights towards the generator's: ema ← decay·ema + (1 − decay)·weights.</summary>
    public void UpdateAverage() => WeightAverage.Update(generator_ema, generator, Options.EmaDecay);

    /// <summary>Standard normal noise for <paramref name="count"/> rows.</summary>
    public Tensor SampleNoise(long count, Generator? generator = null) =>
        randn(new[] { count, (long)Options.NoiseDimension }, generator: generator);

    /// <summary>Rows from the averaged generator for noise <paramref name="z"/> and class indices (conditional only).</summary>
    public Tensor Generate(Tensor z, Tensor? labels = null)
    {
        using var noGrad = no_grad();
        if (Options.IsConditional)
        {
            if (labels is null) throw new ArgumentNullException(nameof(labels), "A conditional GAN needs a class index per row.");
            using var outOfRange = labels.lt(0).logical_or(labels.ge(Options.ClassCount)).any();
            if (outOfRange.item<bool>()) throw new ArgumentOutOfRangeException(nameof(labels), $"Class indices must be in [0, {Options.ClassCount}).");
        }
        return generator_ema.forward(z, labels);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) { generator.Dispose(); discriminator.Dispose(); generator_ema.Dispose(); }
        base.Dispose(disposing);
    }
}
