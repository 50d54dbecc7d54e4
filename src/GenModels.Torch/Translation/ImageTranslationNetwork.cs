using GenModels.Torch.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Translation;

/// <summary>
/// Paired image-to-image translation (pix2pix): a U-Net generator from input images to output images, and, when the
/// options ask for the adversarial term, a PatchGAN discriminator that sees an input and an output stacked on channels.
/// </summary>
public sealed class ImageTranslationNetwork : nn.Module
{
    private readonly UNet generator;
    private readonly PatchDiscriminator? discriminator;

    /// <summary>Builds the networks from <paramref name="options"/> (validated here).</summary>
    public ImageTranslationNetwork(TranslationOptions options) : base(nameof(ImageTranslationNetwork))
    {
        options.Validate();
        Options = options;
        generator = new UNet("generator", options.Generator);
        if (options.Adversarial)
            discriminator = new PatchDiscriminator("discriminator", options.Generator.InputChannels + options.Generator.OutputChannels,
                options.DiscriminatorChannels, options.ResolvedDiscriminatorLayers, options.Generator.Normalization);
        RegisterComponents();
    }

    /// <summary>The options the networks were built from.</summary>
    public TranslationOptions Options { get; }
    /// <summary>The generator.</summary>
    public UNet Generator => generator;
    /// <summary>The discriminator; null when training uses the L1 term alone.</summary>
    public PatchDiscriminator? Discriminator => discriminator;

    /// <summary>Patch logits of (input, output) pairs: the two images stacked on channels.</summary>
    public Tensor Judge(Tensor input, Tensor output) =>
        (discriminator ?? throw new InvalidOperationException("This network was built without a discriminator.")).forward(cat([input, output], 1));
}
