using GenModels.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.AnomalyDetection;

/// <summary>
/// <c>mlContext.AnomalyDetection</c> extensions: VAE and autoencoder detectors next to <c>RandomizedPca</c>, a threshold
/// change for trained detectors, and evaluation that also accepts Boolean labels.
/// </summary>
public static class AnomalyDetectionCatalogExtensions
{
    /// <summary>
    /// A variational-autoencoder anomaly detector: trains on (mostly) normal rows; <c>Score</c> is the reconstruction error by default (see <see cref="VaeAnomalyDetectionTrainer.Options.ScoreKind"/>) and
    /// <c>PredictedLabel</c> flags scores above the training scores' (1 − <paramref name="contamination"/>) quantile.
    /// </summary>
    /// <param name="catalog">The anomaly detection trainers catalog.</param>
    /// <param name="featureColumnName">A known-size vector of Single; normalise it first.</param>
    /// <param name="latentDimension">Length of the VAE's code.</param>
    /// <param name="contamination">Share of training rows expected to be anomalies, in (0, 0.5].</param>
    public static VaeAnomalyDetectionTrainer Vae(this AnomalyDetectionCatalog.AnomalyDetectionTrainers catalog, string featureColumnName = "Features",
        int latentDimension = NetworkTrainingOptions.Defaults.LatentDimension, double contamination = AnomalyDetectionTrainerOptions.Defaults.Contamination) =>
        catalog.Vae(new VaeAnomalyDetectionTrainer.Options { FeatureColumnName = featureColumnName, LatentDimension = latentDimension, Contamination = contamination });

    /// <summary>A variational-autoencoder anomaly detector with every setting in <paramref name="options"/>.</summary>
    public static VaeAnomalyDetectionTrainer Vae(this AnomalyDetectionCatalog.AnomalyDetectionTrainers catalog, VaeAnomalyDetectionTrainer.Options options) =>
        new(MLNetInternals.EnvironmentOf(catalog), options);

    /// <summary>
    /// An autoencoder anomaly detector: <c>Score</c> is the reconstruction error and <c>PredictedLabel</c> flags scores
    /// above the training scores' (1 − <paramref name="contamination"/>) quantile.
    /// </summary>
    /// <param name="catalog">The anomaly detection trainers catalog.</param>
    /// <param name="featureColumnName">A known-size vector of Single; normalise it first.</param>
    /// <param name="latentDimension">Length of the code.</param>
    /// <param name="contamination">Share of training rows expected to be anomalies, in (0, 0.5].</param>
    public static AutoencoderAnomalyDetectionTrainer Autoencoder(this AnomalyDetectionCatalog.AnomalyDetectionTrainers catalog, string featureColumnName = "Features",
        int latentDimension = NetworkTrainingOptions.Defaults.LatentDimension, double contamination = AnomalyDetectionTrainerOptions.Defaults.Contamination) =>
        catalog.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options { FeatureColumnName = featureColumnName, LatentDimension = latentDimension, Contamination = contamination });

    /// <summary>An autoencoder anomaly detector with every setting in <paramref name="options"/>.</summary>
    public static AutoencoderAnomalyDetectionTrainer Autoencoder(this AnomalyDetectionCatalog.AnomalyDetectionTrainers catalog, AutoencoderAnomalyDetectionTrainer.Options options) =>
        new(MLNetInternals.EnvironmentOf(catalog), options);

    /// <summary>
    /// The same model with a new threshold, without retraining: <paramref name="model"/> is a <see cref="GenerativeAnomalyDetectionTransformer"/>
    /// or a transformer chain that contains one (as <c>pipeline.Fit</c> returns). ML.NET's <c>ChangeModelThreshold</c> only takes its own detectors.
    /// </summary>
    public static ITransformer ChangeThreshold(this AnomalyDetectionCatalog catalog, ITransformer model, float threshold)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool found = false;
        var result = Replace(model);
        if (!found) throw new ArgumentException($"The model holds no GenModels anomaly detector (found {model.GetType().Name}).", nameof(model));
        return result;

        ITransformer Replace(ITransformer t)
        {
            if (t is GenerativeAnomalyDetectionTransformer detector) { found = true; return detector.WithThreshold(threshold); }
            // Any TransformerChain<T> enumerates its transformers; rebuild it with the detector replaced.
            if (t.GetType().IsGenericType && t.GetType().GetGenericTypeDefinition() == typeof(TransformerChain<>))
                return new TransformerChain<ITransformer>(((IEnumerable<ITransformer>)t).Select(Replace).ToArray());
            return t;
        }
    }

    /// <summary>
    /// <c>mlContext.AnomalyDetection.Evaluate</c> that also accepts a Boolean label (true = anomaly), besides ML.NET's Single
    /// (&gt; 0 = anomaly) and two-valued key labels. Other label types are rejected naming the column.
    /// </summary>
    public static AnomalyDetectionMetrics EvaluateDetector(this AnomalyDetectionCatalog catalog, IDataView data, string labelColumnName = "Label",
        string scoreColumnName = "Score", string predictedLabelColumnName = "PredictedLabel", int falsePositiveCount = 10)
    {
        ArgumentNullException.ThrowIfNull(data);
        var label = data.Schema.GetColumnOrNull(labelColumnName) ?? throw Errors.MissingColumn(nameof(data), "label", labelColumnName);
        switch (label.Type)
        {
            case BooleanDataViewType:
                var converted = "__GenModelsLabel";
                data = MLNetInternals.ConvertToSingle(MLNetInternals.EnvironmentOf(catalog), data, converted, labelColumnName);
                labelColumnName = converted;
                break;
            case NumberDataViewType n when n == NumberDataViewType.Single:
            case KeyDataViewType { Count: 2 }:
                break;
            default:
                throw Errors.SchemaMismatch(nameof(data), "label", labelColumnName, "Boolean, Single or a key with 2 values", Errors.Describe(label.Type));
        }
        return catalog.Evaluate(data, labelColumnName, scoreColumnName, predictedLabelColumnName, falsePositiveCount);
    }
}
