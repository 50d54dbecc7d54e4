using GenModels.Torch.Networks;
using GenModels.Torch.Scoring;
using GenModels.Torch.Training;

namespace GenModels.MLNet.AnomalyDetection;

/// <summary>Options shared by the VAE and autoencoder anomaly detectors.</summary>
public abstract class AnomalyDetectionTrainerOptions : NetworkTrainingOptions
{
    /// <summary>Default values of the anomaly options.</summary>
    public static new class Defaults
    {
        /// <summary>Share of training rows flagged: the threshold is the training scores' (1 − contamination) quantile.</summary>
        public const double Contamination = 0.05;
        /// <summary>Posterior samples per row for the VAE's ELBO and log-likelihood scores.</summary>
        public const int ScoreSamples = 16;
        /// <summary>
        /// How both detectors score rows unless <see cref="ScoreKind"/> is set: the robustly scaled reconstruction error for
        /// the Gaussian likelihood (real-valued columns), the plain reconstruction error for the Bernoulli likelihood (values
        /// in [0, 1] such as pixels). On small tables the scaling raised the VAE's mean ROC-AUC from 0.649 to 0.721; on
        /// one-class Fashion-MNIST (3 epochs, classes 0, 6 and 8) it lowered it from 0.869 to 0.792, because background pixels
        /// that are almost always reconstructed exactly get tiny scales and any stroke there dominates.
        /// </summary>
        public static AnomalyScoreKind ScoreKindFor(ReconstructionLikelihood likelihood) =>
            likelihood == ReconstructionLikelihood.Bernoulli ? AnomalyScoreKind.ReconstructionError : AnomalyScoreKind.ScaledReconstructionError;
    }

    /// <summary>
    /// Creates options with the detectors' training default: while <see cref="TrainingRunOptions.Epochs"/> is unset, enough
    /// epochs for about 500 optimiser steps (<see cref="TrainingBudget.AnomalyDetectionTargetSteps"/>), fewer than an
    /// encoder's because longer training also teaches the network the outliers hidden in the training rows.
    /// </summary>
    private protected AnomalyDetectionTrainerOptions() => TargetSteps = TrainingBudget.AnomalyDetectionTargetSteps;

    /// <summary>The feature column: a known-size vector of Single, ideally normalised.</summary>
    public string FeatureColumnName = "Features";
    /// <summary>The Single score column to produce (higher = more anomalous).</summary>
    public string ScoreColumnName = "Score";
    /// <summary>The Boolean column to produce: true when the score is above the threshold.</summary>
    public string PredictedLabelColumnName = "PredictedLabel";
    /// <summary>Expected share of anomalies in the training data, in (0, 0.5]; sets the threshold unless <see cref="Threshold"/> is given.</summary>
    public double Contamination = Defaults.Contamination;
    /// <summary>An explicit score threshold; when set, <see cref="Contamination"/> is not used.</summary>
    public float? Threshold;
    /// <summary>
    /// Optional column of known anomalies: Boolean (true = anomaly) or Single (&gt; 0 = anomaly), as <c>Evaluate</c> reads
    /// labels. Rows marked there (confirmed fraud, failures) are kept out of the model of normal data and pushed to a high
    /// reconstruction error by a bounded margin term (<c>GenModels.Torch.Training.KnownAnomalies</c>, after Deep SAD); the
    /// other rows, labelled normal or not labelled, are modelled as without a label. The contamination threshold is then
    /// taken over the unmarked rows and lowered, if needed, to the median score of the marked ones (never below the median
    /// of the unmarked rows). When no row is marked, training is exactly as without the column.
    /// </summary>
    public string? LabelColumnName;
    /// <summary>Posterior samples per row for the ELBO (averaged) and log-likelihood (importance-weighted) scores (1 to 10,000).</summary>
    public int ScoreSamples = Defaults.ScoreSamples;
    /// <summary>
    /// When true (the default), a row with a NaN or infinite feature is scored +∞ and predicted an anomaly: a broken record
    /// is not "normal". False keeps the behaviour of ML.NET's <c>RandomizedPca</c>: a NaN score and a false predicted label.
    /// </summary>
    public bool NonFiniteRowsAreAnomalies = true;

    /// <summary>How rows are scored; null (the default) chooses by <see cref="NetworkTrainingOptions.Likelihood"/> (<see cref="Defaults.ScoreKindFor"/>).</summary>
    public abstract AnomalyScoreKind? ScoreKind { get; set; }

    /// <summary>The score used: <see cref="ScoreKind"/>, or the default for the likelihood.</summary>
    internal AnomalyScoreKind ResolvedScoreKind => ScoreKind ?? Defaults.ScoreKindFor(Likelihood);

    internal override string TrainingColumnName => FeatureColumnName;

    // The derived budget stops before convergence on purpose (see the constructor); an explicit Epochs is checked as usual.
    private protected override bool WarnIfUnconverged => Epochs is not null;

    private protected override IEnumerable<string?> OutputNames() => [ScoreColumnName, PredictedLabelColumnName];

    internal override void Validate()
    {
        CheckName(FeatureColumnName, nameof(FeatureColumnName));
        CheckName(ScoreColumnName, nameof(ScoreColumnName));
        CheckName(PredictedLabelColumnName, nameof(PredictedLabelColumnName));
        if (LabelColumnName is not null) CheckName(LabelColumnName, nameof(LabelColumnName));
        if (LabelColumnName is not null && LabelColumnName == FeatureColumnName)
            throw new ArgumentException("The label column must differ from the feature column.", nameof(LabelColumnName));
        base.Validate();
        if (Threshold is null && !(Contamination > 0 && Contamination <= 0.5))
            throw new ArgumentOutOfRangeException(nameof(Contamination), Contamination, "Contamination must be in (0, 0.5]: the share of training rows expected to be anomalies.");
        if (Threshold is { } t && !float.IsFinite(t))
            throw new ArgumentOutOfRangeException(nameof(Threshold), t, "The threshold must be a finite number.");
        Limits.CheckSamples(ScoreSamples, nameof(ScoreSamples));
    }
}
