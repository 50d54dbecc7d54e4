using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>The normalisation between a convolution and its activation.</summary>
public enum FeatureNormalization
{
    /// <summary>None: the convolution keeps its bias.</summary>
    None,
    /// <summary>
    /// Batch normalisation (pix2pix's choice). In evaluation it uses the running statistics gathered in training, so a row's
    /// output does not depend on the other rows of its batch.
    /// </summary>
    Batch,
    /// <summary>Instance normalisation: each image's channels are normalised on their own, in training and evaluation alike.</summary>
    Instance,
}

/// <summary>The 4×4 convolution blocks of the U-Net and the PatchGAN (Isola et al. 2017): conv → norm → activation.</summary>
internal static class ConvolutionBlocks
{
    /// <summary>Conv2d 4×4 with the given stride and padding 1, then the normalisation (when <paramref name="normalize"/>) and the activation.</summary>
    public static nn.Module<Tensor, Tensor> Down(long input, long output, long stride, FeatureNormalization normalization, bool normalize,
        nn.Module<Tensor, Tensor>? activation)
    {
        bool norm = normalize && normalization != FeatureNormalization.None;
        var block = nn.Sequential(("conv", nn.Conv2d(input, output, 4, stride: stride, padding: 1, bias: !norm)));
        if (norm) block.append("norm", Normalization(output, normalization));
        if (activation is not null) block.append("act", activation);
        return block;
    }

    /// <summary>ConvTranspose2d 4×4, stride 2 (doubles height and width), then the normalisation, ReLU and optional dropout.</summary>
    public static nn.Module<Tensor, Tensor> Up(long input, long output, FeatureNormalization normalization, double dropout)
    {
        bool norm = normalization != FeatureNormalization.None;
        var block = nn.Sequential(("conv", nn.ConvTranspose2d(input, output, 4, stride: 2, padding: 1, bias: !norm)));
        if (norm) block.append("norm", Normalization(output, normalization));
        block.append("act", nn.ReLU());
        if (dropout > 0) block.append("dropout", nn.Dropout(dropout));
        return block;
    }

    internal static nn.Module<Tensor, Tensor> Normalization(long channels, FeatureNormalization normalization) => normalization switch
    {
        FeatureNormalization.Batch => nn.BatchNorm2d(channels),
        FeatureNormalization.Instance => nn.InstanceNorm2d(channels, affine: true),
        _ => throw new ArgumentOutOfRangeException(nameof(normalization), normalization, "Unknown normalisation."),
    };
}
