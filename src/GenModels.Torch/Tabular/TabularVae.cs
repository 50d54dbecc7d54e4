using GenModels.Torch.Networks;
using GenModels.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenModels.Torch.Tabular;

/// <summary>
/// TVAE (Xu et al. 2019, "Modeling Tabular Data using Conditional GAN"): a VAE over an encoded table row whose decoder
/// has a Gaussian likelihood with a learned σ for each continuous value and a softmax for each one-hot block. With a
/// condition block it is a conditional VAE: the decoder also sees that column's one-hot, so rows of a chosen category can
/// be generated directly.
/// </summary>
public sealed class TabularVae : nn.Module<Tensor, Tensor>, ITabularGenerator
{
    private const double MinSigma = 0.01, MaxSigma = 1.0, InitialSigma = 0.1; // TVAE's bounds and start

    private readonly Mlp encoder;   // x → [mean, logVar]
    private readonly Mlp decoder;   // [z, condition] → means and logits
    private readonly Parameter sigma; // σ of every value (used only at continuous positions)
    private readonly long[] continuous;
    private readonly (int Length, long[] Positions)[] categoricalGroups; // one-hot blocks grouped by length (TabularBlock.GroupByLength)
    private readonly HashSet<int> sharpened;                              // blocks drawn at the category temperature

    /// <summary>Builds the network from <paramref name="options"/> (validated here).</summary>
    public TabularVae(TabularVaeOptions options) : base(nameof(TabularVae))
    {
        options.Validate();
        Options = options;
        encoder = new Mlp("encoder", options.DataDimension, options.HiddenSizes, 2 * options.LatentDimension, Activation.ReLU);
        decoder = new Mlp("decoder", options.LatentDimension + options.ConditionDimension, options.HiddenSizes.Reverse().ToArray(), options.DataDimension, Activation.ReLU);
        sigma = nn.Parameter(full(options.DataDimension, InitialSigma));
        continuous = options.Blocks.Where(b => !b.IsCategorical).Select(b => (long)b.Start).ToArray();
        categoricalGroups = TabularBlock.GroupByLength(options.Blocks.Where(b => b.IsCategorical));
        sharpened = options.SharpenedBlocks.ToHashSet();
        RegisterComponents();
    }

    /// <summary>The options the network was built from.</summary>
    public TabularVaeOptions Options { get; }

    /// <inheritdoc />
    public TabularBlock[] Blocks => Options.Blocks;

    /// <summary>Decoder output: means at continuous positions, logits in one-hot blocks.</summary>
    public override Tensor forward(Tensor z) => decoder.forward(z);

    /// <summary>The two parts of the loss per batch: reconstruction (Gaussian + cross-entropy, summed per row, batch mean) and KL.</summary>
    public (Tensor Reconstruction, Tensor Kl) LossParts(Tensor x, Generator noise)
    {
        var h = encoder.forward(x).chunk(2, -1);
        var (mean, logVar) = (h[0], h[1].clamp(-30, 20));
        var z = mean + (0.5 * logVar).exp() * randn(mean.shape, generator: noise);
        var output = decoder.forward(WithCondition(z, x));
        long rows = x.shape[0];
        var reconstruction = zeros(1);
        if (continuous.Length > 0)
        {
            using var index = tensor(continuous);
            var s = sigma.index_select(0, index);
            var diff = x.index_select(1, index) - output.index_select(1, index);
            reconstruction = reconstruction + ((diff * diff) / (2 * s * s)).sum() / rows + s.log().sum();
        }
        foreach (var (length, positions) in categoricalGroups)
        {
            // The cross-entropy of every block of this length at once: x is one-hot, so it is −Σ x · log softmax(output).
            using var index = tensor(positions);
            var logProbabilities = nn.functional.log_softmax(output.index_select(1, index).view(rows, -1, length), -1);
            reconstruction = reconstruction - (x.index_select(1, index).view(rows, -1, length) * logProbabilities).sum() / rows;
        }
        var kl = -0.5 * (1 + logVar - mean.pow(2) - logVar.exp()).sum() / rows;
        return (reconstruction.squeeze(), kl);
    }

    /// <summary>Keeps σ within TVAE's bounds after an optimiser step.</summary>
    public void ClampSigma()
    {
        using var noGrad = no_grad();
        sigma.clamp_(MinSigma, MaxSigma);
    }

    /// <summary>
    /// Draws <paramref name="count"/> encoded rows: z from the prior, continuous values from N(mean, σ²), each one-hot
    /// block of <see cref="TabularVaeOptions.SharpenedBlocks"/> drawn from its softmax at
    /// <see cref="TabularVaeOptions.CategoryTemperature"/> (0: its most likely category, TVAE's argmax) and every other
    /// one-hot block drawn from its softmax as it is. <paramref name="condition"/> gives each row's category of the condition block
    /// (null draws them from the training frequencies); those rows carry that category.
    /// </summary>
    public Tensor Sample(long count, Tensor? condition, Generator noise)
    {
        using var noGrad = no_grad();
        var z = randn(count, Options.LatentDimension, generator: noise);
        Tensor? oneHot = null;
        if (Options.Condition is { } c)
        {
            condition ??= multinomial(tensor(Options.ConditionFrequencies.Select(f => (float)f).ToArray()), count, replacement: true, generator: noise);
            oneHot = nn.functional.one_hot(condition, c.Length).to_type(ScalarType.Float32);
            z = cat([z, oneHot], 1);
        }
        var output = decoder.forward(z);
        var rows = empty_like(output);
        var draws = randn(output.shape, generator: noise);
        foreach (var (b, i) in Options.Blocks.Select((b, i) => (b, i)))
        {
            if (!b.IsCategorical)
            {
                rows.narrow(1, b.Start, 1).copy_(output.narrow(1, b.Start, 1) + sigma.narrow(0, b.Start, 1) * draws.narrow(1, b.Start, 1));
                continue;
            }
            var logits = output.narrow(1, b.Start, b.Length);
            double temperature = sharpened.Contains(i) ? Options.CategoryTemperature : 1;
            var picked = b == Options.Condition ? condition!
                : temperature == 0 ? logits.argmax(1)
                : multinomial(softmax(logits / temperature, 1), 1, generator: noise).squeeze(1);
            rows.narrow(1, b.Start, b.Length).copy_(nn.functional.one_hot(picked, b.Length).to_type(ScalarType.Float32));
        }
        return rows;
    }

    private Tensor WithCondition(Tensor z, Tensor x) =>
        Options.Condition is { } c ? cat([z, x.narrow(1, c.Start, c.Length)], 1) : z;
}

/// <summary>One TVAE step: reconstruction + KL, Adam, then σ back within its bounds.</summary>
public sealed class TabularVaeStep : ITrainStep
{
    private readonly TabularVae model;
    private readonly optim.Optimizer optimizer;
    private readonly Generator noise;
    private readonly Generator evaluationNoise = new(12345);

    /// <summary>Adam at <paramref name="learningRate"/> (TVAE adds an L2 penalty of 1e-5).</summary>
    public TabularVaeStep(TabularVae model, double learningRate, Generator noise)
    {
        this.model = model;
        this.noise = noise;
        optimizer = optim.Adam(model.parameters(), learningRate, weight_decay: 1e-5);
    }

    /// <inheritdoc />
    public nn.Module Module => model;

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var (reconstruction, kl) = model.LossParts(batch, noise);                    // 1. encode, sample z, decode
        var loss = model.Options.LossFactor * reconstruction + kl;                     // 2. TVAE's weighted ELBO
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();                                                              // 3. update encoder, decoder and σ
        model.ClampSigma();                                                            // 4. σ within [0.01, 1]
        return new StepLosses(("loss", loss.item<float>()), ("reconstruction_loss", reconstruction.item<float>()), ("kl_loss", kl.item<float>()));
    }

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch)
    {
        var (reconstruction, kl) = model.LossParts(batch, evaluationNoise);
        var loss = model.Options.LossFactor * reconstruction + kl;
        return new StepLosses(("loss", loss.item<float>()), ("reconstruction_loss", reconstruction.item<float>()), ("kl_loss", kl.item<float>()));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        optimizer.Dispose();
        evaluationNoise.Dispose();
    }
}

/// <summary>Builds and trains a <see cref="TabularVae"/> in one call.</summary>
public static class TabularVaeTraining
{
    /// <summary>Trains a network of <paramref name="options"/> on encoded rows <paramref name="data"/> ([rows, DataDimension]).</summary>
    public static (TabularVae Model, TrainingResult Result) Fit(Tensor data, TabularVaeOptions options, TrainingOptions training)
    {
        options.Validate();
        if (data.ndim != 2 || data.shape[1] != options.DataDimension)
            throw new ArgumentException($"Expected encoded rows of shape [rows, {options.DataDimension}], got [{string.Join(", ", data.shape)}].", nameof(data));
        return ModelTraining.Fit(data, training, () => new TabularVae(options), (model, noise) => new TabularVaeStep(model, training.LearningRate, noise));
    }
}
