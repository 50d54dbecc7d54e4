using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>Which network family an encoder/decoder pair uses.</summary>
public enum NetworkArchitecture
{
    /// <summary>Multi-layer perceptrons over flat vectors (the layout of models saved before convolutional networks existed).</summary>
    Mlp,
    /// <summary>
    /// Convolutional networks over C×H×W images (H and W divisible by 4): the encoder halves the image twice with 4×4
    /// convolutions of stride 2 before its dense layers, and the decoder mirrors it with transposed convolutions.
    /// </summary>
    Convolutional,
}

/// <summary>
/// A convolutional encoder over rows of C·H·W values (channel-major images): [n, C·H·W] → C×H×W → conv 4×4 stride 2
/// (c channels, H/2×W/2) → conv 4×4 stride 2 (2c channels, H/4×W/4) → flatten → the dense layers of
/// <see cref="ReconstructionNetworkOptions.ResolvedHiddenSizes"/> → [n, outputSize].
/// </summary>
public sealed class ConvolutionalEncoder : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> convolutions;
    private readonly Mlp dense;

    /// <summary>Builds the encoder of <paramref name="options"/> (a convolutional architecture with its image shape) with <paramref name="outputSize"/> outputs.</summary>
    public ConvolutionalEncoder(string name, ReconstructionNetworkOptions options, int outputSize) : base(name)
    {
        var (channels, height, width, c) = ConvolutionalShape.Of(options);
        convolutions = nn.Sequential(
            ("reshape", nn.Unflatten(1, new long[] { channels, height, width })),
            ("down1", nn.Conv2d(channels, c, 4, stride: 2, padding: 1)),
            ("act1", Activations.Create(options.Activation)),
            ("down2", nn.Conv2d(c, 2L * c, 4, stride: 2, padding: 1)),
            ("act2", Activations.Create(options.Activation)),
            ("flatten", nn.Flatten()));
        dense = new Mlp("dense", ConvolutionalShape.Features(options), options.ResolvedHiddenSizes, outputSize, options.Activation);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => dense.forward(convolutions.forward(x));
}

/// <summary>
/// The decoder that mirrors <see cref="ConvolutionalEncoder"/>: [n, inputSize] → dense layers (hidden widths reversed) →
/// 2c×H/4×W/4 → transposed conv 4×4 stride 2 (c channels, H/2×W/2) → transposed conv 4×4 stride 2 (C×H×W) → [n, C·H·W].
/// The output is raw (no link): the Gaussian mean or the Bernoulli logits.
/// </summary>
public sealed class ConvolutionalDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Mlp dense;
    private readonly nn.Module<Tensor, Tensor> convolutions;

    /// <summary>Builds the decoder of <paramref name="options"/> (a convolutional architecture with its image shape) from <paramref name="inputSize"/> inputs.</summary>
    public ConvolutionalDecoder(string name, ReconstructionNetworkOptions options, int inputSize) : base(name)
    {
        var (channels, height, width, c) = ConvolutionalShape.Of(options);
        dense = new Mlp("dense", inputSize, options.ResolvedHiddenSizes.Reverse().ToArray(), ConvolutionalShape.Features(options), options.Activation);
        convolutions = nn.Sequential(
            ("act0", Activations.Create(options.Activation)),
            ("reshape", nn.Unflatten(1, new long[] { 2L * c, height / 4, width / 4 })),
            ("up1", nn.ConvTranspose2d(2L * c, c, 4, stride: 2, padding: 1)),
            ("act1", Activations.Create(options.Activation)),
            ("up2", nn.ConvTranspose2d(c, channels, 4, stride: 2, padding: 1)),
            ("flatten", nn.Flatten()));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor z) => convolutions.forward(dense.forward(z));
}

/// <summary>The encoder and decoder bodies an options object asks for: MLPs or convolutional networks.</summary>
internal static class ReconstructionBodies
{
    /// <summary>x → <paramref name="outputSize"/> values (the code, or the code's mean and log-variance).</summary>
    public static nn.Module<Tensor, Tensor> Encoder(ReconstructionNetworkOptions o, int outputSize) =>
        o.Architecture == NetworkArchitecture.Convolutional
            ? new ConvolutionalEncoder("encoder", o, outputSize)
            : new Mlp("encoder", o.InputDimension, o.ResolvedHiddenSizes, outputSize, o.Activation);

    /// <summary>Code → the decoder's raw output of <see cref="ReconstructionNetworkOptions.InputDimension"/> values.</summary>
    public static nn.Module<Tensor, Tensor> Decoder(ReconstructionNetworkOptions o) =>
        o.Architecture == NetworkArchitecture.Convolutional
            ? new ConvolutionalDecoder("decoder", o, o.LatentDimension)
            : new Mlp("decoder", o.LatentDimension, o.ResolvedHiddenSizes.Reverse().ToArray(), o.InputDimension, o.Activation);
}

/// <summary>The sizes a convolutional encoder/decoder pair is built with.</summary>
internal static class ConvolutionalShape
{
    public static (int Channels, int Height, int Width, int BaseChannels) Of(ReconstructionNetworkOptions o)
    {
        if (o.Architecture != NetworkArchitecture.Convolutional || o.ImageShape is not { Length: 3 } s)
            throw new ArgumentException("A convolutional network needs Architecture = Convolutional and an image shape [C, H, W].", nameof(o));
        return (s[0], s[1], s[2], o.ConvolutionChannels);
    }

    /// <summary>Values between the convolutions and the dense layers: 2c × H/4 × W/4.</summary>
    public static int Features(ReconstructionNetworkOptions o)
    {
        var (_, h, w, c) = Of(o);
        return 2 * c * (h / 4) * (w / 4);
    }
}
