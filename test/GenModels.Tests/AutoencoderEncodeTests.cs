using GenModels.MLNet;
using GenModels.MLNet.Autoencoders;
using Microsoft.ML;
using Xunit;

namespace GenModels.Tests;

public class AutoencoderEncodeTests
{
    [Fact]
    public void AutoencoderLearnsCurvedManifoldFarBetterThanPcaWithTheSameNumberOfComponents()
    {
        var ml = new MLContext(seed: 1);
        var train = Synthetic.Load(ml, Synthetic.CurvedManifold(2000, seed: 21));
        var test = Synthetic.Load(ml, Synthetic.CurvedManifold(500, seed: 22));
        var model = ml.Transforms.AutoencoderEncode(new AutoencoderEncodingEstimator.Options
        {
            LatentDimension = 1, HiddenSizes = [64, 64], Epochs = 60, BatchSize = 64, LearningRate = 3e-3, Seed = 1,
            ReconstructionColumnName = "Reconstruction",
        }).Fit(train);
        var inputs = Synthetic.Column(test, "Features");
        var reconstructions = Synthetic.Column(model.Transform(test), "Reconstruction");
        double aeError = inputs.Zip(reconstructions, (x, r) => x.Zip(r, (a, b) => (double)(a - b) * (a - b)).Average()).Average();
        double pcaError = Synthetic.PcaReconstructionError(inputs, components: 1);
        Assert.True(aeError < 0.2 * pcaError, $"Autoencoder error {aeError:G4} should be far below 1-component PCA's {pcaError:G4}.");
        Assert.Single(Synthetic.Column(model.Transform(test), "Latent")[0]);
    }

    [Fact]
    public void SimpleOverloadUsesItsArguments()
    {
        var ml = new MLContext(seed: 1);
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(100, seed: 23));
        var output = ml.Transforms.AutoencoderEncode("Code", "Features", latentDimension: 3).Fit(data).Transform(data);
        Assert.Equal(3, Synthetic.Column(output, "Code")[0].Length);
    }
}
