using GenModels.Torch.Networks;
using GenModels.Torch.Serialization;
using GenModels.Torch.Training;
using GenModels.Torch.Vae;
using Xunit;
using static TorchSharp.torch;

namespace GenModels.Tests;

public class TorchLayerTests
{
    private static Tensor ManifoldTensor(int rows, int seed) =>
        tensor(Synthetic.CurvedManifold(rows, seed).SelectMany(r => r.Features).ToArray(), new long[] { rows, Synthetic.Dimension });

    private static VaeOptions SmallVae() => new() { InputDimension = Synthetic.Dimension, LatentDimension = 2, HiddenSizes = [32] };

    [Theory]
    [MemberData(nameof(EveryActivation.Values), MemberType = typeof(EveryActivation))]
    public void TheInferenceForwardComputesWhatTheTrainingForwardComputes(Activation activation)
    {
        manual_seed(4);
        using var mlp = new Mlp("mlp", 37, [50, 21], 13, activation);
        using var x = randn(30, 37) * 2;
        using var before = x.clone();
        using var training = mlp.forward(x).detach();                        // autograd on: the module's own layers
        Tensor inference, head;
        using (no_grad()) { inference = mlp.forward(x); head = mlp.ForwardInference(x, 5); }
        Assert.True(training.allclose(inference, rtol: 0, atol: 1e-6), $"{activation}: the in-place forward differs");
        Assert.Equal([30L, 5], head.shape);
        Assert.True(training.narrow(1, 0, 5).allclose(head, rtol: 0, atol: 1e-6), $"{activation}: the narrowed output layer differs");
        Assert.True(x.eq(before).all().item<bool>(), "the input must not be changed in place");

        // A VAE's posterior mean, computed without its log-variance half, is the mean of the full posterior.
        using var vae = new VariationalAutoencoder(new VaeOptions { InputDimension = 37, LatentDimension = 3, HiddenSizes = [16], Activation = activation });
        using (no_grad())
            Assert.True(vae.EncodeDistribution(x).Mean.allclose(vae.Encode(x), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void SerializerRoundTripGivesTheSameNetworkAndRejectsDamagedStreams()
    {
        using var data = ManifoldTensor(64, 1);
        var (model, _) = VaeTraining.Fit(data, SmallVae(), new TrainingOptions { Epochs = 2, Seed = 3 });
        using var _m = model;
        using var stream = new MemoryStream();
        ModelSerializer.Save(stream, "VariationalAutoencoder", model.Options, model);
        var bytes = stream.ToArray();

        using var loaded = ModelSerializer.Load<VaeOptions, VariationalAutoencoder>(new MemoryStream(bytes), "VariationalAutoencoder", o => new VariationalAutoencoder(o));
        using (no_grad())
            Assert.True(model.Encode(data).eq(loaded.Encode(data)).all().item<bool>());
        Assert.Equal(model.Options.HiddenSizes, loaded.Options.HiddenSizes);

        var truncated = Assert.Throws<InvalidDataException>(() =>
            ModelSerializer.Load<VaeOptions, VariationalAutoencoder>(new MemoryStream(bytes[..(bytes.Length / 2)]), "VariationalAutoencoder", o => new VariationalAutoencoder(o)));
        Assert.Contains("truncated", truncated.Message);
        var wrongKind = Assert.Throws<InvalidDataException>(() =>
            ModelSerializer.Load<VaeOptions, VariationalAutoencoder>(new MemoryStream(bytes), "Autoencoder", o => new VariationalAutoencoder(o)));
        Assert.Contains("'VariationalAutoencoder'", wrongKind.Message);
        Assert.Throws<InvalidDataException>(() =>
            ModelSerializer.Load<VaeOptions, VariationalAutoencoder>(new MemoryStream([1, 2, 3]), "VariationalAutoencoder", o => new VariationalAutoencoder(o)));
    }

    [Fact]
    public void SameSeedGivesIdenticalWeights()
    {
        using var data = ManifoldTensor(100, 2);
        var training = new TrainingOptions { Epochs = 2, Seed = 11, BatchSize = 16 };
        var (a, _) = VaeTraining.Fit(data, SmallVae(), training);
        var (b, _) = VaeTraining.Fit(data, SmallVae(), training);
        using (a) using (b)
            foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
                Assert.True(pa.eq(pb).all().item<bool>());
    }

    [Fact]
    public void PriorSamplesHaveTheInputShape()
    {
        using var model = new VariationalAutoencoder(SmallVae());
        using var generator = new Generator(1);
        using var samples = model.Sample(5, generator);
        Assert.Equal(new long[] { 5, Synthetic.Dimension }, samples.shape);
    }
}
