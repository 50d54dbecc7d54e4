using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Training;

/// <summary>
/// What a model family writes to be trained by <see cref="TrainLoop"/>: one optimisation step on a batch, and the same
/// losses without an update for validation. The loop owns batching, shuffling, dispose scopes, progress and stopping.
/// </summary>
public interface ITrainStep : IDisposable
{
    /// <summary>The module whose weights the step updates (switched between train and eval mode by the loop).</summary>
    nn.Module Module { get; }
    /// <summary>Forward, loss, backward and optimiser step on one batch; returns the named losses.</summary>
    StepLosses TrainStep(Tensor batch);
    /// <summary>The named losses of one batch, without gradients or updates.</summary>
    StepLosses EvaluateStep(Tensor batch);
    /// <summary>
    /// True while the step's objective is still changing on purpose (a VAE's KL weight warming up): the loop's early
    /// stopping neither counts these epochs nor keeps their weights, because their validation losses are not comparable.
    /// </summary>
    bool IsWarmingUp => false;
    /// <summary>
    /// Called by the loop once before the first step with the number of optimiser steps it plans (epochs × batches), for
    /// steps whose schedule spans the run (progressive growing's stages). Does nothing by default.
    /// </summary>
    void BeginTraining(long plannedSteps) { }
}
