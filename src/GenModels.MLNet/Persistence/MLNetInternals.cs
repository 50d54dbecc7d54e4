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

    /// <summary>The ML.NET channel that carries this library's messages to <c>MLContext.Log</c>.</summary>
    public static IChannel StartChannel(IHostEnvironment env, string component) => env.Register("GenModels." + component).Start(component);

    /// <summary>A seed drawn from the environment's random source (seeded by <c>new MLContext(seed)</c>).</summary>
    public static int SeedFrom(IHostEnvironment env, string component) => env.Register("GenModels." + component).Rand.Next();

    /// <summary>Adds a Single copy of <paramref name="inputColumnName"/> named <paramref name="outputColumnName"/> (true → 1).</summary>
    public static IDataView ConvertToSingle(IHostEnvironment env, IDataView data, string outputColumnName, string inputColumnName) =>
        new TypeConvertingEstimator(env, outputColumnName, inputColumnName, DataKind.Single).Fit(data).Transform(data);
}
