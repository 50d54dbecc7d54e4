using GenModels.MLNet;
using GenModels.MLNet.Vae;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace GenModels.Tests;

public class VaeEncodeTests
{
    private static VaeEncodingEstimator.Options ManifoldOptions(double beta = 1, int seed = 1) => new()
    {
        InputColumnName = "Features",
        OutputColumnName = "Latent",
        LatentDimension = 1,
        HiddenSizes = [64, 64],
        Epochs = 60,
        BatchSize = 64,
        LearningRate = 3e-3,
        Beta = beta,
        Seed = seed,
        ReconstructionColumnName = "Reconstruction",
        ReconstructionErrorColumnName = "ReconstructionError",
    };

    [Fact]
    public void VaeLearnsCurvedManifoldBetterThanPca()
    {
        var ml = new MLContext(seed: 1);
        var train = Synthetic.Load(ml, Synthetic.CurvedManifold(2000, seed: 1));
        var test = Synthetic.Load(ml, Synthetic.CurvedManifold(500, seed: 2));
        var model = ml.Transforms.VaeEncode(ManifoldOptions(beta: 0.05)).Fit(train);
        var output = model.Transform(test);
        var inputs = Synthetic.Column(test, "Features");
        var reconstructions = Synthetic.Column(output, "Reconstruction");
        double vaeError = inputs.Zip(reconstructions, (x, r) => x.Zip(r, (a, b) => (double)(a - b) * (a - b)).Average()).Average();
        double pcaError = Synthetic.PcaReconstructionError(inputs, components: 1);
        Assert.True(vaeError < 0.5 * pcaError, $"VAE error {vaeError:G4} should be well below 1-component PCA's {pcaError:G4}.");
        // The error column is the same number, row by row.
        var errors = output.GetColumn<float>("ReconstructionError").ToArray();
        Assert.Equal(vaeError, errors.Average(), 3);
    }

    [Fact]
    public void LargerBetaGivesSmallerKl()
    {
        var ml = new MLContext(seed: 1);
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(1000, seed: 3));
        double Kl(double beta)
        {
            var options = ManifoldOptions(beta);
            options.LatentDimension = 2;
            options.Epochs = 25;
            using var t = ml.Transforms.VaeEncode(options).Fit(data);
            return t.Training!.History[^1].Losses["kl_loss"];
        }
        double klLow = Kl(0.1), klStandard = Kl(1), klHigh = Kl(8);
        Assert.True(klLow > klStandard && klStandard > klHigh, $"KL should fall as β grows: β=0.1 → {klLow:G4}, β=1 → {klStandard:G4}, β=8 → {klHigh:G4}.");
    }

    [Fact]
    public void SameSeedGivesIdenticalModelAndDifferentSeedDoesNot()
    {
        var ml = new MLContext(seed: 1);
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(300, seed: 4));
        float[][] Latent(int seed)
        {
            var options = ManifoldOptions(seed: seed);
            options.Epochs = 3;
            options.SampledLatentColumnName = "Sampled";
            using var model = ml.Transforms.VaeEncode(options).Fit(data);
            var output = model.Transform(data);
            return Synthetic.Column(output, "Latent").Concat(Synthetic.Column(output, "Sampled")).ToArray();
        }
        var a = Latent(7);
        var b = Latent(7);
        var c = Latent(8);
        Assert.Equal(a.SelectMany(x => x), b.SelectMany(x => x));
        Assert.NotEqual(a.SelectMany(x => x), c.SelectMany(x => x));
    }

    [Fact]
    public void MLContextSeedMakesTrainingReproducibleWithoutAnExplicitSeed()
    {
        float[] Run()
        {
            var ml = new MLContext(seed: 42);
            var data = Synthetic.Load(ml, Synthetic.CurvedManifold(200, seed: 5));
            var model = ml.Transforms.VaeEncode("Latent", "Features", latentDimension: 2).Fit(data);
            return Synthetic.Column(model.Transform(data), "Latent").SelectMany(x => x).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void OutputColumnsHaveKnownSizeAndSlotNamesAndPassThroughColumnsSurvive()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(37, seed: 6);
        var data = Synthetic.Load(ml, rows);
        var options = ManifoldOptions();
        options.Epochs = 1;
        options.LatentDimension = 3;
        options.LogVarianceColumnName = "LogVar";
        options.TransformBatchSize = 8; // several batches and a partial one
        var model = ml.Transforms.VaeEncode(options).Fit(data);
        var output = model.Transform(data);
        var latent = output.Schema["Latent"];
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), latent.Type);
        VBuffer<ReadOnlyMemory<char>> names = default;
        latent.GetSlotNames(ref names);
        Assert.Equal(new[] { "Latent0", "Latent1", "Latent2" }, names.DenseValues().Select(n => n.ToString()));
        Assert.Equal(rows.Select(r => r.Tag), output.GetColumn<string>("Tag"));
        Assert.Equal(rows.Select(r => r.Weight), output.GetColumn<float>("Weight"));
        Assert.Equal(rows.Select(r => r.Features), Synthetic.Column(output, "Features"));

        // Batched results equal a single-row PredictionEngine's, row by row.
        var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, LatentRow>(model);
        var batched = Synthetic.Column(output, "Latent");
        for (int i = 0; i < rows.Length; i++)
        {
            var single = engine.Predict(rows[i]).Latent;
            for (int j = 0; j < 3; j++) Assert.Equal(batched[i][j], single[j], 1e-5); // batch-of-one matmul may round differently
        }
        // Log-variances are negative for a fitted posterior narrower than the prior, and never NaN.
        Assert.All(Synthetic.Column(output, "LogVar").SelectMany(x => x), v => Assert.True(float.IsFinite(v)));
    }

    public sealed class LatentRow
    {
        [VectorType(3)] public float[] Latent { get; set; } = [];
    }

    [Fact]
    public void ProgressGoesToReporterAndMLContextLog()
    {
        var ml = new MLContext(seed: 1);
        var logged = new List<string>();
        ml.Log += (_, e) => { lock (logged) logged.Add(e.Message); };
        var reports = new List<TrainingProgress>();
        var options = ManifoldOptions();
        options.Epochs = 3;
        options.Progress = new SynchronousProgress<TrainingProgress>(reports.Add);
        ml.Transforms.VaeEncode(options).Fit(Synthetic.Load(ml, Synthetic.CurvedManifold(200, seed: 7)));
        var epochEnds = reports.Where(r => r.IsEpochEnd).ToArray();
        Assert.Equal(new[] { 1, 2, 3 }, epochEnds.Select(r => r.Epoch));
        Assert.All(epochEnds, r => Assert.Contains("kl_loss", r.Losses.Keys));
        Assert.Contains(logged, m => m.Contains("epoch 3/3"));
    }

    [Fact]
    public void CancellationStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        using var cts = new CancellationTokenSource();
        var options = ManifoldOptions();
        options.Epochs = 1000;
        options.CancellationToken = cts.Token;
        options.Progress = new SynchronousProgress<TrainingProgress>(p => { if (p.Epoch == 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Transforms.VaeEncode(options).Fit(Synthetic.Load(ml, Synthetic.CurvedManifold(200, seed: 8))));
    }

    [Fact]
    public void EarlyStoppingStopsBeforeTheLastEpoch()
    {
        var ml = new MLContext(seed: 1);
        var options = ManifoldOptions();
        options.Epochs = 400;
        options.LearningRate = 1e-2;
        options.ValidationFraction = 0.5;
        options.EarlyStoppingPatience = 3;
        using var model = ml.Transforms.VaeEncode(options).Fit(Synthetic.Load(ml, Synthetic.CurvedManifold(100, seed: 9)));
        Assert.True(model.Training!.StoppedEarly);
        Assert.True(model.Training.EpochsRun < 400);
        Assert.All(model.Training.History, h => Assert.NotNull(h.ValidationLosses));
    }
}

/// <summary>An IProgress that calls back on the reporting thread (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
