using GenModels.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Gan;

/// <summary>
/// One GAN step: the discriminator learns real vs fake, then the generator learns to fool it, then the EMA follows.
/// A conditional GAN's batch carries each row's class index in its last column.
/// </summary>
public sealed class GanStep : ITrainStep
{
    private readonly GenerativeAdversarialNetwork gan;
    private readonly optim.Optimizer generatorOptimizer;
    private readonly optim.Optimizer discriminatorOptimizer;
    private readonly Generator noise;

    /// <summary>Adam with β₁ = 0.5 for both networks, as usual for GANs.</summary>
    public GanStep(GenerativeAdversarialNetwork gan, double generatorLearningRate, double discriminatorLearningRate, Generator noise)
    {
        this.gan = gan;
        this.noise = noise;
        generatorOptimizer = optim.Adam(gan.Generator.parameters(), generatorLearningRate, beta1: 0.5, beta2: 0.999);
        discriminatorOptimizer = optim.Adam(gan.Discriminator.parameters(), discriminatorLearningRate, beta1: 0.5, beta2: 0.999);
    }

    /// <inheritdoc />
    public nn.Module Module => gan;

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var (real, labels) = Split(batch);
        var z = randn(new[] { real.shape[0], (long)gan.Options.NoiseDimension }, generator: noise);
        var fake = gan.Generator.forward(z, labels);                                        // 1. sample fakes
        var penalised = gan.Options.GradientPenalty > 0 ? real.detach().requires_grad_(true) : real;
        var realLogits = gan.Discriminator.forward(penalised, labels);
        var fakeLogits = gan.Discriminator.forward(fake.detach(), labels);                 // 2. real vs fake (G frozen)
        var dLoss = DiscriminatorLoss(realLogits, fakeLogits);
        if (gan.Options.GradientPenalty > 0) dLoss = dLoss + R1Penalty(realLogits, penalised);
        discriminatorOptimizer.zero_grad(); dLoss.backward(); discriminatorOptimizer.step(); // 3. update D only
        var gLoss = GeneratorLoss(gan.Discriminator.forward(fake, labels));                // 4. G wants "real"
        generatorOptimizer.zero_grad(); gLoss.backward(); generatorOptimizer.step();       // 5. update G only
        gan.UpdateAverage();                                                                // 6. EMA of G
        return Losses(dLoss, gLoss, realLogits, fakeLogits);
    }

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch)
    {
        var (real, labels) = Split(batch);
        var z = randn(new[] { real.shape[0], (long)gan.Options.NoiseDimension }, generator: noise);
        var fakeLogits = gan.Discriminator.forward(gan.Generator.forward(z, labels), labels);
        var realLogits = gan.Discriminator.forward(real, labels);
        return Losses(DiscriminatorLoss(realLogits, fakeLogits), GeneratorLoss(fakeLogits), realLogits, fakeLogits);
    }

    /// <summary>
    /// Discriminator accuracy on real vs fake: at the game's optimum the discriminator is fooled half the time (0.5);
    /// near 1 it is winning and the generator's gradients fade.
    /// </summary>
    private static StepLosses Losses(Tensor dLoss, Tensor gLoss, Tensor realLogits, Tensor fakeLogits)
    {
        var accuracy = (realLogits.gt(0).to_type(ScalarType.Float32).mean() + fakeLogits.lt(0).to_type(ScalarType.Float32).mean()) / 2;
        return new StepLosses(("d_loss", dLoss.item<float>()), ("g_loss", gLoss.item<float>()), ("d_accuracy", accuracy.item<float>()));
    }

    /// <summary>γ/2 · mean over rows of ‖∇ₓ D(x)‖² at the real rows; differentiable (double backward).</summary>
    private Tensor R1Penalty(Tensor realLogits, Tensor real)
    {
        var gradient = autograd.grad(new[] { realLogits.sum() }, new[] { real }, retain_graph: true, create_graph: true)[0];
        return 0.5 * gan.Options.GradientPenalty * gradient.square().sum(1).mean();
    }

    private Tensor DiscriminatorLoss(Tensor realLogits, Tensor fakeLogits) => gan.Options.Loss == GanLoss.Hinge
        ? nn.functional.relu(1 - realLogits).mean() + nn.functional.relu(1 + fakeLogits).mean()
        : nn.functional.softplus(-realLogits).mean() + nn.functional.softplus(fakeLogits).mean();

    private Tensor GeneratorLoss(Tensor fakeLogits) => gan.Options.Loss == GanLoss.Hinge
        ? -fakeLogits.mean()
        : nn.functional.softplus(-fakeLogits).mean();

    private (Tensor Real, Tensor? Labels) Split(Tensor batch)
    {
        if (!gan.Options.IsConditional) return (batch, null);
        int d = gan.Options.DataDimension;
        return (batch.narrow(1, 0, d), batch.narrow(1, d, 1).squeeze(1).to_type(ScalarType.Int64));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        generatorOptimizer.Dispose();
        discriminatorOptimizer.Dispose();
    }
}
