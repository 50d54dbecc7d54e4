using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>Non-linearity used between the hidden layers of a network.</summary>
public enum Activation
{
    /// <summary>max(0, x).</summary>
    ReLU,
    /// <summary>max(0.2x, x): keeps a gradient for negative inputs.</summary>
    LeakyReLU,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
    /// <summary>Exponential linear unit.</summary>
    ELU,
    /// <summary>x·sigmoid(x), also called Swish.</summary>
    SiLU,
}

/// <summary>Builds activation modules.</summary>
public static class Activations
{
    /// <summary>Slope of <see cref="Activation.LeakyReLU"/> for negative inputs.</summary>
    public const double LeakySlope = 0.2;

    /// <summary>Creates the module for <paramref name="activation"/>.</summary>
    public static nn.Module<Tensor, Tensor> Create(Activation activation) => activation switch
    {
        Activation.ReLU => nn.ReLU(),
        Activation.LeakyReLU => nn.LeakyReLU(LeakySlope),
        Activation.Tanh => nn.Tanh(),
        Activation.ELU => nn.ELU(),
        Activation.SiLU => nn.SiLU(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    /// <summary>
    /// Applies <paramref name="activation"/> to <paramref name="x"/> in place and returns it: for inference, where no
    /// gradient needs the pre-activation values and a fresh tensor per layer would only cost memory traffic.
    /// </summary>
    public static Tensor ApplyInPlace(Activation activation, Tensor x) => activation switch
    {
        Activation.ReLU => x.relu_(),
        Activation.LeakyReLU => x.leaky_relu_(LeakySlope),
        Activation.Tanh => x.tanh_(),
        Activation.ELU => nn.functional.elu(x, 1.0, inplace: true),
        Activation.SiLU => nn.functional.silu(x, inplace: true),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };
}
