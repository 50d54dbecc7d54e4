using System.Numerics;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>
/// A managed copy of an <see cref="Mlp"/>'s weights that evaluates one row at a time without calling libtorch. For one
/// row each layer is a matrix–vector product, and libtorch's fixed cost per call (and its worker threads spinning when
/// other processes hold the cores) outweighs the arithmetic; ML.NET's <c>PredictionEngine</c> scores rows one by one, so
/// the library uses this path there. Values agree with the network's forward to float rounding (about 1e-7 relative),
/// not bit for bit, and are the same bits on every call and in every process. The copy is taken when it is made: later
/// changes to the network's weights do not reach it.
/// </summary>
public sealed class RowMlp
{
    // Scratch vectors up to this many floats live on the stack; wider layers use a heap array per call.
    private const int StackFloats = 4096;
    private readonly float[][] weights; // layer l: [out, in], row-major, as libtorch stores Linear weights
    private readonly float[][] biases;
    private readonly int[] sizes;       // input size, then each layer's output size
    private readonly Activation activation;

    private RowMlp(Mlp mlp)
    {
        var linears = mlp.Linears;
        using var noGrad = no_grad();
        weights = linears.Select(l => l.weight!.detach().cpu().contiguous().data<float>().ToArray()).ToArray();
        biases = linears.Select(l => l.bias is { } b ? b.detach().cpu().data<float>().ToArray() : new float[l.weight!.shape[0]]).ToArray();
        sizes = [(int)linears[0].weight!.shape[1], .. linears.Select(l => (int)l.weight!.shape[0])];
        activation = mlp.Activation;
    }

    /// <summary>The managed copy of <paramref name="network"/> when it is an <see cref="Mlp"/>; null for any other network (e.g. convolutional).</summary>
    public static RowMlp? From(nn.Module<Tensor, Tensor> network) => network is Mlp mlp ? new RowMlp(mlp) : null;

    /// <summary>Values per input row.</summary>
    public int InputSize => sizes[0];
    /// <summary>Values per output row.</summary>
    public int OutputSize => sizes[^1];

    /// <summary>Computes the network's output for one row: <paramref name="input"/> has <see cref="InputSize"/> values, <paramref name="output"/> <see cref="OutputSize"/>.</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length != InputSize) throw new ArgumentException($"Expected {InputSize} input values, got {input.Length}.", nameof(input));
        if (output.Length != OutputSize) throw new ArgumentException($"Expected room for {OutputSize} output values, got {output.Length}.", nameof(output));
        int widest = 0;
        for (int l = 1; l < sizes.Length - 1; l++) widest = Math.Max(widest, sizes[l]);
        Span<float> a = widest <= StackFloats ? stackalloc float[widest] : new float[widest];
        Span<float> b = widest <= StackFloats ? stackalloc float[widest] : new float[widest];
        scoped ReadOnlySpan<float> current = input;
        for (int l = 0; l < weights.Length; l++)
        {
            bool last = l == weights.Length - 1;
            var target = last ? output : (l % 2 == 0 ? a : b)[..sizes[l + 1]];
            Dense(weights[l], biases[l], current, target);
            if (!last) Activate(target);
            current = target;
        }
    }

    /// <summary>y = W·x + b for W [y.Length, x.Length]; four rows of W at a time share each load of x.</summary>
    private static void Dense(float[] w, float[] bias, ReadOnlySpan<float> x, Span<float> y)
    {
        int n = x.Length, m = y.Length, width = Vector<float>.Count, vectorEnd = n - n % width;
        var ws = w.AsSpan();
        int j = 0;
        for (; j + 4 <= m; j += 4)
        {
            var w0 = ws.Slice(j * n, n); var w1 = ws.Slice((j + 1) * n, n); var w2 = ws.Slice((j + 2) * n, n); var w3 = ws.Slice((j + 3) * n, n);
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int i = 0; i < vectorEnd; i += width)
            {
                var xv = new Vector<float>(x.Slice(i));
                s0 = Vector.FusedMultiplyAdd(new Vector<float>(w0.Slice(i)), xv, s0);
                s1 = Vector.FusedMultiplyAdd(new Vector<float>(w1.Slice(i)), xv, s1);
                s2 = Vector.FusedMultiplyAdd(new Vector<float>(w2.Slice(i)), xv, s2);
                s3 = Vector.FusedMultiplyAdd(new Vector<float>(w3.Slice(i)), xv, s3);
            }
            float t0 = Vector.Sum(s0), t1 = Vector.Sum(s1), t2 = Vector.Sum(s2), t3 = Vector.Sum(s3);
            for (int i = vectorEnd; i < n; i++) { t0 += w0[i] * x[i]; t1 += w1[i] * x[i]; t2 += w2[i] * x[i]; t3 += w3[i] * x[i]; }
            y[j] = t0 + bias[j]; y[j + 1] = t1 + bias[j + 1]; y[j + 2] = t2 + bias[j + 2]; y[j + 3] = t3 + bias[j + 3];
        }
        for (; j < m; j++)
        {
            var wr = ws.Slice(j * n, n);
            Vector<float> s = default;
            for (int i = 0; i < vectorEnd; i += width) s = Vector.FusedMultiplyAdd(new Vector<float>(wr.Slice(i)), new Vector<float>(x.Slice(i)), s);
            float t = Vector.Sum(s);
            for (int i = vectorEnd; i < n; i++) t += wr[i] * x[i];
            y[j] = t + bias[j];
        }
    }

    // The same functions as Activations.Create's modules.
    private void Activate(Span<float> v)
    {
        switch (activation)
        {
            // Written so that NaN passes through, as in libtorch.
            case Activation.ReLU: for (int i = 0; i < v.Length; i++) v[i] = v[i] < 0 ? 0 : v[i]; break;
            case Activation.LeakyReLU: for (int i = 0; i < v.Length; i++) v[i] = v[i] < 0 ? (float)Activations.LeakySlope * v[i] : v[i]; break;
            case Activation.Tanh: for (int i = 0; i < v.Length; i++) v[i] = MathF.Tanh(v[i]); break;
            case Activation.ELU: for (int i = 0; i < v.Length; i++) v[i] = v[i] < 0 ? (float)(Math.Exp(v[i]) - 1) : v[i]; break;
            case Activation.SiLU: for (int i = 0; i < v.Length; i++) v[i] = v[i] / (1 + MathF.Exp(-v[i])); break;
            default: throw new InvalidOperationException($"Unknown activation {activation}.");
        }
    }
}
