using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>
/// A multi-layer perceptron: Linear layers of the given widths with an activation between them; the last layer is linear.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> layers;
    private readonly TorchSharp.Modules.Linear[] linears;

    /// <summary>Builds in → hidden[0] → … → hidden[^1] → out.</summary>
    public Mlp(string name, int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize, Activation activation) : base(name)
    {
        if (inputSize <= 0) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "Must be positive.");
        if (outputSize <= 0) throw new ArgumentOutOfRangeException(nameof(outputSize), outputSize, "Must be positive.");
        var seq = nn.Sequential();
        int width = inputSize;
        for (int i = 0; i < hiddenSizes.Count; i++)
        {
            if (hiddenSizes[i] <= 0) throw new ArgumentOutOfRangeException(nameof(hiddenSizes), hiddenSizes[i], "Hidden layer sizes must be positive.");
            seq.append($"linear{i}", nn.Linear(width, hiddenSizes[i]));
            seq.append($"act{i}", Activations.Create(activation));
            width = hiddenSizes[i];
        }
        seq.append("out", nn.Linear(width, outputSize));
        layers = seq;
        Activation = activation;
        OutputSize = outputSize;
        RegisterComponents();
        linears = seq.children().OfType<TorchSharp.Modules.Linear>().ToArray(); // after registering: a view of layers, not a component

    }

    /// <summary>The activation between hidden layers.</summary>
    public Activation Activation { get; }

    /// <summary>The Linear layers in order (input side first); the last one is the output layer.</summary>
    internal IReadOnlyList<TorchSharp.Modules.Linear> Linears => linears;

    /// <summary>The network's output; with autograd off, through <see cref="ForwardInference"/>.</summary>
    public override Tensor forward(Tensor x) => is_grad_enabled() ? layers.forward(x) : ForwardInference(x, OutputSize);

    /// <summary>Width of the output layer.</summary>
    public int OutputSize { get; }

    /// <summary>
    /// The first <paramref name="outputs"/> outputs of <see cref="forward"/> (a VAE's posterior mean without its
    /// log-variance). With autograd off only those rows of the output layer are computed and each hidden activation is
    /// applied in place; with autograd on it is the module's forward, narrowed.
    /// </summary>
    public Tensor ForwardInference(Tensor x, int outputs)
    {
        if (is_grad_enabled()) return layers.forward(x).narrow(-1, 0, outputs);
        var h = x;
        for (int i = 0; i < linears.Length - 1; i++)
            h = Activations.ApplyInPlace(Activation, nn.functional.linear(h, linears[i].weight!, linears[i].bias));
        var last = linears[^1];
        // The first rows of a row-major [out, in] weight are contiguous: narrowing them copies nothing.
        return nn.functional.linear(h, last.weight!.narrow(0, 0, outputs), last.bias?.narrow(0, 0, outputs));
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) layers.Dispose();
        base.Dispose(disposing);
    }
}
