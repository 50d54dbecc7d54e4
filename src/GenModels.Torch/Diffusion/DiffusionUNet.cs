using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Diffusion;

/// <summary>
/// A residual block of the diffusion U-Net (Ho et al. 2020): GroupNorm → SiLU → 3×3 conv, plus the projected step (and
/// class) embedding added to every pixel, then GroupNorm → SiLU → 3×3 conv, and a 1×1 conv on the skip path when the
/// channel count changes.
/// </summary>
internal sealed class TimeResidualBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> norm1, conv1, embedding_projection, norm2, conv2;
    private readonly nn.Module<Tensor, Tensor>? skip;

    public TimeResidualBlock(string name, long input, long output, long embeddingDimension) : base(name)
    {
        norm1 = GroupNorm(input);
        conv1 = nn.Conv2d(input, output, 3, padding: 1);
        embedding_projection = nn.Linear(embeddingDimension, output);
        norm2 = GroupNorm(output);
        conv2 = nn.Conv2d(output, output, 3, padding: 1);
        if (input != output) skip = nn.Conv2d(input, output, 1);
        RegisterComponents();
    }

    /// <summary>
    /// GroupNorm over up to 8 groups that divide the channel count, with its scale set to 1 and shift to 0 here: TorchSharp
    /// 0.107's GroupNorm can start with uninitialised (even non-finite) affine parameters.
    /// </summary>
    public static nn.Module<Tensor, Tensor> GroupNorm(long channels)
    {
        var norm = nn.GroupNorm(Enumerable.Range(1, 8).Reverse().First(g => channels % g == 0), channels);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in norm.named_parameters())
            if (name == "weight") parameter.fill_(1); else parameter.zero_();
        return norm;
    }

    public override Tensor forward(Tensor x, Tensor embedding)
    {
        var h = conv1.forward(nn.functional.silu(norm1.forward(x)));
        h = h + embedding_projection.forward(nn.functional.silu(embedding)).unsqueeze(-1).unsqueeze(-1);
        h = conv2.forward(nn.functional.silu(norm2.forward(h)));
        return (skip?.forward(x) ?? x) + h;
    }
}

/// <summary>Single-head self-attention over the pixels of a feature map, with a residual connection (used at the lowest resolution).</summary>
internal sealed class PixelAttention : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> norm, qkv, projection;
    private readonly long channels;

    public PixelAttention(string name, long channels) : base(name)
    {
        this.channels = channels;
        norm = TimeResidualBlock.GroupNorm(channels);
        qkv = nn.Conv2d(channels, 3 * channels, 1);
        projection = nn.Conv2d(channels, channels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        var parts = qkv.forward(norm.forward(x)).reshape(n, 3, channels, h * w).unbind(1); // each [n, c, hw]
        var weights = matmul(parts[0].transpose(1, 2), parts[1]).div(Math.Sqrt(channels)).softmax(-1); // [n, hw, hw]
        var attended = matmul(parts[2], weights.transpose(1, 2)).reshape(n, channels, h, w);
        return x + projection.forward(attended);
    }
}

/// <summary>
/// The denoiser body for images: a small U-Net over C×H×W (H and W divisible by 4) with two resolution halvings, residual
/// blocks conditioned on the step (and class) embedding, self-attention at the lowest resolution, and skip connections.
/// Channels: c at full size, 2c at half and quarter size (c = <see cref="DiffusionOptions.UNetChannels"/>).
/// </summary>
public sealed class DiffusionUNet : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> input_conv, down1, down2, output_norm, output_conv;
    private readonly TimeResidualBlock block1, block2, block3, middle, up3, up2, up1;
    private readonly PixelAttention? attention;
    private readonly nn.Module<Tensor, Tensor> upsample2, upsample1;
    private readonly long[] imageShape;

    /// <summary>Builds the U-Net for <paramref name="options"/>' <see cref="DiffusionOptions.ImageShape"/>.</summary>
    public DiffusionUNet(string name, DiffusionOptions options) : base(name)
    {
        imageShape = options.ImageShape!.Select(d => (long)d).ToArray();
        long channels = imageShape[0], c = options.UNetChannels, e = options.EmbeddingDimension;
        input_conv = nn.Conv2d(channels, c, 3, padding: 1);
        block1 = new TimeResidualBlock("block1", c, c, e);                     // H
        down1 = nn.Conv2d(c, c, 4, stride: 2, padding: 1);                     // → H/2
        block2 = new TimeResidualBlock("block2", c, 2 * c, e);
        down2 = nn.Conv2d(2 * c, 2 * c, 4, stride: 2, padding: 1);             // → H/4
        block3 = new TimeResidualBlock("block3", 2 * c, 2 * c, e);
        middle = new TimeResidualBlock("middle", 2 * c, 2 * c, e);
        if (options.UNetAttention) attention = new PixelAttention("attention", 2 * c);
        up3 = new TimeResidualBlock("up3", 4 * c, 2 * c, e);                   // [middle, block3] at H/4
        upsample2 = nn.ConvTranspose2d(2 * c, 2 * c, 4, stride: 2, padding: 1); // → H/2
        up2 = new TimeResidualBlock("up2", 4 * c, c, e);                       // [up, block2]
        upsample1 = nn.ConvTranspose2d(c, c, 4, stride: 2, padding: 1);         // → H
        up1 = new TimeResidualBlock("up1", 2 * c, c, e);                       // [up, block1]
        output_norm = TimeResidualBlock.GroupNorm(c);
        output_conv = nn.Conv2d(c, channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>The prediction for flat noisy rows <paramref name="x"/> ([n, C·H·W]) given their embeddings ([n, E]); flat as well.</summary>
    public override Tensor forward(Tensor x, Tensor embedding)
    {
        var image = x.reshape([x.shape[0], .. imageShape]);
        var h1 = block1.forward(input_conv.forward(image), embedding);
        var h2 = block2.forward(down1.forward(h1), embedding);
        var h3 = block3.forward(down2.forward(h2), embedding);
        var m = middle.forward(h3, embedding);
        if (attention is not null) m = attention.forward(m);
        var u = up3.forward(cat([m, h3], 1), embedding);
        u = up2.forward(cat([upsample2.forward(u), h2], 1), embedding);
        u = up1.forward(cat([upsample1.forward(u), h1], 1), embedding);
        return output_conv.forward(nn.functional.silu(output_norm.forward(u))).flatten(1);
    }
}
