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

    /// <summary>Trains <paramref name="model"/> with Adam; <paramref name="noise"/> drives the reparameterisation.</summary>
    public VaeStep(VariationalAutoencoder model, double learningRate, Generator noise)
    {
        this.model = model;
        this.noise = noise;
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
        var loss = reconstructionLoss + model.Options.Beta * klLoss;                    // 2. β-weighted ELBO
        optimizer.zero_grad();                                                           // 3. update both networks
        loss.backward();
        optimizer.step();
        return new StepLosses(("loss", loss.item<float>()), ("reconstruction_loss", reconstructionLoss.item<float>()), ("kl_loss", klLoss.item<float>()));
    }

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch)
    {
        var (reconstruction, kl) = model.LossParts(batch, noise);
        var r = reconstruction.mean().item<float>();
        var k = kl.mean().item<float>();
        return new StepLosses(("loss", r + (float)model.Options.Beta * k), ("reconstruction_loss", r), ("kl_loss", k));
    }

    /// <inheritdoc />
    public void Dispose() => optimizer.Dispose();
}
