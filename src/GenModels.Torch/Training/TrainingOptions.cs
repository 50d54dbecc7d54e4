namespace GenModels.Torch.Training;

/// <summary>Settings of <see cref="TrainLoop"/>.</summary>
public sealed class TrainingOptions
{
    /// <summary>
    /// Passes over the training rows. Null (the default) derives them from the data size: enough epochs for about
    /// <see cref="TargetSteps"/> optimiser steps, within [<see cref="TrainingBudget.MinEpochs"/>, <see cref="TrainingBudget.MaxEpochs"/>]
    /// (see <see cref="TrainingBudget"/>).
    /// </summary>
    public int? Epochs { get; set; }
    /// <summary>Rows per optimisation step. Null (the default) adapts it to the row count (see <see cref="TrainingBudget"/>).</summary>
    public int? BatchSize { get; set; }
    /// <summary>Optimiser steps the automatic epoch count aims at when <see cref="Epochs"/> is null.</summary>
    public int TargetSteps { get; set; } = TrainingBudget.ReconstructionTargetSteps;
    /// <summary>
    /// Whether <see cref="TrainingResult.Warnings"/> says when the loss is still falling fast at the end. Off for a budget
    /// that stops early on purpose (the anomaly detectors' derived budget, which keeps them from learning the outliers).
    /// </summary>
    public bool WarnIfUnconverged { get; set; } = true;
    /// <summary>Adam's learning rate (default <see cref="DefaultLearningRate"/>).</summary>
    public double LearningRate { get; set; } = DefaultLearningRate;
    /// <summary>Adam's default learning rate for every model family unless its options set another.</summary>
    public const double DefaultLearningRate = 1e-3;
    /// <summary>Seed of the shuffling, the validation split and the model's noise.</summary>
    public int Seed { get; set; }
    /// <summary>
    /// Fraction of rows held out for validation (0 = none). Early stopping watches the validation loss. Null (the default)
    /// derives it with <see cref="TrainingBudget.ResolveEarlyStopping"/>: 0 unless <see cref="DeriveEarlyStopping"/> asks for it.
    /// </summary>
    public double? ValidationFraction { get; set; }
    /// <summary>
    /// Epochs without a better validation loss before training stops and keeps the best weights (0 = never stop early).
    /// Needs a validation fraction. Null (the default) derives it with <see cref="TrainingBudget.ResolveEarlyStopping"/>.
    /// </summary>
    public int? EarlyStoppingPatience { get; set; }
    /// <summary>
    /// Whether a model that learns a representation of the rows (the encoders) holds out part of a small table and stops
    /// when the held-out loss no longer improves, when neither validation setting is given (see
    /// <see cref="TrainingBudget.ResolveEarlyStopping"/>). Off for the anomaly detectors, the GAN and the diffusion model.
    /// </summary>
    public bool DeriveEarlyStopping { get; set; }
    /// <summary>Receives a report at the end of each epoch and about 20 times within it.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
    /// <summary>Stops training between batches with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "At least one epoch is needed.");
        if (TargetSteps < 1) throw new ArgumentOutOfRangeException(nameof(TargetSteps), TargetSteps, "At least one optimiser step is needed.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be positive.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be a positive number.");
        if (ValidationFraction is { } fraction && !(fraction >= 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "The validation fraction must be in [0, 1).");
        if (EarlyStoppingPatience is < 0) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "Patience must be ≥ 0.");
    }
}

/// <summary>A progress report of <see cref="TrainLoop"/>.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Planned number of epochs.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="BatchesPerEpoch">Batches in an epoch.</param>
/// <param name="IsEpochEnd">True for the report that closes an epoch (with validation losses, if any).</param>
/// <param name="Losses">Mean training losses of the epoch so far, by name.</param>
/// <param name="ValidationLosses">Mean validation losses at the epoch end, or null.</param>
/// <param name="Elapsed">Time since training started.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int BatchesPerEpoch, bool IsEpochEnd,
    IReadOnlyDictionary<string, double> Losses, IReadOnlyDictionary<string, double>? ValidationLosses, TimeSpan Elapsed)
{
    /// <summary>One line: epoch, losses, validation losses, elapsed seconds.</summary>
    public override string ToString() =>
        $"epoch {Epoch}/{Epochs}" + (IsEpochEnd ? "" : $" batch {Batch}/{BatchesPerEpoch}") + ": "
        + string.Join(", ", Losses.Select(l => $"{l.Key} {l.Value:G5}"))
        + (ValidationLosses is null ? "" : "; validation " + string.Join(", ", ValidationLosses.Select(l => $"{l.Key} {l.Value:G5}")))
        + $" ({Elapsed.TotalSeconds:F1} s)";
}

/// <summary>What <see cref="TrainLoop.Run"/> did.</summary>
/// <param name="EpochsRun">Epochs completed.</param>
/// <param name="History">The epoch-end report of every epoch.</param>
/// <param name="StoppedEarly">True when early stopping ended training (the best weights were restored).</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record TrainingResult(int EpochsRun, IReadOnlyList<TrainingProgress> History, bool StoppedEarly, TimeSpan Elapsed)
{
    /// <summary>The epochs and batch size training used: the user's settings, or the values derived from the row count.</summary>
    public TrainingBudget Budget { get; init; } = new(0, 0, 0, false, false);
    /// <summary>Optimiser steps taken.</summary>
    public long Steps { get; init; }
    /// <summary>
    /// Problems found after training, each saying what to change: a VAE whose code collapsed onto the prior, or a loss still
    /// falling fast at the end. Empty when none.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>Thrown when a loss becomes NaN or infinite: the learning rate is usually too high or the data unscaled.</summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException(string message) : base(message) { }
}
