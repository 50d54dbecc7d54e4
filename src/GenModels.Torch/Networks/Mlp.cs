using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>
/// A multi-layer perceptron: Linear layers of the given widths with an activation between them; the last layer is linear.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> layers;

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
        RegisterComponents();
    }

    /// <summary>The activation between hidden layers.</summary>
    public Activation Activation { get; }

    /// <summary>The Linear layers in order (input side first); the last one is the output layer.</summary>
    internal IReadOnlyList<TorchSharp.Modules.Linear> Linears => layers.children().OfType<TorchSharp.Modules.Linear>().ToArray();

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => layers.forward(x);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) layers.Dispose();
        base.Dispose(disposing);
    }
}
