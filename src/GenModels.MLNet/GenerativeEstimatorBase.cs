using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet;

/// <summary>
/// What every estimator of the library shares: the ML.NET environment it was created in, and its own copy of the options,
/// checked when the estimator is created (so a bad setting fails at the catalog call, naming the setting) and unaffected
/// by later changes to the caller's object.
/// </summary>
/// <typeparam name="TOptions">The estimator's options.</typeparam>
/// <typeparam name="TTransformer">The transformer <see cref="Fit"/> trains.</typeparam>
public abstract class GenerativeEstimatorBase<TOptions, TTransformer> : IEstimator<TTransformer>
    where TOptions : TrainingRunOptions
    where TTransformer : class, ITransformer
{
    private protected readonly IHostEnvironment env;
    private protected readonly TOptions options;

    private protected GenerativeEstimatorBase(IHostEnvironment env, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.env = env;
        this.options = options.Snapshot(); // later changes to the caller's object do not change what Fit trains
        this.options.Validate();
    }

    /// <summary>Checks that the input columns exist with usable types and returns the output columns, as <see cref="Fit"/> would.</summary>
    public abstract SchemaShape GetOutputSchema(SchemaShape inputSchema);

    /// <summary>Trains on <paramref name="input"/> and returns the trained transformer.</summary>
    public abstract TTransformer Fit(IDataView input);
}
