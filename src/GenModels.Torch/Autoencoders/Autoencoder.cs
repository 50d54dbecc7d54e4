using GenModels.Torch.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Autoencoders;

/// <summary>
/// A deterministic autoencoder: x → encoder → z → decoder → x̂. The encoder and decoder are MLPs, or convolutional networks
/// for images (<see cref="ReconstructionNetworkOptions.Architecture"/>); either way rows are flat vectors of
/// <see cref="InputDimension"/> values.
/// </summary>
public sealed class Autoencoder : nn.Module<Tensor, Tensor>, IReconstructionModel
{
    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly nn.Module<Tensor, Tensor> decoder;

    /// <summary>Builds the network from <paramref name="options"/> (validated here).</summary>
    public Autoencoder(AutoencoderOptions options) : base(nameof(Autoencoder))
    {
        options.Validate();
        Options = options;
        encoder = ReconstructionBodies.Encoder(options, options.LatentDimension);
        decoder = ReconstructionBodies.Decoder(options);
        RegisterComponents();
    }

    /// <summary>The encoder network (an <see cref="Mlp"/> or a convolutional encoder).</summary>
    internal nn.Module<Tensor, Tensor> EncoderNetwork => encoder;
    /// <summary>The decoder network, up to the likelihood's link.</summary>
    internal nn.Module<Tensor, Tensor> DecoderNetwork => decoder;

    /// <summary>The options the network was built from.</summary>
    public AutoencoderOptions Options { get; }
    /// <inheritdoc />
    public int InputDimension => Options.InputDimension;
    /// <inheritdoc />
    public int LatentDimension => Options.LatentDimension;

    /// <inheritdoc />
    public Tensor Encode(Tensor x) => encoder.forward(x);

    /// <summary>Decoder output before the likelihood's link (logits for Bernoulli).</summary>
    public Tensor DecodeRaw(Tensor z) => decoder.forward(z);

    /// <summary>Input-space reconstruction of a code.</summary>
    public Tensor Decode(Tensor z) => Link(DecodeRaw(z));

    /// <inheritdoc />
    public Tensor Reconstruct(Tensor x) => Decode(Encode(x));

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Reconstruct(x);

    /// <summary>Per-row training loss: squared error (Gaussian) or binary cross-entropy (Bernoulli), summed over features.</summary>
    public Tensor Loss(Tensor x) => Loss(x, x);

    /// <summary>
    /// Per-row loss of reconstructing <paramref name="x"/> from <paramref name="input"/>: a denoising autoencoder passes a
    /// corrupted copy of <paramref name="x"/> as the input.
    /// </summary>
    public Tensor Loss(Tensor input, Tensor x)
    {
        var raw = DecodeRaw(Encode(input));
        return Options.Likelihood == ReconstructionLikelihood.Bernoulli ? Likelihoods.BernoulliNll(x, raw) : Likelihoods.SquaredError(x, raw);
    }

    private Tensor Link(Tensor raw) => Options.Likelihood == ReconstructionLikelihood.Bernoulli ? raw.sigmoid() : raw;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) { encoder.Dispose(); decoder.Dispose(); }
        base.Dispose(disposing);
    }
}
