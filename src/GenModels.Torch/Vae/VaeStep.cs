using GenModels.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Vae;

/// <summary>One optimisation step of a <see cref="VariationalAutoencoder"/>: minimise reconstruction + β·KL.</summary>
public sealed class VaeStep : ITrainStep
{
    private readonly VariationalAutoencoder model;
    private readonly optim.Optimizer optimizer;
    private readonly Generator noise;
    private readonly KnownAnomalies? knownAnomalies;
    private readonly long klWarmupSteps;
    private long steps;
    private const long EvaluationSeed = 12345;
    private readonly Generator evaluationNoise = new((ulong)EvaluationSeed);

    /// <summary>
    /// Trains <paramref name="model"/> with Adam; <paramref name="noise"/> drives the reparameterisation;
    /// <paramref name="knownAnomalies"/>, when given, adds their margin term (see <see cref="KnownAnomalies"/>).
    /// </summary>
    /// <param name="model">The VAE to train.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    /// <param name="noise">Drives the reparameterisation.</param>
    /// <param name="knownAnomalies">Rows to push away, or null.</param>
    /// <param name="klWarmupSteps">
    /// Steps over which the KL weight rises linearly from 0 to β (0 = none). Reconstructing first lets the encoder find a
    /// code before the KL term pulls it to the prior, which on small tables otherwise keeps the code collapsed for
    /// thousands of steps.
    /// </param>
    public VaeStep(VariationalAutoencoder model, double learningRate, Generator noise, KnownAnomalies? knownAnomalies = null, long klWarmupSteps = 0)
    {
        if (klWarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(klWarmupSteps), klWarmupSteps, "The warm-up cannot be negative.");
        this.klWarmupSteps = klWarmupSteps;
        this.model = model;
        this.noise = noise;
        this.knownAnomalies = knownAnomalies;
        optimizer = optim.Adam(model.parameters(), learningRate);
    }

    /// <inheritdoc />
    public nn.Module Module => model;

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var (reconstruction, kl) = model.LossParts(batch, noise);                      // 1. encode, sample z, decode
        var reconstructionLoss = reconstruction.mean();
        var klLoss = kl.mean();
        double beta = model.Options.Beta * (klWarmupSteps > 0 ? Math.Min(1.0, (double)++steps / klWarmupSteps) : 1.0);
        var loss = reconstructionLoss + beta * klLoss;                                   // 2. β-weighted ELBO (β warming up)
        if (knownAnomalies is not null)                                                  //    + margin of the known anomalies
            loss = loss + knownAnomalies.Loss(model, batch, noise);
        optimizer.zero_grad();                                                           // 3. update both networks
        loss.backward();
        optimizer.step();
        return new StepLosses(("loss", loss.item<float>()), ("reconstruction_loss", reconstructionLoss.item<float>()), ("kl_loss", klLoss.item<float>()));
    }

    /// <inheritdoc />
    public bool IsWarmingUp => steps < klWarmupSteps;

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch)
    {
        // The first loss, which early stopping watches, is the held-out error of the deterministic reconstruction (through
        // the posterior mean): what an encoder is used for. The held-out ELBO is a poor guide on a small table: its
        // learned decoder variance shrinks as training goes on, so it rose after 40 epochs of 80 rows driven by two
        // factors while the reconstruction of new rows kept improving for 250 epochs.
        // The same posterior draws at every evaluation: epochs are then compared on the model, not on the sampling noise,
        // which on a few held-out rows otherwise stops training early by chance.
        evaluationNoise.manual_seed(EvaluationSeed);
        var (reconstruction, kl) = model.LossParts(batch, evaluationNoise);
        var r = reconstruction.mean().item<float>();
        var k = kl.mean().item<float>();
        var error = (model.Reconstruct(batch) - batch).square().mean().item<float>();
        return new StepLosses(("reconstruction_error", error), ("loss", r + (float)model.Options.Beta * k), ("reconstruction_loss", r), ("kl_loss", k));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        optimizer.Dispose();
        evaluationNoise.Dispose();
    }
}
