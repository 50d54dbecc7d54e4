using GenModels.MLNet.Data;
using GenModels.Torch.Autoencoders;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet.Autoencoders;

/// <summary>
/// Trains a deterministic autoencoder on a vector column and produces an <see cref="AutoencoderEncodingTransformer"/>: a
/// non-linear dimensionality reduction (the code), optionally with the reconstruction and its error.
/// Created by <c>mlContext.Transforms.AutoencoderEncode(...)</c>.
/// </summary>
public sealed class AutoencoderEncodingEstimator : IEstimator<AutoencoderEncodingTransformer>
{
    /// <summary>Options of <see cref="AutoencoderEncodingEstimator"/>.</summary>
    public sealed class Options : ReconstructionEstimatorOptions
    {
    }

    private readonly IHostEnvironment env;
    private readonly Options options;

    internal AutoencoderEncodingEstimator(IHostEnvironment env, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.env = env;
        this.options = options.Snapshot(); // later changes to the caller's object do not change what Fit trains
        this.options.Validate();
    }

    /// <summary>Adds the code columns; throws if the input column is missing or not a known-size vector of Single.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        EstimatorFitting.OutputShape(inputSchema, options.InputColumnName, EstimatorFitting.AddedColumns(inputSchema, options, [options.OutputColumnName]));

    /// <summary>Trains the autoencoder on every row of <paramref name="input"/>.</summary>
    public AutoencoderEncodingTransformer Fit(IDataView input)
    {
        using var data = EstimatorFitting.Prepare(env, nameof(AutoencoderEncodingEstimator), input, options);
        var (model, result) = EstimatorFitting.FitAutoencoder(env, data, options);
        var outputs = new List<(NetworkOutputRole, string)> { (NetworkOutputRole.Latent, options.OutputColumnName) };
        if (options.ReconstructionColumnName is { } rc) outputs.Add((EstimatorFitting.ReconstructionRole(input.Schema, options.InputColumnName), rc));
        if (options.ReconstructionErrorColumnName is { } re) outputs.Add((NetworkOutputRole.ReconstructionError, re));
        return new AutoencoderEncodingTransformer(model, options.InputColumnName, options.TransformBatchSize, data.Seed, outputs, data.SlotNames, result);
    }
}
