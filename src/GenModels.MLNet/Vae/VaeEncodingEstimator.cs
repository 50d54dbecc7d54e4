using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Networks;
using GenModels.Torch.Vae;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet.Vae;

/// <summary>
/// Trains a variational autoencoder (β-VAE when β ≠ 1) on a vector column and produces a <see cref="VaeEncodingTransformer"/>
/// that maps each row to its posterior mean (and optionally log-variance, a sampled code, the reconstruction and its error).
/// Created by <c>mlContext.Transforms.VaeEncode(...)</c>.
/// </summary>
public sealed class VaeEncodingEstimator : GenerativeEstimatorBase<VaeEncodingEstimator.Options, VaeEncodingTransformer>
{
    /// <summary>Options of <see cref="VaeEncodingEstimator"/>.</summary>
    public sealed class Options : ReconstructionEstimatorOptions
    {
        /// <summary>Weight of the KL term: 1 is the standard VAE (ELBO); larger values give a β-VAE with a smoother, more compressed code.</summary>
        public double Beta = Defaults.Beta;
        /// <summary>If set, a column with the posterior log-variance of each latent coordinate.</summary>
        public string? LogVarianceColumnName;
        /// <summary>If set, a Single column with each row's log-likelihood estimate log p(x) in nats (IWAE bound, <see cref="ImportanceSamples"/> samples).</summary>
        public string? LogLikelihoodColumnName;
        /// <summary>Importance samples k for <see cref="LogLikelihoodColumnName"/> (1 to 10,000); more is tighter and slower.</summary>
        public int ImportanceSamples = 100;
        /// <summary>If set, a column with one code sampled from the posterior (reparameterisation trick), reproducible per pass.</summary>
        public string? SampledLatentColumnName;

        internal override void Validate()
        {
            base.Validate();
            VaeOptions.CheckBeta(Beta);
            Limits.CheckSamples(ImportanceSamples, nameof(ImportanceSamples));
        }

        private protected override IEnumerable<string?> OutputNames() => base.OutputNames().Concat([LogVarianceColumnName, SampledLatentColumnName, LogLikelihoodColumnName]);
    }

    internal VaeEncodingEstimator(IHostEnvironment env, Options options) : base(env, options) { }

    /// <summary>Adds the code columns; throws if the input column is missing or not a known-size vector of Single.</summary>
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        EstimatorFitting.OutputShape(inputSchema, options.InputColumnName,
            EstimatorFitting.AddedColumns(inputSchema, options, [options.OutputColumnName, options.LogVarianceColumnName, options.SampledLatentColumnName])
                .Concat(options.LogLikelihoodColumnName is { } ll ? [SchemaShapes.SingleScalar(ll)] : []));

    /// <summary>Trains the VAE on every row of <paramref name="input"/>.</summary>
    public override VaeEncodingTransformer Fit(IDataView input)
    {
        using var data = EstimatorFitting.Prepare(env, nameof(VaeEncodingEstimator), input, options);
        var (model, result) = EstimatorFitting.FitVae(env, data, options, options.Beta);
        var outputs = new List<(NetworkOutputRole, string)> { (NetworkOutputRole.Latent, options.OutputColumnName) };
        if (options.LogVarianceColumnName is { } lv) outputs.Add((NetworkOutputRole.LogVariance, lv));
        if (options.SampledLatentColumnName is { } sz) outputs.Add((NetworkOutputRole.SampledLatent, sz));
        if (options.ReconstructionColumnName is { } rc) outputs.Add((EstimatorFitting.ReconstructionRole(input.Schema, options.InputColumnName), rc));
        if (options.ReconstructionErrorColumnName is { } re) outputs.Add((NetworkOutputRole.ReconstructionError, re));
        if (options.LogLikelihoodColumnName is { } ll) outputs.Add((NetworkOutputRole.LogLikelihood, ll));
        return new VaeEncodingTransformer(model, options.InputColumnName, options.TransformBatchSize, data.Seed, outputs, data.SlotNames, result, options.ImportanceSamples);
    }
}
