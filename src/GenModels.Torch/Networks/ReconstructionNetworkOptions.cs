namespace GenModels.Torch.Networks;

/// <summary>
/// Shape of an encoder/decoder pair (MLPs, or convolutional networks for images); everything needed to rebuild the network
/// before loading weights. A model saved before <see cref="Architecture"/> existed has none of the convolutional settings
/// and reads back as the MLP it was.
/// </summary>
public class ReconstructionNetworkOptions
{
    /// <summary>Length of each input vector.</summary>
    public int InputDimension { get; set; }
    /// <summary>Length of the code (latent vector).</summary>
    public int LatentDimension { get; set; }
    /// <summary>
    /// Encoder hidden widths, input side first; the decoder mirrors them. Null (the default) derives them from the input
    /// length with <see cref="DefaultHiddenSizes"/>.
    /// </summary>
    public int[]? HiddenSizes { get; set; }

    /// <summary>The widths the network is built with: <see cref="HiddenSizes"/>, or the ones derived from the input length.</summary>
    public int[] ResolvedHiddenSizes => HiddenSizes ?? DefaultHiddenSizes(InputDimension);

    /// <summary>
    /// Hidden widths derived from the input length D: two layers [h, h/2] with h = 2D rounded up to a power of two and
    /// clamped to [16, 128]. A table of 9 columns gets [32, 16], one of 60 columns [128, 64], an image [128, 64] (the
    /// former fixed default, made for images, which is far wider than a table of a few columns needs).
    /// </summary>
    public static int[] DefaultHiddenSizes(int inputDimension)
    {
        int h = (int)Math.Clamp(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, 2 * inputDimension)), 16, 128);
        return [h, h / 2];
    }
    /// <summary>Non-linearity between hidden layers.</summary>
    public Activation Activation { get; set; } = Activation.ReLU;
    /// <summary>How the decoder output models the input.</summary>
    public ReconstructionLikelihood Likelihood { get; set; } = ReconstructionLikelihood.Gaussian;

    /// <summary>Network family: <see cref="NetworkArchitecture.Mlp"/> (the default) or <see cref="NetworkArchitecture.Convolutional"/>, which needs <see cref="ImageShape"/>.</summary>
    public NetworkArchitecture Architecture { get; set; } = NetworkArchitecture.Mlp;
    /// <summary>
    /// The input's image shape [C, H, W] (C·H·W = <see cref="InputDimension"/>, rows channel-major), or null for a plain
    /// vector. The convolutional architecture needs it, with H and W divisible by 4.
    /// </summary>
    public int[]? ImageShape { get; set; }
    /// <summary>Channels of the first convolution (the second has twice as many); used by the convolutional architecture only.</summary>
    public int ConvolutionChannels { get; set; } = DefaultConvolutionChannels;
    /// <summary>The default of <see cref="ConvolutionChannels"/>.</summary>
    public const int DefaultConvolutionChannels = 32;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        if (InputDimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(InputDimension), InputDimension, "The input dimension must be positive.");
        if (LatentDimension <= 0 || LatentDimension > InputDimension)
            throw new ArgumentOutOfRangeException(nameof(LatentDimension), LatentDimension,
                $"The latent dimension must be between 1 and the input dimension ({InputDimension}).");
        if (HiddenSizes is not null && HiddenSizes.Any(h => h <= 0))
            throw new ArgumentOutOfRangeException(nameof(HiddenSizes), "Hidden layer sizes must be positive.");
        if (ImageShape is not null && (ImageShape.Length != 3 || ImageShape.Any(d => d <= 0) || (long)ImageShape[0] * ImageShape[1] * ImageShape[2] != InputDimension))
            throw new ArgumentOutOfRangeException(nameof(ImageShape), $"The image shape must be [C, H, W] with C·H·W equal to the input dimension ({InputDimension}).");
        if (Architecture == NetworkArchitecture.Convolutional)
        {
            if (ImageShape is null || ImageShape[1] % 4 != 0 || ImageShape[2] % 4 != 0)
                throw new ArgumentOutOfRangeException(nameof(ImageShape),
                    "The convolutional architecture needs an image shape [C, H, W] with H and W divisible by 4.");
            if (ConvolutionChannels <= 0)
                throw new ArgumentOutOfRangeException(nameof(ConvolutionChannels), ConvolutionChannels, "The convolution channel count must be positive.");
        }
    }
}
