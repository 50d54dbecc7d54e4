using GenModels.Torch.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenModels.Torch.Gan;

/// <summary>
/// The generator: [z, one-hot(label)] → data row. The body is an MLP or, for images, a DCGAN-style stack of transposed
/// convolutions, or the growing body of progressive growing (<see cref="ProgressiveGeneratorBody"/>); the output squashing
/// matches the data's range.
/// </summary>
public sealed class GanGenerator : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> body;
    private readonly GanOptions options;
    private readonly bool squashedByBody;

    /// <summary>
    /// Builds the generator from <paramref name="options"/>. A progressively grown one draws images at the stage that
    /// <paramref name="growth"/> holds; without a state it has no stages to train and always draws full-size images.
    /// </summary>
    public GanGenerator(string name, GanOptions options, GrowthState? growth = null) : base(name)
    {
        this.options = options;
        int input = options.NoiseDimension + options.ClassCount;
        squashedByBody = options.ProgressiveGrowing;
        body = options.ProgressiveGrowing ? new ProgressiveGeneratorBody("growing", input, options, growth ?? new GrowthState(options))
            : options.Architecture == GanArchitecture.Convolutional ? ConvolutionalBody(input, options)
            : new Mlp("mlp", input, options.GeneratorHiddenSizes, options.DataDimension, options.Activation);
        RegisterComponents();
    }

    /// <summary>Rows generated from noise <paramref name="z"/> ([n, NoiseDimension]) and class indices (int64 [n], conditional only).</summary>
    public override Tensor forward(Tensor z, Tensor? labels)
    {
        var input = options.IsConditional
            ? cat(new[] { z, nn.functional.one_hot(labels ?? throw new ArgumentNullException(nameof(labels), "A conditional generator needs labels."), options.ClassCount).to_type(z.dtype) }, 1)
            : z;
        var x = body.forward(input);
        return squashedByBody ? x : Squash(x, options.Output); // the growing body squashes each stage's image before fading
    }

    /// <summary>The output non-linearity <paramref name="output"/> applied to <paramref name="x"/>.</summary>
    public static Tensor Squash(Tensor x, GeneratorOutput output) => output switch
    {
        GeneratorOutput.Sigmoid => x.sigmoid(),
        GeneratorOutput.Tanh => x.tanh(),
        _ => x,
    };

    // z → Linear → 2c×H/4×W/4 → up 2× → c×H/2×W/2 → up 2× → C×H×W, flattened.
    private static nn.Module<Tensor, Tensor> ConvolutionalBody(int input, GanOptions o)
    {
        int channels = o.ImageShape![0], height = o.ImageShape[1], width = o.ImageShape[2], c = o.ConvolutionChannels;
        return nn.Sequential(
            ("project", nn.Linear(input, 2L * c * (height / 4) * (width / 4))),
            ("act0", Activations.Create(o.Activation)),
            ("reshape", nn.Unflatten(1, new long[] { 2L * c, height / 4, width / 4 })),
            ("up1", nn.ConvTranspose2d(2L * c, c, 4, stride: 2, padding: 1)),
            ("act1", Activations.Create(o.Activation)),
            ("up2", nn.ConvTranspose2d(c, channels, 4, stride: 2, padding: 1)),
            ("flatten", nn.Flatten()));
    }
}

/// <summary>
/// The discriminator: data row → real/fake logit. For a conditional GAN it is a projection discriminator
/// (Miyato &amp; Koyama, 2018): logit = head(h) + ⟨embed(label), h⟩, where h are the body's features. A progressively
/// grown one takes images at the stage its <see cref="GrowthState"/> holds (<see cref="ProgressiveDiscriminatorBody"/>).
/// With packing (<see cref="GanOptions.Pac"/> = m) the MLP sees each m consecutive rows as one input and gives one logit per pack.
/// </summary>
public sealed class GanDiscriminator : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> body;
    private readonly nn.Module<Tensor, Tensor> head;
    private readonly Embedding? projection;
    private readonly GanOptions options;

    /// <summary>Builds the discriminator from <paramref name="options"/> (for progressive growing, at the stage <paramref name="growth"/> holds).</summary>
    public GanDiscriminator(string name, GanOptions options, GrowthState? growth = null) : base(name)
    {
        this.options = options;
        long features;
        if (options.ProgressiveGrowing)
        {
            body = new ProgressiveDiscriminatorBody("growing", options, growth ?? new GrowthState(options));
            features = ProgressiveDiscriminatorBody.FeatureSize(options);
        }
        else if (options.Architecture == GanArchitecture.Convolutional)
        {
            int c = options.ConvolutionChannels, h = options.ImageShape![1], w = options.ImageShape[2];
            body = nn.Sequential(
                ("reshape", nn.Unflatten(1, options.ImageShape.Select(d => (long)d).ToArray())),
                ("down1", Conv(options, options.ImageShape[0], c)),          // c×H/2×W/2
                ("act1", nn.LeakyReLU(0.2)),
                ("down2", Conv(options, c, 2 * c)),                          // 2c×H/4×W/4
                ("act2", nn.LeakyReLU(0.2)),
                ("flatten", nn.Flatten()));
            features = 2L * c * (h / 4) * (w / 4);
        }
        else
        {
            var seq = nn.Sequential();
            long width = (long)options.DataDimension * options.Pac;
            for (int i = 0; i < options.DiscriminatorHiddenSizes.Length; i++)
            {
                seq.append($"linear{i}", Linear(options, width, options.DiscriminatorHiddenSizes[i]));
                seq.append($"act{i}", Activations.Create(options.Activation));
                width = options.DiscriminatorHiddenSizes[i];
            }
            body = seq;
            features = width;
        }
        head = Linear(options, features, 1);
        if (options.IsConditional) projection = nn.Embedding(options.ClassCount, features);
        RegisterComponents();
    }

    /// <summary>One logit per row (per pack of rows with packing; the row count must be a multiple of the pack): positive means "real".</summary>
    public override Tensor forward(Tensor x, Tensor? labels)
    {
        var h = body.forward(options.Pac > 1 ? x.reshape(-1, x.shape[1] * options.Pac) : x);
        var logit = head.forward(h).squeeze(-1);
        if (projection is not null)
            logit = logit + (projection.forward(labels ?? throw new ArgumentNullException(nameof(labels), "A conditional discriminator needs labels.")) * h).sum(-1);
        return logit;
    }

    private static nn.Module<Tensor, Tensor> Linear(GanOptions o, long input, long output) =>
        o.SpectralNormalization ? new SpectralNormLinear("sn_linear", input, output) : nn.Linear(input, output);

    private static nn.Module<Tensor, Tensor> Conv(GanOptions o, long input, long output) =>
        o.SpectralNormalization ? new SpectralNormConv2d("sn_conv", input, output, 4, 2, 1) : nn.Conv2d(input, output, 4, stride: 2, padding: 1);
}
