using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>Everything needed to build a <see cref="ResnetGenerator"/> before loading its weights.</summary>
public sealed class ResnetGeneratorOptions
{
    /// <summary>Channels of the input and output images (a CycleGAN maps between domains of one shape).</summary>
    public int ImageChannels { get; set; } = 1;
    /// <summary>Image height.</summary>
    public int Height { get; set; }
    /// <summary>Image width.</summary>
    public int Width { get; set; }
    /// <summary>
    /// Channels of the first convolution (64 in CycleGAN); each down-sampling doubles them. The default, 32, suits the small
    /// images (28 to 64 pixels) this library trains on a CPU.
    /// </summary>
    public int Channels { get; set; } = 32;
    /// <summary>Stride-2 down-samplings before the residual blocks (and as many up-samplings after): 2 in CycleGAN.</summary>
    public int Downsamplings { get; set; } = 2;
    /// <summary>Residual blocks at the innermost resolution; null picks <see cref="DefaultResidualBlocks"/> from the image size.</summary>
    public int? ResidualBlocks { get; set; }
    /// <summary>The normalisation after each convolution except the last: instance normalisation, as in CycleGAN.</summary>
    public FeatureNormalization Normalization { get; set; } = FeatureNormalization.Instance;

    /// <summary>
    /// Residual blocks when none are set: 9 from 256×256 up (CycleGAN's choice there), 6 below (its choice for 128×128),
    /// which is also enough for small images.
    /// </summary>
    public static int DefaultResidualBlocks(int height, int width) => Math.Min(height, width) >= 256 ? 9 : 6;

    /// <summary>The residual blocks used: <see cref="ResidualBlocks"/> or <see cref="DefaultResidualBlocks"/>.</summary>
    public int ResolvedResidualBlocks => ResidualBlocks ?? DefaultResidualBlocks(Height, Width);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (ImageChannels <= 0) throw new ArgumentOutOfRangeException(nameof(ImageChannels), ImageChannels, "Must be positive.");
        if (Height <= 0 || Width <= 0) throw new ArgumentOutOfRangeException(Height <= 0 ? nameof(Height) : nameof(Width), "Image sizes must be positive.");
        if (Channels <= 0) throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "Must be positive.");
        if (Downsamplings < 0 || Downsamplings > 4) throw new ArgumentOutOfRangeException(nameof(Downsamplings), Downsamplings, "Between 0 and 4 down-samplings.");
        if (ResolvedResidualBlocks < 0 || ResolvedResidualBlocks > 32) throw new ArgumentOutOfRangeException(nameof(ResidualBlocks), ResolvedResidualBlocks, "Between 0 and 32 residual blocks.");
        if (!Enum.IsDefined(Normalization)) throw new ArgumentOutOfRangeException(nameof(Normalization), Normalization, "Unknown normalisation.");
        int scale = 1 << Downsamplings;
        if (Height % scale != 0 || Width % scale != 0)
            throw new ArgumentOutOfRangeException(nameof(Downsamplings), Downsamplings,
                $"{Downsamplings} down-samplings need height and width divisible by {scale}; the images are {Height}×{Width}.");
        // Reflection padding needs a map wider than the pad: 3 pixels around the outer 7×7 convolutions, 1 in the residual blocks.
        if (Math.Min(Height, Width) < 4 || (ResolvedResidualBlocks > 0 && Math.Min(Height, Width) / scale < 2))
            throw new ArgumentOutOfRangeException(nameof(Downsamplings), Downsamplings,
                $"{Height}×{Width} images are too small for {Downsamplings} down-samplings: the innermost map needs at least 2×2 pixels.");
    }
}

/// <summary>
/// The CycleGAN generator (Zhu et al. 2017, after Johnson et al. 2016): a 7×7 convolution, stride-2 3×3 convolutions that
/// halve the image and double the channels, residual blocks at the innermost resolution, stride-2 transposed convolutions
/// back to full size, and a 7×7 convolution to the image channels. Reflection padding keeps borders free of artefacts.
/// Input and output [n, C, H, W]; the output is a sigmoid, in (0, 1), like every image this library produces.
/// </summary>
public sealed class ResnetGenerator : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> model;

    /// <summary>Builds the generator from <paramref name="options"/> (validated here).</summary>
    public ResnetGenerator(string name, ResnetGeneratorOptions options) : base(name)
    {
        options.Validate();
        Options = options;
        var norm = options.Normalization;
        var seq = nn.Sequential();
        long c = options.Channels;
        seq.append("stem", Block(nn.ReflectionPad2d(3), nn.Conv2d(options.ImageChannels, c, 7, bias: norm == FeatureNormalization.None), c, norm, relu: true)); // c×H×W
        for (int i = 0; i < options.Downsamplings; i++, c *= 2)                                                  // 2c×H/2×W/2, 4c×H/4×W/4, …
            seq.append($"down{i}", Block(null, nn.Conv2d(c, 2 * c, 3, stride: 2, padding: 1, bias: norm == FeatureNormalization.None), 2 * c, norm, relu: true));
        for (int i = 0; i < options.ResolvedResidualBlocks; i++)                                                // same size, x + F(x)
            seq.append($"res{i}", new ResidualBlock($"res{i}", c, norm));
        for (int i = 0; i < options.Downsamplings; i++, c /= 2)                                                  // back to c×H×W
            seq.append($"up{i}", Block(null, nn.ConvTranspose2d(c, c / 2, 3, stride: 2, padding: 1, output_padding: 1, bias: norm == FeatureNormalization.None), c / 2, norm, relu: true));
        seq.append("pad", nn.ReflectionPad2d(3));
        seq.append("output", nn.Conv2d(c, options.ImageChannels, 7));                                            // C×H×W logits
        model = seq;
        RegisterComponents();
    }

    /// <summary>The options the network was built from.</summary>
    public ResnetGeneratorOptions Options { get; }

    /// <summary>Translates a batch of images [n, C, H, W] to [n, C, H, W] in (0, 1).</summary>
    public override Tensor forward(Tensor x) => model.forward(x).sigmoid();

    /// <summary>[pad →] convolution → normalisation [→ ReLU].</summary>
    internal static nn.Module<Tensor, Tensor> Block(nn.Module<Tensor, Tensor>? pad, nn.Module<Tensor, Tensor> conv, long channels, FeatureNormalization norm, bool relu)
    {
        var block = nn.Sequential();
        if (pad is not null) block.append("pad", pad);
        block.append("conv", conv);
        if (norm != FeatureNormalization.None) block.append("norm", ConvolutionBlocks.Normalization(channels, norm));
        if (relu) block.append("act", nn.ReLU());
        return block;
    }

    /// <summary>x + (pad → 3×3 conv → norm → ReLU → pad → 3×3 conv → norm)(x).</summary>
    private sealed class ResidualBlock : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> body;

        public ResidualBlock(string name, long channels, FeatureNormalization norm) : base(name)
        {
            bool bias = norm == FeatureNormalization.None;
            body = nn.Sequential(
                ("a", Block(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias: bias), channels, norm, relu: true)),
                ("b", Block(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias: bias), channels, norm, relu: false)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => x + body.forward(x);
    }
}
