using GenModels.Torch.Scoring;

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
    }

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
    /// <summary>Posterior samples per row for the ELBO (averaged) and log-likelihood (importance-weighted) scores (1 to 10,000).</summary>
    public int ScoreSamples = Defaults.ScoreSamples;
    /// <summary>
    /// When true (the default), a row with a NaN or infinite feature is scored +∞ and predicted an anomaly: a broken record
    /// is not "normal". False keeps the behaviour of ML.NET's <c>RandomizedPca</c>: a NaN score and a false predicted label.
    /// </summary>
    public bool NonFiniteRowsAreAnomalies = true;

    /// <summary>How rows are scored.</summary>
    public abstract AnomalyScoreKind ScoreKind { get; set; }

    internal override string TrainingColumnName => FeatureColumnName;

    private protected override IEnumerable<string?> OutputNames() => [ScoreColumnName, PredictedLabelColumnName];

    internal override void Validate()
    {
        CheckName(FeatureColumnName, nameof(FeatureColumnName));
        CheckName(ScoreColumnName, nameof(ScoreColumnName));
        CheckName(PredictedLabelColumnName, nameof(PredictedLabelColumnName));
        base.Validate();
        if (Threshold is null && !(Contamination > 0 && Contamination <= 0.5))
            throw new ArgumentOutOfRangeException(nameof(Contamination), Contamination, "Contamination must be in (0, 0.5]: the share of training rows expected to be anomalies.");
        if (Threshold is { } t && !float.IsFinite(t))
            throw new ArgumentOutOfRangeException(nameof(Threshold), t, "The threshold must be a finite number.");
        Limits.CheckSamples(ScoreSamples, nameof(ScoreSamples));
    }
}
