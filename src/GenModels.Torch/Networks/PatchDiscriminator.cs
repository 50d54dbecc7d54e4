using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>
/// The PatchGAN discriminator of pix2pix (Isola et al. 2017): a stack of 4×4 convolutions whose output is a map of logits,
/// one per overlapping patch of the input, so it judges local texture and leaves the global layout to the L1 term.
/// <c>layers</c> stride-2 convolutions (c, 2c, … channels, LeakyReLU 0.2, normalised after the first), one stride-1
/// convolution, and a stride-1 convolution to one channel: with 3 layers each logit sees a 70×70 patch, with 2 a 34×34
/// one, with 1 a 16×16 one.
/// </summary>
public sealed class PatchDiscriminator : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> layers;

    /// <summary>Builds the discriminator for images of <paramref name="inputChannels"/> channels.</summary>
    public PatchDiscriminator(string name, long inputChannels, int channels, int stridedLayers, FeatureNormalization normalization) : base(name)
    {
        if (inputChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inputChannels), inputChannels, "Must be positive.");
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Must be positive.");
        if (stridedLayers < 1) throw new ArgumentOutOfRangeException(nameof(stridedLayers), stridedLayers, "At least one layer.");
        var seq = nn.Sequential();
        long width = inputChannels;
        for (int i = 0; i < stridedLayers; i++)
        {
            long next = (long)channels << Math.Min(i, 3);
            seq.append($"down{i}", ConvolutionBlocks.Down(width, next, stride: 2, normalization, normalize: i > 0, nn.LeakyReLU(0.2)));
            width = next;
        }
        long last = (long)channels << Math.Min(stridedLayers, 3);
        seq.append("flat", ConvolutionBlocks.Down(width, last, stride: 1, normalization, normalize: true, nn.LeakyReLU(0.2)));
        seq.append("logits", ConvolutionBlocks.Down(last, 1, stride: 1, normalization, normalize: false, null));
        this.layers = seq;
        RegisterComponents();
    }

    /// <summary>Patch logits [n, 1, h, w] of images [n, C, H, W]: positive means "real".</summary>
    public override Tensor forward(Tensor x) => layers.forward(x);

    /// <summary>
    /// Strided layers for <paramref name="height"/>×<paramref name="width"/> images when none are set: log₂ of the smaller
    /// side minus 3, within [1, 3] (16×16 → 1, 32×32 → 2, 64×64 and more → 3, pix2pix's 70×70 patches).
    /// </summary>
    public static int DefaultLayers(int height, int width) =>
        Math.Clamp((int)Math.Floor(Math.Log2(Math.Min(height, width))) - 3, 1, 3);
}
