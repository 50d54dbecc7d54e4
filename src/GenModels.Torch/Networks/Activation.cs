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
    /// <summary>Creates the module for <paramref name="activation"/>.</summary>
    public static nn.Module<Tensor, Tensor> Create(Activation activation) => activation switch
    {
        Activation.ReLU => nn.ReLU(),
        Activation.LeakyReLU => nn.LeakyReLU(0.2),
        Activation.Tanh => nn.Tanh(),
        Activation.ELU => nn.ELU(),
        Activation.SiLU => nn.SiLU(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };
}
