using GenModels.Torch.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.CycleGan;

/// <summary>
/// The four networks of a CycleGAN (Zhu et al. 2017): generators A → B and B → A, and a PatchGAN discriminator per domain
/// that tells the domain's real images from the other generator's translations.
/// </summary>
public sealed class CycleGanNetwork : nn.Module
{
    private readonly ResnetGenerator generator_ab;
    private readonly ResnetGenerator generator_ba;
    private readonly PatchDiscriminator discriminator_a;
    private readonly PatchDiscriminator discriminator_b;

    /// <summary>Builds the networks from <paramref name="options"/> (validated here).</summary>
    public CycleGanNetwork(CycleGanOptions options) : base(nameof(CycleGanNetwork))
    {
        options.Validate();
        Options = options;
        generator_ab = new ResnetGenerator("generator_ab", options.Generator);
        generator_ba = new ResnetGenerator("generator_ba", options.Generator);
        int channels = options.Generator.ImageChannels, layers = options.ResolvedDiscriminatorLayers;
        discriminator_a = new PatchDiscriminator("discriminator_a", channels, options.DiscriminatorChannels, layers, options.Generator.Normalization);
        discriminator_b = new PatchDiscriminator("discriminator_b", channels, options.DiscriminatorChannels, layers, options.Generator.Normalization);
        RegisterComponents();
    }

    /// <summary>The options the networks were built from.</summary>
    public CycleGanOptions Options { get; }
    /// <summary>The generator from domain A to domain B.</summary>
    public ResnetGenerator GeneratorAB => generator_ab;
    /// <summary>The generator from domain B to domain A.</summary>
    public ResnetGenerator GeneratorBA => generator_ba;
    /// <summary>Patch logits "real domain-A image" (against G_BA's translations).</summary>
    public PatchDiscriminator DiscriminatorA => discriminator_a;
    /// <summary>Patch logits "real domain-B image" (against G_AB's translations).</summary>
    public PatchDiscriminator DiscriminatorB => discriminator_b;
}

/// <summary>The two generators of a trained CycleGAN, without the discriminators: what translation needs and what is saved.</summary>
public sealed class CycleGanGenerators : nn.Module
{
    private readonly ResnetGenerator generator_ab;
    private readonly ResnetGenerator generator_ba;

    /// <summary>Builds two untrained generators of <paramref name="options"/>'s shape.</summary>
    public CycleGanGenerators(ResnetGeneratorOptions options) : base(nameof(CycleGanGenerators))
    {
        options.Validate();
        Options = options;
        generator_ab = new ResnetGenerator("generator_ab", options);
        generator_ba = new ResnetGenerator("generator_ba", options);
        RegisterComponents();
    }

    /// <summary>The generators' options.</summary>
    public ResnetGeneratorOptions Options { get; }
    /// <summary>The generator from domain A to domain B.</summary>
    public ResnetGenerator GeneratorAB => generator_ab;
    /// <summary>The generator from domain B to domain A.</summary>
    public ResnetGenerator GeneratorBA => generator_ba;

    /// <summary>The generator of one direction: A → B when <paramref name="aToB"/>, else B → A.</summary>
    public ResnetGenerator Direction(bool aToB) => aToB ? generator_ab : generator_ba;

    /// <summary>A copy of <paramref name="network"/>'s generators with the same weights, in evaluation mode.</summary>
    public static CycleGanGenerators CopyFrom(CycleGanNetwork network)
    {
        var copy = new CycleGanGenerators(network.Options.Generator);
        using (no_grad())
        {
            var source = network.state_dict();
            foreach (var (name, tensor) in copy.state_dict()) tensor.copy_(source[name]);
        }
        copy.eval();
        return copy;
    }
}
