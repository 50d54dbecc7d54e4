using GenModels.Torch.Networks;
using GenModels.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Diffusion;

/// <summary>One diffusion step: the denoising loss on a batch, Adam, gradient clipping, then the average follows.</summary>
public sealed class DiffusionStep : ITrainStep
{
    private readonly DiffusionModel model;
    private readonly optim.Optimizer optimizer;
    private readonly Generator noise;

    /// <summary>Adam at <paramref name="learningRate"/> on the denoiser.</summary>
    public DiffusionStep(DiffusionModel model, double learningRate, Generator noise)
    {
        this.model = model;
        this.noise = noise;
        optimizer = optim.Adam(model.Denoiser.parameters(), learningRate);
    }

    /// <inheritdoc />
    public nn.Module Module => model;

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var (rows, classes) = Split(batch);
        var loss = model.Loss(model.Standardise(rows), classes, noise);              // 1. noise to a random step, predict
        optimizer.zero_grad();
        loss.backward();                                                              // 2. gradients of the MSE
        nn.utils.clip_grad_norm_(model.Denoiser.parameters(), 1.0);                   // 3. keep rare large steps in check
        optimizer.step();                                                             // 4. update the denoiser
        model.UpdateAverage();                                                        // 5. the average used for sampling
        return new StepLosses(("loss", loss.item<float>()));
    }

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch)
    {
        var (rows, classes) = Split(batch);
        return new StepLosses(("loss", model.Loss(model.Standardise(rows), classes, noise).item<float>()));
    }

    private (Tensor Rows, Tensor? Classes) Split(Tensor batch)
    {
        if (!model.Options.IsConditional) return (batch, null);
        int d = model.Options.DataDimension;
        return (batch.narrow(1, 0, d), batch.narrow(1, d, 1).squeeze(1).to_type(ScalarType.Int64));
    }

    /// <inheritdoc />
    public void Dispose() => optimizer.Dispose();
}

/// <summary>Builds and trains a <see cref="DiffusionModel"/> in one call.</summary>
public static class DiffusionTraining
{
    /// <summary>
    /// Builds a model with weights seeded by <paramref name="training"/>'s seed, fits its standardisation to
    /// <paramref name="data"/> ([rows, DataDimension], plus a last column of class indices when conditional) and trains it.
    /// </summary>
    public static (DiffusionModel Model, TrainingResult Result) Fit(Tensor data, DiffusionOptions options, TrainingOptions training)
    {
        options.Validate();
        long expectedColumns = options.DataDimension + (options.IsConditional ? 1 : 0);
        if (data.ndim != 2 || data.shape[1] != expectedColumns)
            throw new ArgumentException($"Expected training data of shape [rows, {expectedColumns}], got [{string.Join(", ", data.shape)}].", nameof(data));
        return ModelTraining.Fit(data, training, () =>
        {
            var model = new DiffusionModel(options);
            using var rows = data.narrow(1, 0, options.DataDimension);
            model.FitStandardisation(rows);
            return model;
        }, (model, noise) => new DiffusionStep(model, training.LearningRate, noise));
    }
}
