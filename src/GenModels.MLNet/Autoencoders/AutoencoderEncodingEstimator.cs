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
public sealed class AutoencoderEncodingEstimator : GenerativeEstimatorBase<AutoencoderEncodingEstimator.Options, AutoencoderEncodingTransformer>
{
    /// <summary>Options of <see cref="AutoencoderEncodingEstimator"/>.</summary>
    public sealed class Options : ReconstructionEstimatorOptions
    {
        /// <summary>
        /// Trains a denoising autoencoder: Gaussian noise of this many standard deviations of each feature (measured on the
        /// training rows) is added to the input during training, and the network learns to give back the clean row
        /// (0 = none). Null (the default) uses 2 on a small table where early stopping is derived (see
        /// <see cref="TrainingRunOptions.ValidationFraction"/>) and 0 otherwise: on 100 rows × 32 binary columns in three
        /// groups it raised the 2-D code's separation of the groups (silhouette) from about 0.66 to PCA's level (0.74–0.77)
        /// over three draws (see <c>AutoencoderTraining.DerivedInputNoise</c>).
        /// </summary>
        public double? InputNoise;

        internal override void Validate()
        {
            if (InputNoise is { } noise && (!(noise >= 0) || double.IsInfinity(noise)))
                throw new ArgumentOutOfRangeException(nameof(InputNoise), noise, "The input noise must be a non-negative number of standard deviations, or null.");
            base.Validate();
        }
    }

    internal AutoencoderEncodingEstimator(IHostEnvironment env, Options options) : base(env, options) { }

    /// <summary>Adds the code columns; throws if the input column is missing or not a known-size vector of Single.</summary>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        EstimatorFitting.OutputShape(inputSchema, options.InputColumnName, EstimatorFitting.AddedColumns(inputSchema, options, [options.OutputColumnName]));

    /// <summary>Trains the autoencoder on every row of <paramref name="input"/>.</summary>
    public override AutoencoderEncodingTransformer Fit(IDataView input)
    {
        using var data = EstimatorFitting.Prepare(env, nameof(AutoencoderEncodingEstimator), input, options);
        var (model, result) = EstimatorFitting.FitAutoencoder(env, data, options, inputNoise: options.InputNoise);
        var outputs = new List<(NetworkOutputRole, string)> { (NetworkOutputRole.Latent, options.OutputColumnName) };
        if (options.ReconstructionColumnName is { } rc) outputs.Add((EstimatorFitting.ReconstructionRole(input.Schema, options.InputColumnName), rc));
        if (options.ReconstructionErrorColumnName is { } re) outputs.Add((NetworkOutputRole.ReconstructionError, re));
        return new AutoencoderEncodingTransformer(model, options.InputColumnName, options.TransformBatchSize, data.Seed, outputs, data.SlotNames, result);
    }
}
