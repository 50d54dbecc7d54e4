using GenModels.Torch.Networks;
using static TorchSharp.torch;

namespace GenModels.Torch.Training;

/// <summary>What every model family's <c>Fit</c> does: build the network with seeded weights, train it, dispose it on failure.</summary>
public static class ModelTraining
{
    /// <summary>
    /// Builds a model with <paramref name="build"/> under the training seed, trains it with the step that
    /// <paramref name="createStep"/> makes (given a noise generator seeded from the same seed) and returns both.
    /// </summary>
    public static (TModel Model, TrainingResult Result) Fit<TModel>(Tensor data, TrainingOptions training, Func<TModel> build,
        Func<TModel, Generator, ITrainStep> createStep) where TModel : nn.Module
    {
        training.Validate();
        var model = TorchRandom.Seeded(training.Seed, build);
        try
        {
            using var noise = new Generator((ulong)training.Seed + 1);
            using var step = createStep(model, noise);
            return (model, TrainLoop.Run(step, data, training));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
