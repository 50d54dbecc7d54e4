using GenModels.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Gan;

/// <summary>
/// One GAN step: the discriminator learns real vs fake, then the generator learns to fool it, then the EMA follows.
/// A conditional GAN's batch carries each row's class index in its last column. With progressive growing, the step's
/// count places it in the <see cref="GrowthSchedule"/> over the loop's planned steps: it sets the stage and fade-in and
/// average-pools the real images to that stage's resolution. Both learning rates decay linearly over the last part of the
/// planned steps (<see cref="GanOptions.LearningRateDecayStart"/>); with packing the batch is cut to whole packs.
/// </summary>
public sealed class GanStep : ITrainStep
{
    private readonly GenerativeAdversarialNetwork gan;
    private readonly optim.Optimizer generatorOptimizer;
    private readonly optim.Optimizer discriminatorOptimizer;
    private readonly Generator noise;
    private readonly double generatorLearningRate, discriminatorLearningRate;
    private GrowthSchedule? schedule;
    private long stepsTaken, plannedSteps = 1;

    /// <summary>Adam with β₁ = 0.5 for both networks, as usual for GANs.</summary>
    public GanStep(GenerativeAdversarialNetwork gan, double generatorLearningRate, double discriminatorLearningRate, Generator noise)
    {
        this.gan = gan;
        this.noise = noise;
        this.generatorLearningRate = generatorLearningRate;
        this.discriminatorLearningRate = discriminatorLearningRate;
        generatorOptimizer = optim.Adam(gan.Generator.parameters(), generatorLearningRate, beta1: 0.5, beta2: 0.999);
        discriminatorOptimizer = optim.Adam(gan.Discriminator.parameters(), discriminatorLearningRate, beta1: 0.5, beta2: 0.999);
    }

    /// <inheritdoc />
    public nn.Module Module => gan;

    /// <inheritdoc />
    public void BeginTraining(long plannedSteps)
    {
        if (gan.Growth is { } growth) schedule = new GrowthSchedule(growth.FinalStage + 1, gan.Options.FadeInShare, plannedSteps);
        this.plannedSteps = Math.Max(1, plannedSteps);
        stepsTaken = 0;
    }

    /// <inheritdoc />
    public bool IsWarmingUp => schedule is not null && !schedule.IsFinal(stepsTaken);

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        double decay = LearningRateDecay.Factor(stepsTaken, plannedSteps, gan.Options.LearningRateDecayStart);
        LearningRateDecay.Apply(generatorOptimizer, generatorLearningRate, decay);         // 0. this step's decayed rates,
        LearningRateDecay.Apply(discriminatorOptimizer, discriminatorLearningRate, decay);
        var (real, labels) = Split(WholePacks(batch));                                      //    whole packs of rows,
        real = Grow(real);                                                                  //    growing: stage, fade-in, real resolution
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
        stepsTaken++;
        return Losses(dLoss, gLoss, realLogits, fakeLogits);
    }

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch)
    {
        var (real, labels) = Split(WholePacks(batch));
        real = gan.Growth?.Downsample(real) ?? real;                                        // at the current stage
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

    /// <summary>Moves a growing GAN to this step's place in the schedule and returns the real rows at its resolution.</summary>
    private Tensor Grow(Tensor real)
    {
        if (gan.Growth is not { } growth) return real;
        if (schedule is null) throw new InvalidOperationException("A progressively grown GAN's step needs BeginTraining(plannedSteps) first (TrainLoop calls it).");
        var (stage, alpha) = schedule.At(stepsTaken);
        growth.Set(stage, alpha);
        return growth.Downsample(real);
    }

    /// <summary>γ/2 · mean over the discriminator's inputs (rows, or packs of rows) of ‖∇ₓ D(x)‖² at the real rows; differentiable (double backward).</summary>
    private Tensor R1Penalty(Tensor realLogits, Tensor real)
    {
        var gradient = autograd.grad(new[] { realLogits.sum() }, new[] { real }, retain_graph: true, create_graph: true)[0];
        return 0.5 * gan.Options.GradientPenalty * gradient.reshape(realLogits.shape[0], -1).square().sum(1).mean();
    }

    /// <summary>
    /// The batch cut to a whole number of packs (<see cref="GanOptions.Pac"/>); a batch smaller than one pack (a tiny last
    /// batch) is repeated up to one.
    /// </summary>
    private Tensor WholePacks(Tensor batch)
    {
        long pack = gan.Options.Pac, rows = batch.shape[0];
        if (pack == 1 || rows % pack == 0) return batch;
        if (rows < pack) return batch.repeat(new[] { (pack + rows - 1) / rows, 1L }).narrow(0, 0, pack);
        return batch.narrow(0, 0, rows / pack * pack);
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
