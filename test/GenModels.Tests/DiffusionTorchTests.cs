using GenModels.Torch.Diffusion;
using Xunit;
using static TorchSharp.torch;

namespace GenModels.Tests;

public class DiffusionTorchTests
{
    [Fact]
    public void SchedulesFollowTheirDefinitions()
    {
        var (betas, alphaBars) = DiffusionModel.Schedule(NoiseSchedule.Linear, 1000);
        Assert.Equal(1e-4, betas[0], 12);
        Assert.Equal(0.02, betas[^1], 12);
        double product = 1;
        for (int t = 0; t < 1000; t++) Assert.Equal(product *= 1 - betas[t], alphaBars[t], 12);

        // Cosine: ᾱ_t = f(t + 1)/f(0) with f(u) = cos²((u/T + s)/(1 + s)·π/2), s = 0.008, where no β is clipped.
        var (_, cosine) = DiffusionModel.Schedule(NoiseSchedule.Cosine, 1000);
        static double F(double u) => Math.Pow(Math.Cos((u / 1000 + 0.008) / 1.008 * Math.PI / 2), 2);
        foreach (int t in new[] { 0, 100, 500, 900 }) Assert.Equal(F(t + 1) / F(0), cosine[t], 9);
        Assert.True(cosine.Zip(cosine.Skip(1)).All(p => p.Second < p.First), "ᾱ must fall at every step");
    }

    [Fact]
    public void ForwardNoisingMatchesTheClosedFormMeanAndVariance()
    {
        using var model = new DiffusionModel(new DiffusionOptions { DataDimension = 1, HiddenSizes = [4], EmbeddingDimension = 4 });
        using var generator = new Generator(1);
        const int n = 200_000;
        foreach (int step in new[] { 0, 250, 999 })
        {
            using var scope = NewDisposeScope();
            var x0 = full(n, 1, 3f);
            var noised = model.AddNoise(x0, full(n, step, dtype: ScalarType.Int64), randn(n, 1, generator: generator));
            double alphaBar = model.AlphaBars[step];
            Assert.Equal(Math.Sqrt(alphaBar) * 3, noised.mean().item<float>(), 0.01);
            Assert.Equal(1 - alphaBar, noised.var().item<float>(), 0.01);
        }
    }

    [Fact]
    public void OnStepReceivesEveryStepAndItsLastStateIsTheResult()
    {
        using var model = new DiffusionModel(new DiffusionOptions { DataDimension = 3, ClassCount = 2, HiddenSizes = [8], EmbeddingDimension = 4 });
        using (var rows = tensor(new float[] { 1, 2, 3, 5, 6, 9 }, [2, 3])) model.FitStandardisation(rows);
        var seen = new List<DenoisingStep>();
        using var noise = model.SampleNoise(2, new Generator(1));
        using var classes = tensor(new long[] { 0, 1 });
        using var result = model.Sample(noise, classes, new SamplingOptions { Steps = 5, GuidanceScale = 2, OnStep = seen.Add });
        Assert.Equal([1, 2, 3, 4, 5], seen.Select(s => s.Done));
        Assert.All(seen, s => { Assert.Equal(5, s.Total); Assert.Equal(2, s.Rows); Assert.Equal(6, s.Current.Length); Assert.Equal(6, s.Predicted.Length); });
        Assert.Equal(model.Timesteps(new SamplingOptions { Steps = 5 }), seen.Select(s => s.Timestep));
        Assert.Equal(result.data<float>().ToArray(), seen[^1].Current); // in the data's units, like the result
        Assert.NotEqual(seen[0].Current, seen[^1].Current);
    }
}
