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
    private readonly Tensor? inputNoiseScale;

    /// <summary>
    /// Trains <paramref name="model"/> with Adam at <paramref name="learningRate"/>; <paramref name="knownAnomalies"/>, when
    /// given, adds their margin term (see <see cref="KnownAnomalies"/>), drawing them with <paramref name="generator"/>.
    /// With <paramref name="inputNoiseScale"/> ([1, InputDimension]) it trains a denoising autoencoder: each batch's input
    /// gets Gaussian noise of that standard deviation per feature, and the loss compares the output with the clean batch.
    /// </summary>
    public AutoencoderStep(Autoencoder model, double learningRate, KnownAnomalies? knownAnomalies = null, Generator? generator = null,
        Tensor? inputNoiseScale = null)
    {
        this.model = model;
        this.inputNoiseScale = inputNoiseScale;
        this.knownAnomalies = knownAnomalies;
        this.generator = generator;
        optimizer = optim.Adam(model.parameters(), learningRate);
    }

    /// <inheritdoc />
    public nn.Module Module => model;

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var input = inputNoiseScale is null    // 1. corrupt the input (denoising only),
            ? batch
            : batch + inputNoiseScale * randn(batch.shape, dtype: batch.dtype, generator: generator);
        var loss = model.Loss(input, batch).mean(); //    reconstruct the clean rows and score
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
    public void Dispose()
    {
        optimizer.Dispose();
        inputNoiseScale?.Dispose();
    }
}
