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
