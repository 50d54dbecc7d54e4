using GenModels.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Autoencoders;

/// <summary>One optimisation step of an <see cref="Autoencoder"/>: minimise the reconstruction loss.</summary>
public sealed class AutoencoderStep : ITrainStep
{
    private readonly Autoencoder model;
    private readonly optim.Optimizer optimizer;

    /// <summary>Trains <paramref name="model"/> with Adam at <paramref name="learningRate"/>.</summary>
    public AutoencoderStep(Autoencoder model, double learningRate)
    {
        this.model = model;
        optimizer = optim.Adam(model.parameters(), learningRate);
    }

    /// <inheritdoc />
    public nn.Module Module => model;

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var loss = model.Loss(batch).mean();   // 1. reconstruct and score
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
