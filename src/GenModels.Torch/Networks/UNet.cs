using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>Everything needed to build a <see cref="UNet"/> before loading its weights.</summary>
public sealed class UNetOptions
{
    /// <summary>Channels of the input images.</summary>
    public int InputChannels { get; set; } = 1;
    /// <summary>Channels of the output images.</summary>
    public int OutputChannels { get; set; } = 1;
    /// <summary>Image height (input and output).</summary>
    public int Height { get; set; }
    /// <summary>Image width (input and output).</summary>
    public int Width { get; set; }
    /// <summary>Down-sampling levels; each halves height and width. Null picks <see cref="DefaultDepth"/>.</summary>
    public int? Depth { get; set; }
    /// <summary>Channels of the first level; each deeper level doubles them, up to 8 times this.</summary>
    public int Channels { get; set; } = 32;
    /// <summary>The normalisation of every block except the outermost and the innermost down-sampling ones.</summary>
    public FeatureNormalization Normalization { get; set; } = FeatureNormalization.Batch;
    /// <summary>Dropout in the innermost (up to three) up-sampling blocks while training; 0 = none. Evaluation never drops.</summary>
    public double Dropout { get; set; } = 0.5;

    /// <summary>The most levels a U-Net has.</summary>
    public const int MaxDepth = 8;

    /// <summary>
    /// The levels used when <see cref="Depth"/> is unset: halve height and width while both stay even and the innermost
    /// feature map keeps at least 2×2 pixels (32×32 → 4 levels, 16×16 → 3, 28×28 → 2), at most <see cref="MaxDepth"/>.
    /// </summary>
    public static int DefaultDepth(int height, int width)
    {
        int depth = 0;
        while (depth < MaxDepth && height % (2 << depth) == 0 && width % (2 << depth) == 0 && Math.Min(height, width) / (2 << depth) >= 2) depth++;
        return depth;
    }

    /// <summary>The depth used: <see cref="Depth"/> or <see cref="DefaultDepth"/>.</summary>
    public int ResolvedDepth => Depth ?? DefaultDepth(Height, Width);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (InputChannels <= 0) throw new ArgumentOutOfRangeException(nameof(InputChannels), InputChannels, "Must be positive.");
        if (OutputChannels <= 0) throw new ArgumentOutOfRangeException(nameof(OutputChannels), OutputChannels, "Must be positive.");
        if (Height <= 0 || Width <= 0) throw new ArgumentOutOfRangeException(Height <= 0 ? nameof(Height) : nameof(Width), "Image sizes must be positive.");
        if (Channels <= 0) throw new ArgumentOutOfRangeException(nameof(Channels), Channels, "Must be positive.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "The dropout rate must be in [0, 1).");
        if (!Enum.IsDefined(Normalization)) throw new ArgumentOutOfRangeException(nameof(Normalization), Normalization, "Unknown normalisation.");
        int depth = ResolvedDepth;
        if (depth < 1 || depth > MaxDepth)
            throw new ArgumentOutOfRangeException(nameof(Depth), depth,
                $"A U-Net needs 1 to {MaxDepth} levels; {Height}×{Width} images allow none (height and width must be even).");
        int scale = 1 << depth;
        if (Height % scale != 0 || Width % scale != 0)
            throw new ArgumentOutOfRangeException(nameof(Depth), depth, $"{depth} levels need height and width divisible by {scale}; the images are {Height}×{Width}.");
    }
}

/// <summary>
/// The pix2pix generator (Isola et al. 2017): an encoder of stride-2 convolutions (conv → norm → LeakyReLU 0.2) and a
/// decoder of stride-2 transposed convolutions (convT → norm → ReLU, dropout in the innermost blocks), each decoder level
/// concatenated with the encoder level of the same size (skip connections), so fine detail of the input reaches the output
/// directly. Input [n, InputChannels, H, W]; output [n, OutputChannels, H, W] in (0, 1).
/// </summary>
public sealed class UNet : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> down;   // outermost first: c×H/2, 2c×H/4, …
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> up;     // innermost first, each followed by a skip concatenation
    private readonly nn.Module<Tensor, Tensor> output;                // 2c×H/2 → OutputChannels×H

    /// <summary>Builds the U-Net from <paramref name="options"/> (validated here).</summary>
    public UNet(string name, UNetOptions options) : base(name)
    {
        options.Validate();
        Options = options;
        int depth = options.ResolvedDepth;
        var channels = Enumerable.Range(0, depth).Select(i => (long)options.Channels << Math.Min(i, 3)).ToArray();
        down = new TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < depth; i++)
            down.Add(ConvolutionBlocks.Down(i == 0 ? options.InputChannels : channels[i - 1], channels[i], stride: 2, options.Normalization,
                normalize: i > 0 && i < depth - 1, nn.LeakyReLU(0.2)));
        up = new TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>();
        for (int j = 0; j < depth - 1; j++)
        {
            int level = depth - 1 - j; // the encoder level this block starts from
            long input = j == 0 ? channels[level] : 2 * channels[level];
            up.Add(ConvolutionBlocks.Up(input, channels[level - 1], options.Normalization, j < 3 ? options.Dropout : 0));
        }
        output = nn.ConvTranspose2d(depth == 1 ? channels[0] : 2 * channels[0], options.OutputChannels, 4, stride: 2, padding: 1);
        RegisterComponents();
    }

    /// <summary>The options the network was built from.</summary>
    public UNetOptions Options { get; }

    /// <summary>Translates a batch of images [n, InputChannels, H, W] to [n, OutputChannels, H, W] in (0, 1).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var skips = new List<Tensor>();
        var h = x;
        foreach (var block in down) skips.Add(h = block.forward(h));
        for (int j = 0; j < up.Count; j++)
            h = cat([up[j].forward(h), skips[skips.Count - 2 - j]], 1);
        return output.forward(h).sigmoid().MoveToOuterDisposeScope();
    }
}
