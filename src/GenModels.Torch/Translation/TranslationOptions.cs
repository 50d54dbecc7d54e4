using GenModels.Torch.Networks;

namespace GenModels.Torch.Translation;

/// <summary>Everything needed to build an <see cref="ImageTranslationNetwork"/> and weigh its losses (pix2pix, Isola et al. 2017).</summary>
public sealed class TranslationOptions
{
    /// <summary>The generator: a U-Net from input images to output images of the same height and width.</summary>
    public UNetOptions Generator { get; set; } = new();
    /// <summary>
    /// Whether a PatchGAN discriminator trains against the generator (pix2pix). Without it the U-Net learns from the L1 term
    /// alone: it predicts each pixel's conditional median, which blurs wherever the input leaves the output uncertain.
    /// </summary>
    public bool Adversarial { get; set; } = true;
    /// <summary>λ, the weight of the L1 term beside the adversarial one: 100 in pix2pix.</summary>
    public double L1Weight { get; set; } = 100;
    /// <summary>Channels of the discriminator's first layer (doubled per layer, up to 8 times this).</summary>
    public int DiscriminatorChannels { get; set; } = 32;
    /// <summary>Stride-2 layers of the discriminator; null picks <see cref="PatchDiscriminator.DefaultLayers"/> from the image size.</summary>
    public int? DiscriminatorLayers { get; set; }

    /// <summary>The discriminator layers used: <see cref="DiscriminatorLayers"/> or the default for the image size.</summary>
    public int ResolvedDiscriminatorLayers => DiscriminatorLayers ?? PatchDiscriminator.DefaultLayers(Generator.Height, Generator.Width);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Generator is null) throw new ArgumentNullException(nameof(Generator), "The generator's options are required.");
        Generator.Validate();
        if (!(L1Weight >= 0) || double.IsInfinity(L1Weight)) throw new ArgumentOutOfRangeException(nameof(L1Weight), L1Weight, "The L1 weight must be a finite number ≥ 0.");
        if (!Adversarial && L1Weight == 0) throw new ArgumentOutOfRangeException(nameof(L1Weight), L1Weight, "Without the adversarial term the L1 weight must be positive.");
        if (!Adversarial) return;
        if (DiscriminatorChannels <= 0) throw new ArgumentOutOfRangeException(nameof(DiscriminatorChannels), DiscriminatorChannels, "Must be positive.");
        int layers = ResolvedDiscriminatorLayers;
        if (layers < 1 || layers > 6) throw new ArgumentOutOfRangeException(nameof(DiscriminatorLayers), layers, "Between 1 and 6 layers.");
        // Two stride-1 4×4 convolutions follow the strided ones: each takes one pixel off, and at least one logit must remain.
        if (Math.Min(Generator.Height, Generator.Width) >> layers < 3)
            throw new ArgumentOutOfRangeException(nameof(DiscriminatorLayers), layers,
                $"{layers} discriminator layers leave no patch of {Generator.Height}×{Generator.Width} images; use fewer layers.");
    }
}
