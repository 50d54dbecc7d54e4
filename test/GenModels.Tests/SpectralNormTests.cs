using GenModels.Torch.Gan;
using Xunit;
using static TorchSharp.torch;

namespace GenModels.Tests;

public class SpectralNormTests
{
    [Fact]
    public void SpectralNormLayersTrainTheirWeightsAndHaveUnitSpectralNorm()
    {
        using var layer = new SpectralNormLinear("sn", 6, 4);
        Assert.Equal(2, layer.parameters().Count()); // weight and bias are trained
        Assert.Single(layer.buffers());             // u is state, not a parameter
        layer.train();
        using var x = randn(16, 6);
        for (int i = 0; i < 30; i++) layer.forward(x).Dispose(); // power iterations
        var w = layer.parameters().First().detach();
        // The normalised weight's largest singular value is 1: |W x / σ| ≤ |x| along the top direction.
        var singular = linalg.svdvals(w);
        using var y = layer.forward(linalg.svd(w, fullMatrices: false).Vh[0].unsqueeze(0)) - layer.forward(zeros(1, 6));
        Assert.Equal(1.0, y.norm().item<float>(), 2);
        Assert.True(singular[0].item<float>() > 0);

        using var conv = new SpectralNormConv2d("snc", 3, 8, 4, 2, 1);
        Assert.Equal(2, conv.parameters().Count());
    }
}
