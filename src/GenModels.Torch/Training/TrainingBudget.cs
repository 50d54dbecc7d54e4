namespace GenModels.Torch.Training;

/// <summary>
/// The number of epochs and the batch size of a training run, and the rule that derives them from the row count when the
/// user leaves them unset. A budget in epochs alone trains a few hundred rows for a few dozen optimiser steps and a
/// million rows for a long time; the rule aims at a number of optimiser steps instead:
/// <list type="bullet">
/// <item>batch size = rows / <see cref="RowsPerBatchDivisor"/>, clamped to [<see cref="MinBatchSize"/>, <see cref="MaxBatchSize"/>]
/// (16 rows per step on 100–300 rows, 128 from 1,280 rows up);</item>
/// <item>epochs = ⌈target steps / batches per epoch⌉, clamped to [<see cref="MinEpochs"/>, <see cref="MaxEpochs"/>]
/// (about 280 epochs of 100 rows, 3 epochs of 100,000 rows, 1 epoch of a million rows).</item>
/// </list>
/// </summary>
/// <param name="Epochs">Passes over the training rows.</param>
/// <param name="BatchSize">Rows per optimiser step.</param>
/// <param name="TargetSteps">The steps the automatic epoch count aimed at.</param>
/// <param name="EpochsDerived">True when the epochs came from the rule.</param>
/// <param name="BatchSizeDerived">True when the batch size came from the rule.</param>
public sealed record TrainingBudget(int Epochs, int BatchSize, int TargetSteps, bool EpochsDerived, bool BatchSizeDerived)
{
    /// <summary>
    /// Optimiser steps an encoder (VAE, autoencoder) aims at. On 100 rows of 6 columns driven by 2 factors the
    /// autoencoder's reconstruction error fell from 0.117 after 500 steps to 0.019 after 1,000 and 0.018 after 2,000 (an
    /// untrained network: 1.04); the former default, 20 epochs at batch 128, was 20 steps on 100 rows.
    /// </summary>
    public const int ReconstructionTargetSteps = 2000;
    /// <summary>
    /// Optimiser steps the anomaly detectors aim at. Their training rows hold unlabelled outliers, and the longer a network
    /// trains the better it learns to reconstruct those too: on the tabular-anomaly benchmark (120–960 training rows) the
    /// VAE's mean ROC-AUC was 0.721 after 500 steps, 0.700 after 1,000 and 0.696 after 2,000, and on the set whose
    /// outliers form one tight cluster (letter) it fell from 0.60 to 0.42 and 0.47. Fewer steps (250) under-fitted the
    /// wider sets (sonar 0.59 against 0.63).
    /// </summary>
    public const int AnomalyDetectionTargetSteps = 500;
    /// <summary>Optimiser steps (discriminator and generator updates) a GAN aims at: its two players need more than an autoencoder.</summary>
    public const int GanTargetSteps = 10_000;
    /// <summary>
    /// Optimiser steps an image-to-image translation model (pix2pix) aims at. Each row already pairs an input with its
    /// answer, so it needs fewer steps than a GAN that must discover the data on its own.
    /// </summary>
    public const int TranslationTargetSteps = 4_000;
    /// <summary>
    /// Optimiser steps an unpaired translation model (CycleGAN) aims at: nothing pairs its images, so it trains longer than
    /// pix2pix; the second half of the steps decays the learning rate.
    /// </summary>
    public const int CycleGanTargetSteps = 6_000;
    /// <summary>
    /// Optimiser steps a diffusion model aims at: it learns the data at every noise level, so it needs many steps. With
    /// 15,600 steps it put 95 % of samples within 3σ of a tight ring's modes and 94 % on a 5×5 grid (the diffusion-modes
    /// benchmark); 1,800 steps on a three-mode mixture gave 34–81 % depending on the schedule.
    /// </summary>
    public const int DiffusionTargetSteps = 10_000;
    /// <summary>
    /// Fewest optimiser steps a tabular synthesizer (TVAE, CTGAN) aims at: about what TVAE's published default (300 epochs
    /// at batch 500) gives a table of 5,000 rows. Wider tables get more (<see cref="TabularSteps"/>).
    /// </summary>
    public const int TabularTargetSteps = 3_000;
    /// <summary>
    /// Optimiser steps a tabular synthesizer aims at per value of its encoded row, when that gives more than
    /// <see cref="TabularTargetSteps"/>: a table of many one-hot blocks needs more steps before each block's softmax is sure
    /// of its category. On Soybean (546 training rows, 35 categorical predictors and 19 classes: 152 encoded values), rows
    /// from TVAE (drawing its categories) taught a classifier 0.69 accuracy after 1,000 steps and 0.88 after 3,000 (real
    /// rows: 0.94). With the most likely categories, 3,000 steps gave 0.91 and 0.85 on two splits (real: 0.94 and 0.93),
    /// 6,000 steps 0.91 and 0.90, and 10,000 steps 0.88 on the second split; drawn at temperature 0.5 (the default),
    /// 3,000 steps gave 0.92 and 0.85 and 6,080 steps 0.94 and 0.89. Vehicle (22 values) did not gain: 3,000 steps
    /// gave 0.645 and 0.627 on the two splits, 6,000 steps 0.615 and 0.633 (real: 0.669 and 0.633).
    /// </summary>
    public const int TabularStepsPerEncodedValue = 40;

    /// <summary>
    /// The optimiser steps a tabular synthesizer aims at for a row encoded as <paramref name="encodedWidth"/> values:
    /// <see cref="TabularTargetSteps"/>, or <see cref="TabularStepsPerEncodedValue"/> per value when that is more (above 75 values).
    /// </summary>
    public static int TabularSteps(int encodedWidth) => (int)Math.Min(int.MaxValue, Math.Max(TabularTargetSteps, (long)TabularStepsPerEncodedValue * encodedWidth));
    /// <summary>Smallest automatic batch size.</summary>
    public const int MinBatchSize = 16;
    /// <summary>Largest automatic batch size.</summary>
    public const int MaxBatchSize = 128;
    /// <summary>The automatic batch size is the row count divided by this, clamped: about ten steps per epoch on small data.</summary>
    public const int RowsPerBatchDivisor = 10;
    /// <summary>Fewest automatic epochs.</summary>
    public const int MinEpochs = 1;
    /// <summary>Most automatic epochs (reached below about 100 rows).</summary>
    public const int MaxEpochs = 1000;

    /// <summary>Share of the rows an encoder holds out when it derives early stopping (see <see cref="ResolveEarlyStopping"/>).</summary>
    public const double DerivedValidationFraction = 0.2;
    /// <summary>
    /// Share of the derived epochs without a better held-out loss after which a derived early stop ends training (40 of 400
    /// epochs on 100 rows). A fixed 5 epochs (25 steps there) stopped a model whose held-out error was still falling slowly.
    /// </summary>
    public const double DerivedEarlyStoppingPatienceShare = 0.1;
    /// <summary>
    /// Derived early stopping applies when the derived budget passes over the data at least this many times: a small table,
    /// which a network otherwise learns row by row (up to 12,800 rows for an encoder's 2,000 steps).
    /// </summary>
    public const int EarlyStoppingMinEpochs = 20;
    /// <summary>Fewest held-out rows derived early stopping uses; smaller tables train on every row without it.</summary>
    public const int EarlyStoppingMinValidationRows = 10;

    /// <summary>
    /// The validation fraction and patience a run of <paramref name="rows"/> rows uses. Explicit settings are kept as they
    /// are (a missing one counts as 0). When both are unset and <see cref="TrainingOptions.DeriveEarlyStopping"/> is on,
    /// a small table with derived epochs — one the derived budget passes over at least <see cref="EarlyStoppingMinEpochs"/>
    /// times — holds out <see cref="DerivedValidationFraction"/> of its rows and stops after
    /// <see cref="DerivedEarlyStoppingPatienceShare"/> of the epochs without a better held-out loss, keeping the best weights. Measured
    /// on 100 rows × 32 binary columns in three planted groups: the VAE's 2-D code separated the groups with a silhouette
    /// of 0.80 after 500 steps and 0.53 after 2,000 (it learns the rows' noise), while a table driven by two smooth factors
    /// kept improving up to 2,000 steps; the held-out reconstruction error tells the two apart. With this rule the VAE's
    /// silhouette was 0.80, 0.79 and 0.78 over three draws of the grouped table (PCA: 0.76, 0.77, 0.74), stopping after
    /// about 160 of 400 epochs, and the two-factor table still trained its full 2,000 steps.
    /// </summary>
    public static (double ValidationFraction, int Patience, bool Derived) ResolveEarlyStopping(long rows, TrainingOptions options)
    {
        if (options.ValidationFraction is not null || options.EarlyStoppingPatience is not null)
            return (options.ValidationFraction ?? 0, options.EarlyStoppingPatience ?? 0, false);
        if (!options.DeriveEarlyStopping || options.Epochs is not null || rows * DerivedValidationFraction < EarlyStoppingMinValidationRows)
            return (0, 0, false);
        long trainRows = rows - (long)Math.Floor(rows * DerivedValidationFraction);
        var budget = Resolve(trainRows, null, options.BatchSize, options.TargetSteps);
        return budget.Epochs >= EarlyStoppingMinEpochs
            ? (DerivedValidationFraction, (int)Math.Ceiling(budget.Epochs * DerivedEarlyStoppingPatienceShare), true)
            : (0, 0, false);
    }

    /// <summary>Resolves the budget for <paramref name="rows"/> training rows: explicit values are kept as they are.</summary>
    public static TrainingBudget Resolve(long rows, int? epochs, int? batchSize, int targetSteps)
    {
        int batch = batchSize ?? (int)Math.Clamp(rows / RowsPerBatchDivisor, MinBatchSize, MaxBatchSize);
        long batchesPerEpoch = Math.Max(1, (rows + batch - 1) / batch);
        int resolvedEpochs = epochs ?? (int)Math.Clamp((targetSteps + batchesPerEpoch - 1) / batchesPerEpoch, MinEpochs, MaxEpochs);
        return new TrainingBudget(resolvedEpochs, batch, targetSteps, epochs is null, batchSize is null);
    }

    /// <summary>Optimiser steps this budget takes on <paramref name="rows"/> rows.</summary>
    public long Steps(long rows) => (long)Epochs * Math.Max(1, (rows + BatchSize - 1) / BatchSize);

    /// <summary>Share of the rows held out for validation (0 = none).</summary>
    public double ValidationFraction { get; init; }
    /// <summary>Epochs without a better held-out loss before training stops (0 = never).</summary>
    public int EarlyStoppingPatience { get; init; }
    /// <summary>True when the validation fraction and patience came from <see cref="ResolveEarlyStopping"/>'s rule.</summary>
    public bool EarlyStoppingDerived { get; init; }

    /// <summary>"N epochs (derived) at batch B (derived), early stopping …" for logs.</summary>
    public override string ToString() =>
        $"{Epochs} epochs{(EpochsDerived ? $" (derived: about {TargetSteps} steps)" : "")} at batch {BatchSize}{(BatchSizeDerived ? " (derived from the row count)" : "")}"
        + (EarlyStoppingPatience > 0 ? $", stopping after {EarlyStoppingPatience} epochs without a better loss on {ValidationFraction:P0} of the rows held out{(EarlyStoppingDerived ? " (derived: a small table)" : "")}" : "");
}
