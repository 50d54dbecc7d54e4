using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Autoencoders;
using GenModels.MLNet.Vae;
using GenModels.Torch.Networks;
using GenModels.Torch.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using static TorchSharp.torch;

namespace GenModels.Tests;

/// <summary>
/// Single rows (PredictionEngine) of MLP networks run on a managed copy of the weights: they must agree with the batched
/// libtorch path for every column they produce, keep NaN and infinity handling, and leave sampled columns to libtorch.
/// </summary>
public class SingleRowTests
{
    public sealed class Encoded
    {
        [VectorType(3)] public float[] Latent { get; set; } = [];
        [VectorType(3)] public float[] LogVar { get; set; } = [];
        [VectorType(Synthetic.Dimension)] public float[] Reconstruction { get; set; } = [];
        public float Error { get; set; }
    }

    public sealed class AutoencoderEncoded
    {
        [VectorType(3)] public float[] Latent { get; set; } = [];
        [VectorType(Synthetic.Dimension)] public float[] Reconstruction { get; set; } = [];
        public float Error { get; set; }
    }

    public sealed class Scored
    {
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }
    }

    public sealed class Sampled
    {
        [VectorType(3)] public float[] Sample { get; set; } = [];
    }

    [Theory]
    [MemberData(nameof(EveryActivation.Values), MemberType = typeof(EveryActivation))]
    public void TheManagedCopyOfAnMlpComputesWhatItsForwardComputes(Activation activation)
    {
        manual_seed(3);
        using var mlp = new Mlp("mlp", 37, [50, 21], 13, activation); // widths that are not multiples of the vector width
        var copy = RowMlp.From(mlp)!;
        var rnd = new Random(1);
        var rows = Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, 37).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray()).ToArray();
        float[] expected;
        using (no_grad()) expected = mlp.forward(tensor(rows.SelectMany(r => r).ToArray(), [20L, 37])).data<float>().ToArray();
        var output = new float[13];
        for (int r = 0; r < rows.Length; r++)
        {
            copy.Forward(rows[r], output);
            for (int j = 0; j < 13; j++) Assert.Equal(expected[r * 13 + j], output[j], 1e-5f);
        }
        // NaN passes through, as in libtorch; the copy does not follow later changes to the network's weights.
        copy.Forward(Enumerable.Repeat(float.NaN, 37).ToArray(), output);
        Assert.All(output, v => Assert.True(float.IsNaN(v)));
        Assert.Equal(37, copy.InputSize);
        Assert.Equal(13, copy.OutputSize);
        Assert.Throws<ArgumentException>(() => copy.Forward(new float[36], output));
    }

    [Fact]
    public void AConvolutionalNetworkHasNoManagedCopy()
    {
        using var vae = new GenModels.Torch.Vae.VariationalAutoencoder(new GenModels.Torch.Vae.VaeOptions { InputDimension = 64, LatentDimension = 2, Architecture = NetworkArchitecture.Convolutional, ImageShape = [1, 8, 8], ConvolutionChannels = 4 });
        Assert.Null(RowReconstructionModel.TryCreate(vae));
        using var mlpVae = new GenModels.Torch.Vae.VariationalAutoencoder(new GenModels.Torch.Vae.VaeOptions { InputDimension = 8, LatentDimension = 2 });
        Assert.NotNull(RowReconstructionModel.TryCreate(mlpVae));
    }

    [Theory]
    [InlineData(ReconstructionLikelihood.Gaussian, Activation.ReLU)]
    [InlineData(ReconstructionLikelihood.Bernoulli, Activation.SiLU)]
    public void AVaeEnginesColumnsAgreeWithTheBatchedTransform(ReconstructionLikelihood likelihood, Activation activation)
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(40, seed: 4);
        if (likelihood == ReconstructionLikelihood.Bernoulli)
            foreach (var r in rows) for (int j = 0; j < r.Features.Length; j++) r.Features[j] = 1 / (1 + MathF.Exp(-r.Features[j])); // into (0, 1)
        var data = Synthetic.Load(ml, rows);
        var vae = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options
        {
            LatentDimension = 3, HiddenSizes = [32, 16], Epochs = 3, Seed = 2, Likelihood = likelihood, Activation = activation,
            LogVarianceColumnName = "LogVar", ReconstructionColumnName = "Reconstruction", ReconstructionErrorColumnName = "Error",
        }).Fit(data);
        var batched = vae.Transform(data);
        var latent = Synthetic.Column(batched, "Latent");
        var logVar = Synthetic.Column(batched, "LogVar");
        var reconstruction = Synthetic.Column(batched, "Reconstruction");
        var error = batched.GetColumn<float>("Error").ToArray();
        using var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, Encoded>(vae);
        for (int i = 0; i < rows.Length; i++)
        {
            var single = engine.Predict(rows[i]);
            AssertClose(latent[i], single.Latent);
            AssertClose(logVar[i], single.LogVar);
            AssertClose(reconstruction[i], single.Reconstruction);
            Assert.Equal(error[i], single.Error, 1e-5f * Math.Max(1, error[i]));
        }
    }

    [Fact]
    public void AnAutoencoderEnginesColumnsAgreeWithTheBatchedTransform()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(40, seed: 5);
        var data = Synthetic.Load(ml, rows);
        var autoencoder = ml.Transforms.AutoencoderEncode(new AutoencoderEncodingEstimator.Options
        {
            LatentDimension = 3, HiddenSizes = [24], Epochs = 3, Seed = 2, Activation = Activation.Tanh,
            ReconstructionColumnName = "Reconstruction", ReconstructionErrorColumnName = "Error",
        }).Fit(data);
        var batched = autoencoder.Transform(data);
        var latent = Synthetic.Column(batched, "Latent");
        var reconstruction = Synthetic.Column(batched, "Reconstruction");
        var error = batched.GetColumn<float>("Error").ToArray();
        using var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, AutoencoderEncoded>(autoencoder);
        for (int i = 0; i < rows.Length; i++)
        {
            var single = engine.Predict(rows[i]);
            AssertClose(latent[i], single.Latent);
            AssertClose(reconstruction[i], single.Reconstruction);
            Assert.Equal(error[i], single.Error, 1e-5f * Math.Max(1, error[i]));
        }
    }

    [Theory]
    [InlineData(false, AnomalyScoreKind.ScaledReconstructionError)]
    [InlineData(false, AnomalyScoreKind.ReconstructionError)]
    [InlineData(true, AnomalyScoreKind.ScaledReconstructionError)]
    [InlineData(true, AnomalyScoreKind.ReconstructionError)]
    public void ADetectorEngineScoresAsTheBatchedTransformDoesAndFlagsNonFiniteRows(bool autoencoder, AnomalyScoreKind kind)
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(60, seed: 6).Concat(Synthetic.CurvedManifold(5, seed: 7, offset: 2f)).ToArray();
        var data = Synthetic.Load(ml, rows);
        ITransformer detector = autoencoder
            ? ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { LatentDimension = 2, HiddenSizes = [16], Epochs = 3, Seed = 2, ScoreKind = kind }).Fit(data)
            : ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options { LatentDimension = 2, HiddenSizes = [16], Epochs = 3, Seed = 2, ScoreKind = kind }).Fit(data);
        var batched = detector.Transform(data);
        var scores = batched.GetColumn<float>("Score").ToArray();
        var labels = batched.GetColumn<bool>("PredictedLabel").ToArray();
        using var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, Scored>(detector);
        for (int i = 0; i < rows.Length; i++)
        {
            var single = engine.Predict(rows[i]);
            Assert.Equal(scores[i], single.Score, 1e-5f * Math.Max(1, Math.Abs(scores[i])));
            if (Math.Abs(scores[i] - ((GenerativeAnomalyDetectionTransformer)detector).Threshold) > 1e-4f) Assert.Equal(labels[i], single.PredictedLabel);
        }
        Assert.Contains(true, labels); // the shifted rows are flagged
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity })
        {
            var row = new Synthetic.Row { Features = (float[])rows[0].Features.Clone() };
            row.Features[3] = bad;
            var single = engine.Predict(row);
            Assert.Equal(float.PositiveInfinity, single.Score);
            Assert.True(single.PredictedLabel);
        }
    }

    [Fact]
    public void SampledColumnsStillComeFromLibtorchInAnEngine()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(30, seed: 8);
        var data = Synthetic.Load(ml, rows);
        var vae = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { LatentDimension = 3, HiddenSizes = [16], Epochs = 2, Seed = 2, SampledLatentColumnName = "Sample" }).Fit(data);
        using var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, Sampled>(vae);
        var first = engine.Predict(rows[0]).Sample;
        Assert.Equal(3, first.Length);
        Assert.All(first, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(first, engine.Predict(rows[0]).Sample); // every row starts from the same noise
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++) Assert.Equal(expected[j], actual[j], 1e-5f * Math.Max(1, Math.Abs(expected[j])));
    }
}

/// <summary>Every <see cref="Activation"/>, for tests that must hold for each (a new activation is covered without editing them).</summary>
public static class EveryActivation
{
    public static TheoryData<Activation> Values => new(Enum.GetValues<Activation>());
}
