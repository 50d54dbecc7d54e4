using GenModels.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Translation;

/// <summary>
/// One pix2pix step: the discriminator learns real pairs (input, target) from translated pairs (input, G(input)), then the
/// generator learns to fool it while staying close to the target in L1. Without the adversarial term only the L1 part runs.
/// A batch row holds the input image's values, then the target image's (both channel-major).
/// </summary>
public sealed class TranslationStep : ITrainStep
{
    private readonly ImageTranslationNetwork network;
    private readonly optim.Optimizer generatorOptimizer;
    private readonly optim.Optimizer? discriminatorOptimizer;

    /// <summary>Adam with β₁ = 0.5 for both networks, as in pix2pix.</summary>
    public TranslationStep(ImageTranslationNetwork network, double generatorLearningRate, double discriminatorLearningRate)
    {
        this.network = network;
        generatorOptimizer = optim.Adam(network.Generator.parameters(), generatorLearningRate, beta1: 0.5, beta2: 0.999);
        if (network.Discriminator is { } d) discriminatorOptimizer = optim.Adam(d.parameters(), discriminatorLearningRate, beta1: 0.5, beta2: 0.999);
    }

    /// <inheritdoc />
    public nn.Module Module => network;

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var (input, target) = Split(batch);
        var fake = network.Generator.forward(input);                                        // 1. translate
        var l1 = (fake - target).abs().mean();
        if (discriminatorOptimizer is null)
        {
            generatorOptimizer.zero_grad(); l1.backward(); generatorOptimizer.step();        // L1 only: update G, done
            return new StepLosses(("l1", l1.item<float>()));
        }
        var realLogits = network.Judge(input, target);
        var fakeLogits = network.Judge(input, fake.detach());                               // 2. real vs translated pairs (G frozen)
        var dLoss = (nn.functional.softplus(-realLogits).mean() + nn.functional.softplus(fakeLogits).mean()) / 2; // halved, as in pix2pix: D learns slower than G
        discriminatorOptimizer.zero_grad(); dLoss.backward(); discriminatorOptimizer.step(); // 3. update D only
        var gAdversarial = nn.functional.softplus(-network.Judge(input, fake)).mean();      // 4. G wants "real" for its pairs
        var gLoss = gAdversarial + network.Options.L1Weight * l1;                           // 5. … and the target's pixels
        generatorOptimizer.zero_grad(); gLoss.backward(); generatorOptimizer.step();        // 6. update G only
        return new StepLosses(("l1", l1.item<float>()), ("g_adversarial", gAdversarial.item<float>()), ("d_loss", dLoss.item<float>()));
    }

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch)
    {
        var (input, target) = Split(batch);
        var fake = network.Generator.forward(input);
        var l1 = (fake - target).abs().mean();
        if (network.Discriminator is null) return new StepLosses(("l1", l1.item<float>()));
        var fakeLogits = network.Judge(input, fake);
        var dLoss = (nn.functional.softplus(-network.Judge(input, target)).mean() + nn.functional.softplus(fakeLogits).mean()) / 2;
        return new StepLosses(("l1", l1.item<float>()), ("g_adversarial", nn.functional.softplus(-fakeLogits).mean().item<float>()), ("d_loss", dLoss.item<float>()));
    }

    private (Tensor Input, Tensor Target) Split(Tensor batch)
    {
        var g = network.Options.Generator;
        long n = batch.shape[0], plane = (long)g.Height * g.Width;
        var input = batch.narrow(1, 0, g.InputChannels * plane).reshape(n, g.InputChannels, g.Height, g.Width);
        var target = batch.narrow(1, g.InputChannels * plane, g.OutputChannels * plane).reshape(n, g.OutputChannels, g.Height, g.Width);
        return (input, target);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        generatorOptimizer.Dispose();
        discriminatorOptimizer?.Dispose();
    }
}
