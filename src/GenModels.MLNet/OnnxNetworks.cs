using GenModels.MLNet.Persistence;
using GenModels.Torch.Autoencoders;
using GenModels.Torch.Networks;
using GenModels.Torch.Vae;
using static TorchSharp.torch;

namespace GenModels.MLNet;

/// <summary>
/// The library's encoder/decoder networks written as ONNX nodes, for <c>mlContext.Model.ConvertToOnnx</c>: Gemm and
/// element-wise operators for the MLPs, plus Reshape, Conv, ConvTranspose and Flatten for the convolutional networks
/// (every opset ML.NET exports with has them).
/// </summary>
internal static class OnnxNetworks
{
    /// <summary>
    /// The network's input as [n, InputDimension] rows: the column's variable, reshaped for a convolutional network (whose
    /// column may be exported with its C×H×W dimensions).
    /// </summary>
    public static string Input(OnnxGraph g, IReconstructionModel model, string x) =>
        Options(model).Architecture == NetworkArchitecture.Convolutional
            ? g.Node("Reshape", [x, g.Int64Constant([-1, model.InputDimension], 2)])
            : x;

    /// <summary>The posterior mean (and, for a VAE, the clamped log-variance) of the rows in <paramref name="x"/>.</summary>
    public static (string Mean, string? LogVariance) Encode(OnnxGraph g, IReconstructionModel model, string x)
    {
        var weights = Weights(model);
        var o = Options(model);
        int latent = model.LatentDimension;
        string dense = "encoder.layers";
        if (o.Architecture == NetworkArchitecture.Convolutional)
        {
            var (channels, height, width) = (o.ImageShape![0], o.ImageShape[1], o.ImageShape[2]);
            var image = g.Node("Reshape", [x, g.Int64Constant([-1, channels, height, width], 4)]);
            var h1 = Activate(g, Convolution(g, "Conv", image, weights, "encoder.convolutions.down1"), o.Activation);
            var h2 = Activate(g, Convolution(g, "Conv", h1, weights, "encoder.convolutions.down2"), o.Activation);
            x = g.Node("Flatten", [h2], ("axis", 1L));
            dense = "encoder.dense.layers";
        }
        var h = Hidden(g, weights, dense, x, o.ResolvedHiddenSizes.Length, o.Activation);
        if (model is VariationalAutoencoder)
        {
            // The encoder's last layer emits [mean, logVar]: its rows are split into two Gemms.
            var mean = Gemm(g, h, weights[$"{dense}.out.weight"].narrow(0, 0, latent), weights[$"{dense}.out.bias"].narrow(0, 0, latent));
            var logVar = Gemm(g, h, weights[$"{dense}.out.weight"].narrow(0, latent, latent), weights[$"{dense}.out.bias"].narrow(0, latent, latent));
            logVar = g.Node("Max", [g.Node("Min", [logVar, g.Constant([20f], 1)]), g.Constant([-30f], 1)]); // the clamp EncodeDistribution applies
            return (mean, logVar);
        }
        return (Gemm(g, h, weights[$"{dense}.out.weight"], weights[$"{dense}.out.bias"]), null);
    }

    /// <summary>The reconstruction of codes <paramref name="z"/>: the decoder's mean, through a sigmoid for Bernoulli data.</summary>
    public static string Decode(OnnxGraph g, IReconstructionModel model, string z)
    {
        var weights = Weights(model);
        var o = Options(model);
        bool convolutional = o.Architecture == NetworkArchitecture.Convolutional;
        string dense = convolutional ? "decoder.dense.layers" : "decoder.layers";
        var raw = Gemm(g, Hidden(g, weights, dense, z, o.ResolvedHiddenSizes.Length, o.Activation), weights[$"{dense}.out.weight"], weights[$"{dense}.out.bias"]);
        if (convolutional)
        {
            var (height, width, c) = (o.ImageShape![1], o.ImageShape[2], o.ConvolutionChannels);
            var image = g.Node("Reshape", [Activate(g, raw, o.Activation), g.Int64Constant([-1, 2L * c, height / 4, width / 4], 4)]);
            var up1 = Activate(g, Convolution(g, "ConvTranspose", image, weights, "decoder.convolutions.up1"), o.Activation);
            raw = g.Node("Flatten", [Convolution(g, "ConvTranspose", up1, weights, "decoder.convolutions.up2")], ("axis", 1L));
        }
        return o.Likelihood == ReconstructionLikelihood.Bernoulli ? g.Node("Sigmoid", [raw]) : raw;
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

    private static string Hidden(OnnxGraph g, Dictionary<string, Tensor> weights, string layers, string x, int count, Activation activation)
    {
        var h = x;
        for (int i = 0; i < count; i++)
            h = Activate(g, Gemm(g, h, weights[$"{layers}.linear{i}.weight"], weights[$"{layers}.linear{i}.bias"]), activation);
        return h;
    }

    private static string Gemm(OnnxGraph g, string x, Tensor weight, Tensor bias)
    {
        using var w = weight.contiguous();
        using var b = bias.contiguous();
        return g.Node("Gemm", [x, g.Constant(w.data<float>().ToArray(), w.shape[0], w.shape[1]), g.Constant(b.data<float>().ToArray(), b.shape[0])], ("transB", 1L));
    }

    /// <summary>A 4×4 convolution (or transposed convolution) of stride 2 and padding 1, as the convolutional networks use.</summary>
    private static string Convolution(OnnxGraph g, string op, string x, Dictionary<string, Tensor> weights, string layer)
    {
        using var w = weights[layer + ".weight"].contiguous();
        using var b = weights[layer + ".bias"].contiguous();
        return g.Node(op, [x, g.Constant(w.data<float>().ToArray(), w.shape), g.Constant(b.data<float>().ToArray(), b.shape[0])],
            ("kernel_shape", new long[] { 4, 4 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
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

    private static ReconstructionNetworkOptions Options(IReconstructionModel model) => ReconstructionNetworks.OptionsOf(model);
}
