using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;

namespace GenModels.MLNet.Persistence;

/// <summary>
/// The library's other uses of ML.NET internals (see build/MLNetInternals.targets): the environment behind a catalog,
/// channels to <c>MLContext.Log</c>, seeds from the context, and a type conversion without a catalog at hand.
/// </summary>
internal static class MLNetInternals
{
    /// <summary>The environment behind an ML.NET catalog (the <c>MLContext</c>).</summary>
    public static IHostEnvironment EnvironmentOf(IInternalCatalog catalog) => catalog.Environment;

    /// <summary>The <c>MLContext</c> as ML.NET's host environment.</summary>
    public static IHostEnvironment EnvironmentOf(MLContext mlContext) => mlContext;

    /// <summary>
    /// The ML.NET channel that carries this library's messages to <c>MLContext.Log</c>. Its host gets a fixed seed: registering
    /// one without a seed would draw from the context's random stream and shift every later trainer's starting point.
    /// </summary>
    public static IChannel StartChannel(IHostEnvironment env, string component) => env.Register("GenModels." + component, seed: 0).Start(component);

    /// <summary>
    /// A seed drawn from the environment's random source (seeded by <c>new MLContext(seed)</c>): exactly one value of the
    /// context's stream (registering an unseeded host draws one; the seed then comes from the host's own generator).
    /// </summary>
    public static int SeedFrom(IHostEnvironment env, string component) => env.Register("GenModels." + component).Rand.Next();

    /// <summary>
    /// Annotations ML.NET's evaluators and tools read on an anomaly detector's output columns: the score-column set id (one
    /// more than the largest in <paramref name="inputSchema"/>), <c>ScoreColumnKind</c> = AnomalyDetection and
    /// <c>ScoreValueKind</c> = <paramref name="valueKind"/> (Score or PredictedLabel).
    /// </summary>
    public static DataViewSchema.Annotations AnomalyScoreAnnotations(DataViewSchema inputSchema, string valueKind)
    {
        uint setId = AnnotationUtils.GetMaxAnnotationKind(inputSchema, out _, AnnotationUtils.Kinds.ScoreColumnSetId) + 1;
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(AnnotationUtils.Kinds.ScoreColumnSetId, AnnotationUtils.ScoreColumnSetIdType, (ref uint value) => value = setId);
        builder.Add(AnnotationUtils.Kinds.ScoreColumnKind, TextDataViewType.Instance,
            (ref ReadOnlyMemory<char> value) => value = AnnotationUtils.Const.ScoreColumnKind.AnomalyDetection.AsMemory());
        builder.Add(AnnotationUtils.Kinds.ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = valueKind.AsMemory());
        return builder.ToAnnotations();
    }

    /// <summary>The same annotations as a schema shape, for the estimators' <c>GetOutputSchema</c>.</summary>
    public static SchemaShape AnomalyScoreAnnotationShape() => new(AnnotationUtils.GetTrainerOutputAnnotation());

    /// <summary>The score value kinds of <see cref="AnomalyScoreAnnotations"/>.</summary>
    public const string ScoreValueKind = AnnotationUtils.Const.ScoreValueKind.Score, PredictedLabelValueKind = AnnotationUtils.Const.ScoreValueKind.PredictedLabel;

    /// <summary>Adds a Single copy of <paramref name="inputColumnName"/> named <paramref name="outputColumnName"/> (true → 1).</summary>
    public static IDataView ConvertToSingle(IHostEnvironment env, IDataView data, string outputColumnName, string inputColumnName) =>
        new TypeConvertingEstimator(env, outputColumnName, inputColumnName, DataKind.Single).Fit(data).Transform(data);
}
