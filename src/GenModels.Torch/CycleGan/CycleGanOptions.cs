using GenModels.Torch.Networks;

namespace GenModels.Torch.CycleGan;

/// <summary>
/// Everything needed to build a <see cref="CycleGanNetwork"/> and weigh its losses (CycleGAN, Zhu et al. 2017). The
/// defaults are the paper's and its reference implementation's, except the generator width (see
/// <see cref="ResnetGeneratorOptions.Channels"/>).
/// </summary>
public sealed class CycleGanOptions
{
    /// <summary>Both generators (A → B and B → A): ResNet-block generators of one shape.</summary>
    public ResnetGeneratorOptions Generator { get; set; } = new();
    /// <summary>Channels of each discriminator's first layer (64 in CycleGAN; doubled per layer, up to 8 times this).</summary>
    public int DiscriminatorChannels { get; set; } = 32;
    /// <summary>Stride-2 layers of each PatchGAN discriminator; null picks <see cref="PatchDiscriminator.DefaultLayers"/> from the image size.</summary>
    public int? DiscriminatorLayers { get; set; }
    /// <summary>λ, the weight of each cycle-consistency L1 term (‖G_BA(G_AB(a)) − a‖₁ and ‖G_AB(G_BA(b)) − b‖₁): 10.</summary>
    public double CycleWeight { get; set; } = 10;
    /// <summary>
    /// The identity term's weight as a share of <see cref="CycleWeight"/> (0.5: the identity L1 terms ‖G_AB(b) − b‖₁ and
    /// ‖G_BA(a) − a‖₁ weigh 0.5·λ). It keeps a generator from changing images already in its target domain, which
    /// preserves colour and tone; 0 turns it off.
    /// </summary>
    public double IdentityWeight { get; set; } = 0.5;
    /// <summary>
    /// Generated images each discriminator's history pool keeps (50): the discriminators see a mix of current and earlier
    /// translations, which damps the oscillation of the two players. 0 shows them only the current batch.
    /// </summary>
    public int PoolSize { get; set; } = 50;
    /// <summary>
    /// Share of the training steps after which both learning rates decay linearly towards zero (0.5: CycleGAN trains at
    /// the constant rate for the first half, then decays over the second). 1 keeps the rate constant.
    /// </summary>
    public double DecayStart { get; set; } = 0.5;
    /// <summary>Adam's β₁ for all four networks (0.5, as in CycleGAN).</summary>
    public double Beta1 { get; set; } = 0.5;
    /// <summary>Adam's β₂ (0.999).</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>The discriminator layers used: <see cref="DiscriminatorLayers"/> or the default for the image size.</summary>
    public int ResolvedDiscriminatorLayers => DiscriminatorLayers ?? PatchDiscriminator.DefaultLayers(Generator.Height, Generator.Width);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Generator is null) throw new ArgumentNullException(nameof(Generator), "The generators' options are required.");
        Generator.Validate();
        if (!(CycleWeight >= 0) || double.IsInfinity(CycleWeight)) throw new ArgumentOutOfRangeException(nameof(CycleWeight), CycleWeight, "The cycle weight must be a finite number ≥ 0.");
        if (!(IdentityWeight >= 0) || double.IsInfinity(IdentityWeight)) throw new ArgumentOutOfRangeException(nameof(IdentityWeight), IdentityWeight, "The identity weight must be a finite number ≥ 0.");
        if (PoolSize < 0) throw new ArgumentOutOfRangeException(nameof(PoolSize), PoolSize, "The pool size must be ≥ 0.");
        if (!(DecayStart >= 0 && DecayStart <= 1)) throw new ArgumentOutOfRangeException(nameof(DecayStart), DecayStart, "The decay start must be a share of the steps in [0, 1].");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "Adam's β₁ must be in [0, 1).");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "Adam's β₂ must be in [0, 1).");
        if (DiscriminatorChannels <= 0) throw new ArgumentOutOfRangeException(nameof(DiscriminatorChannels), DiscriminatorChannels, "Must be positive.");
        int layers = ResolvedDiscriminatorLayers;
        if (layers < 1 || layers > 6) throw new ArgumentOutOfRangeException(nameof(DiscriminatorLayers), layers, "Between 1 and 6 layers.");
        // Two stride-1 4×4 convolutions follow the strided ones: each takes one pixel off, and at least one logit must remain.
        if (Math.Min(Generator.Height, Generator.Width) >> layers < 3)
            throw new ArgumentOutOfRangeException(nameof(DiscriminatorLayers), layers,
                $"{layers} discriminator layers leave no patch of {Generator.Height}×{Generator.Width} images; use fewer layers.");
    }
}
