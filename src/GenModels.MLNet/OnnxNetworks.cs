using GenModels.MLNet.Persistence;
using GenModels.Torch.Autoencoders;
using GenModels.Torch.Networks;
using GenModels.Torch.Vae;
using static TorchSharp.torch;

namespace GenModels.MLNet;

/// <summary>
/// The library's encoder/decoder networks written as ONNX nodes (Gemm and element-wise operators only, so any opset
/// ML.NET exports with runs them), for <c>mlContext.Model.ConvertToOnnx</c>.
/// </summary>
internal static class OnnxNetworks
{
    /// <summary>The posterior mean (and, for a VAE, the clamped log-variance) of the rows in <paramref name="x"/>.</summary>
    public static (string Mean, string? LogVariance) Encode(OnnxGraph g, IReconstructionModel model, string x)
    {
        var weights = Weights(model);
        var (hidden, activation, latent) = Shape(model);
        if (model is VariationalAutoencoder)
        {
            // The encoder's last layer emits [mean, logVar]: its rows are split into two Gemms.
            var h = Hidden(g, weights, "encoder", x, hidden, activation);
            var mean = Gemm(g, h, weights["encoder.layers.out.weight"].narrow(0, 0, latent), weights["encoder.layers.out.bias"].narrow(0, 0, latent));
            var logVar = Gemm(g, h, weights["encoder.layers.out.weight"].narrow(0, latent, latent), weights["encoder.layers.out.bias"].narrow(0, latent, latent));
            logVar = g.Node("Max", [g.Node("Min", [logVar, g.Constant([20f], 1)]), g.Constant([-30f], 1)]); // the clamp EncodeDistribution applies
            return (mean, logVar);
        }
        var code = Gemm(g, Hidden(g, weights, "encoder", x, hidden, activation), weights["encoder.layers.out.weight"], weights["encoder.layers.out.bias"]);
        return (code, null);
    }

    /// <summary>The reconstruction of codes <paramref name="z"/>: the decoder's mean, through a sigmoid for Bernoulli data.</summary>
    public static string Decode(OnnxGraph g, IReconstructionModel model, string z)
    {
        var weights = Weights(model);
        var (hidden, activation, _) = Shape(model);
        var raw = Gemm(g, Hidden(g, weights, "decoder", z, hidden, activation), weights["decoder.layers.out.weight"], weights["decoder.layers.out.bias"]);
        return Likelihood(model) == ReconstructionLikelihood.Bernoulli ? g.Node("Sigmoid", [raw]) : raw;
    }

    /// <summary>Per-row sum of the columns of <paramref name="x"/> ([n, width] → [n, 1]) times <paramref name="factor"/>, as a product with a constant.</summary>
    public static string RowSum(OnnxGraph g, string x, int width, float factor = 1) =>
        g.Node("MatMul", [x, g.Constant(Enumerable.Repeat(factor, width).ToArray(), width, 1)]);

    /// <summary>Element-wise square.</summary>
    public static string Square(OnnxGraph g, string x) => g.Node("Mul", [x, x]);

    /// <summary>1 for rows of <paramref name="x"/> with a NaN or infinite value, else 0, as a [n, 1] Boolean.</summary>
    public static string NonFiniteRows(OnnxGraph g, string x, int width)
    {
        var bad = g.Node("Or", [g.Node("IsNaN", [x]), g.Node("IsInf", [x])]);
        return g.Node("Greater", [RowSum(g, g.Node("Cast", [bad], ("to", 1L)), width), g.Constant([0f], 1)]);
    }

    private static string Hidden(OnnxGraph g, Dictionary<string, Tensor> weights, string network, string x, int layers, Activation activation)
    {
        var h = x;
        for (int i = 0; i < layers; i++)
            h = Activate(g, Gemm(g, h, weights[$"{network}.layers.linear{i}.weight"], weights[$"{network}.layers.linear{i}.bias"]), activation);
        return h;
    }

    private static string Gemm(OnnxGraph g, string x, Tensor weight, Tensor bias)
    {
        using var w = weight.contiguous();
        using var b = bias.contiguous();
        return g.Node("Gemm", [x, g.Constant(w.data<float>().ToArray(), w.shape[0], w.shape[1]), g.Constant(b.data<float>().ToArray(), b.shape[0])], ("transB", 1L));
    }

    private static string Activate(OnnxGraph g, string x, Activation activation) => activation switch
    {
        Activation.ReLU => g.Node("Relu", [x]),
        Activation.LeakyReLU => g.Node("LeakyRelu", [x], ("alpha", 0.2f)),
        Activation.Tanh => g.Node("Tanh", [x]),
        Activation.ELU => g.Node("Elu", [x], ("alpha", 1f)),
        Activation.SiLU => g.Node("Mul", [x, g.Node("Sigmoid", [x])]),
        _ => throw new NotSupportedException($"No ONNX form for {activation}."),
    };

    private static Dictionary<string, Tensor> Weights(IReconstructionModel model) =>
        ((TorchSharp.torch.nn.Module)model).state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);

    private static (int Hidden, Activation Activation, int Latent) Shape(IReconstructionModel model)
    {
        var options = ExportableOptions(model);
        return (options.ResolvedHiddenSizes.Length, options.Activation, model.LatentDimension);
    }

    private static ReconstructionLikelihood Likelihood(IReconstructionModel model) => ExportableOptions(model).Likelihood;

    /// <summary>The network's options, once it is known to be an MLP pair (the only networks with an ONNX form so far).</summary>
    private static ReconstructionNetworkOptions ExportableOptions(IReconstructionModel model)
    {
        var options = ReconstructionNetworks.OptionsOf(model);
        if (options.Architecture != NetworkArchitecture.Mlp)
            throw new NotSupportedException(
                $"This {model.GetType().Name} has convolutional networks, which cannot be exported to ONNX yet: only MLP encoders and decoders export. " +
                "Train with Architecture = NetworkArchitecture.Mlp to export the model, or serve it with the library.");
        return options;
    }
}
