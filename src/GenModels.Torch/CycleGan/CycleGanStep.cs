using GenModels.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.CycleGan;

/// <summary>
/// One CycleGAN step (Zhu et al. 2017): both generators learn to fool the other domain's discriminator while each image
/// survives the round trip A → B → A (or B → A → B), then both discriminators learn real images from pooled translations.
/// A batch row holds a domain-A image's values, then a domain-B image's (both channel-major); the two are not a pair.
/// </summary>
public sealed class CycleGanStep : ITrainStep
{
    private readonly CycleGanNetwork network;
    private readonly optim.Optimizer generatorOptimizer, discriminatorOptimizer;
    private readonly ImagePool poolA, poolB;
    private readonly double learningRate, discriminatorLearningRate;
    private long totalSteps = 1; // the loop's plan (BeginTraining); the decay is laid over it
    private long steps;

    /// <summary>
    /// Adam (β₁, β₂ from the options) over both generators and over both discriminators; both rates decay linearly to zero
    /// from <see cref="CycleGanOptions.DecayStart"/> of the steps the training loop plans (<see cref="BeginTraining"/>).
    /// The pools draw from <paramref name="seed"/>.
    /// </summary>
    public CycleGanStep(CycleGanNetwork network, double learningRate, double discriminatorLearningRate, int seed)
    {
        this.network = network;
        this.learningRate = learningRate;
        this.discriminatorLearningRate = discriminatorLearningRate;
        var o = network.Options;
        generatorOptimizer = optim.Adam(network.GeneratorAB.parameters().Concat(network.GeneratorBA.parameters()), learningRate, o.Beta1, o.Beta2);
        discriminatorOptimizer = optim.Adam(network.DiscriminatorA.parameters().Concat(network.DiscriminatorB.parameters()), discriminatorLearningRate, o.Beta1, o.Beta2);
        poolA = new ImagePool(o.PoolSize, seed);
        poolB = new ImagePool(o.PoolSize, seed + 1);
    }

    /// <inheritdoc />
    public nn.Module Module => network;

    /// <inheritdoc />
    public void BeginTraining(long plannedSteps) => totalSteps = Math.Max(1, plannedSteps);

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var o = network.Options;
        double factor = LearningRateDecay.Factor(steps++, totalSteps, o.DecayStart);
        LearningRateDecay.Apply(generatorOptimizer, learningRate, factor);
        LearningRateDecay.Apply(discriminatorOptimizer, discriminatorLearningRate, factor);
        var (a, b) = Split(batch);

        var fakeB = network.GeneratorAB.forward(a);                                          // 1. translate both ways …
        var fakeA = network.GeneratorBA.forward(b);
        var cycle = (network.GeneratorBA.forward(fakeB) - a).abs().mean()                    // 2. … and back: A → B → A, B → A → B
                  + (network.GeneratorAB.forward(fakeA) - b).abs().mean();
        Tensor identity;                                                                     // 3. a generator leaves its own domain alone
        using (o.IdentityWeight > 0 ? null : no_grad())                                     //    (off: still measured for the report)
            identity = (network.GeneratorAB.forward(b) - b).abs().mean() + (network.GeneratorBA.forward(a) - a).abs().mean();
        SetRequiresGrad(false);                                                              // 4. the discriminators judge, but G's step leaves them alone
        var adversarialAB = LeastSquares(network.DiscriminatorB.forward(fakeB), 1);           //    (least-squares GAN: G wants D = 1)
        var adversarialBA = LeastSquares(network.DiscriminatorA.forward(fakeA), 1);
        var gLoss = adversarialAB + adversarialBA + o.CycleWeight * cycle;
        if (o.IdentityWeight > 0) gLoss = gLoss + o.IdentityWeight * o.CycleWeight * identity;
        generatorOptimizer.zero_grad(); gLoss.backward(); generatorOptimizer.step();         // 5. update both generators
        SetRequiresGrad(true);

        var dB = DiscriminatorLoss(network.DiscriminatorB, b, poolB.Query(fakeB));            // 6. real vs pooled translations, halved as in CycleGAN
        var dA = DiscriminatorLoss(network.DiscriminatorA, a, poolA.Query(fakeA));
        discriminatorOptimizer.zero_grad(); (dA + dB).backward(); discriminatorOptimizer.step(); // 7. update both discriminators
        return Losses(cycle, identity, adversarialAB, adversarialBA, dA, dB);
    }

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch)
    {
        var (a, b) = Split(batch);
        var fakeB = network.GeneratorAB.forward(a);
        var fakeA = network.GeneratorBA.forward(b);
        var cycle = (network.GeneratorBA.forward(fakeB) - a).abs().mean() + (network.GeneratorAB.forward(fakeA) - b).abs().mean();
        var identity = (network.GeneratorAB.forward(b) - b).abs().mean() + (network.GeneratorBA.forward(a) - a).abs().mean();
        return Losses(cycle, identity, LeastSquares(network.DiscriminatorB.forward(fakeB), 1), LeastSquares(network.DiscriminatorA.forward(fakeA), 1),
            DiscriminatorLoss(network.DiscriminatorA, a, fakeA), DiscriminatorLoss(network.DiscriminatorB, b, fakeB));
    }

    /// <summary>
    /// Cycle and identity are reported as the mean L1 per direction (the sums above halved), unweighted, so they read as
    /// pixel errors on [0, 1]; the first, the cycle error, is the one the loop watches.
    /// </summary>
    private static StepLosses Losses(Tensor cycle, Tensor identity, Tensor adversarialAB, Tensor adversarialBA, Tensor dA, Tensor dB) => new(
        ("cycle_l1", cycle.item<float>() / 2), ("identity_l1", identity.item<float>() / 2),
        ("adversarial_ab", adversarialAB.item<float>()), ("adversarial_ba", adversarialBA.item<float>()),
        ("d_a", dA.item<float>()), ("d_b", dB.item<float>()));

    private static Tensor LeastSquares(Tensor logits, float target) => (logits - target).square().mean();

    private static Tensor DiscriminatorLoss(nn.Module<Tensor, Tensor> discriminator, Tensor real, Tensor fake) =>
        (LeastSquares(discriminator.forward(real), 1) + LeastSquares(discriminator.forward(fake.detach()), 0)) / 2;

    private void SetRequiresGrad(bool value)
    {
        foreach (var p in network.DiscriminatorA.parameters().Concat(network.DiscriminatorB.parameters())) p.requires_grad = value;
    }

    private (Tensor A, Tensor B) Split(Tensor batch)
    {
        var g = network.Options.Generator;
        long n = batch.shape[0], size = (long)g.ImageChannels * g.Height * g.Width;
        return (batch.narrow(1, 0, size).reshape(n, g.ImageChannels, g.Height, g.Width),
                batch.narrow(1, size, size).reshape(n, g.ImageChannels, g.Height, g.Width));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        generatorOptimizer.Dispose();
        discriminatorOptimizer.Dispose();
        poolA.Dispose();
        poolB.Dispose();
    }
}
