using GenModels.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Autoencoders;

/// <summary>One optimisation step of an <see cref="Autoencoder"/>: minimise the reconstruction loss.</summary>
public sealed class AutoencoderStep : ITrainStep
{
    private readonly Autoencoder model;
    private readonly optim.Optimizer optimizer;
    private readonly KnownAnomalies? knownAnomalies;
    private readonly Generator? generator;

    /// <summary>
    /// Trains <paramref name="model"/> with Adam at <paramref name="learningRate"/>; <paramref name="knownAnomalies"/>, when
    /// given, adds their margin term (see <see cref="KnownAnomalies"/>), drawing them with <paramref name="generator"/>.
    /// </summary>
    public AutoencoderStep(Autoencoder model, double learningRate, KnownAnomalies? knownAnomalies = null, Generator? generator = null)
    {
        this.model = model;
        this.knownAnomalies = knownAnomalies;
        this.generator = generator;
        optimizer = optim.Adam(model.parameters(), learningRate);
    }

    /// <inheritdoc />
    public nn.Module Module => model;

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var loss = model.Loss(batch).mean();   // 1. reconstruct and score
        if (knownAnomalies is not null)        //    + margin of the known anomalies
            loss = loss + knownAnomalies.Loss(model, batch, generator);
        optimizer.zero_grad();                 // 2. update encoder and decoder together
        loss.backward();
        optimizer.step();
        return new StepLosses(("loss", loss.item<float>()));
    }

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch) => new(("loss", model.Loss(batch).mean().item<float>()));

    /// <inheritdoc />
    public void Dispose() => optimizer.Dispose();
}
