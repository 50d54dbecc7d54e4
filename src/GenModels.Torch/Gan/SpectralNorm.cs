using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenModels.Torch.Gan;

/// <summary>
/// Spectral normalisation (Miyato et al., 2018): the weight is divided by an estimate of its largest singular value,
/// refined by one power-iteration step per training forward pass, so the layer is at most 1-Lipschitz.
/// </summary>
internal static class SpectralNorm
{
    public static Tensor Normalize(Tensor weight, Tensor u, bool update)
    {
        var w = weight.view(weight.shape[0], -1);
        Tensor v, uUsed;
        using (no_grad())
        {
            v = nn.functional.normalize(w.t().mv(u), dim: 0);
            if (update)
            {
                u.copy_(nn.functional.normalize(w.mv(v), dim: 0));
                v = nn.functional.normalize(w.t().mv(u), dim: 0);
            }
            uUsed = u.clone(); // later forwards update u in place; the graph must keep this step's value
        }
        var sigma = uUsed.dot(w.mv(v));
        return weight / sigma;
    }
}

/// <summary>A Linear layer with spectral normalisation.</summary>
public sealed class SpectralNormLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight_orig;
    private readonly Parameter bias;
    private readonly Tensor u;

    /// <summary>Creates the layer with Linear's default initialisation.</summary>
    public SpectralNormLinear(string name, long inputSize, long outputSize) : base(name)
    {
        using var template = nn.Linear(inputSize, outputSize);
        weight_orig = nn.Parameter(template.weight!.detach().clone());
        bias = nn.Parameter(template.bias!.detach().clone());
        u = nn.functional.normalize(randn(outputSize), dim: 0);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => nn.functional.linear(x, SpectralNorm.Normalize(weight_orig, u, training), bias);
}

/// <summary>A Conv2d layer with spectral normalisation.</summary>
public sealed class SpectralNormConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight_orig;
    private readonly Parameter bias;
    private readonly Tensor u;
    private readonly long stride, padding;

    /// <summary>Creates the layer with Conv2d's default initialisation.</summary>
    public SpectralNormConv2d(string name, long inChannels, long outChannels, long kernel, long stride, long padding) : base(name)
    {
        using var template = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding);
        weight_orig = nn.Parameter(template.weight!.detach().clone());
        bias = nn.Parameter(template.bias!.detach().clone());
        u = nn.functional.normalize(randn(outChannels), dim: 0);
        this.stride = stride;
        this.padding = padding;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) =>
        nn.functional.conv2d(x, SpectralNorm.Normalize(weight_orig, u, training), bias, strides: new[] { stride, stride }, padding: new[] { padding, padding });
}
