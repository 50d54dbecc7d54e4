using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.MLNet.Vae;
using GenModels.Torch.Networks;
using GenModels.Torch.Training;
using GenModels.Torch.Vae;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(VaeEncodingTransformer), null, typeof(SignatureLoadModel), "VAE Encoding Transformer", VaeEncodingTransformer.LoaderSignature)]

namespace GenModels.MLNet.Vae;

/// <summary>
/// A trained variational autoencoder as an ML.NET transform: adds the posterior mean of each row (and any optional
/// columns chosen at training). Saved and loaded with <c>mlContext.Model.Save/Load</c>. The trained network is available
/// as <see cref="Model"/> for sampling, decoding and interpolation.
/// </summary>
public sealed class VaeEncodingTransformer : ReconstructionTransformerBase
{
    internal const string LoaderSignature = "GenModelsVaeEncode";

    internal VaeEncodingTransformer(VariationalAutoencoder model, string inputColumnName, int batchSize, int noiseSeed,
        IEnumerable<(NetworkOutputRole, string)> outputs, string[]? inputSlotNames, TrainingResult? training, int importanceSamples)
        : base(model, inputColumnName, batchSize, noiseSeed,
            DescribeOutputs(outputs, model.InputDimension, model.LatentDimension, inputSlotNames), inputSlotNames)
    {
        Limits.CheckSamples(importanceSamples, nameof(importanceSamples));
        Training = training;
        ImportanceSamples = importanceSamples;
    }

    /// <summary>Importance samples k behind the log-likelihood column.</summary>
    public int ImportanceSamples { get; }

    /// <summary>The trained network (GenModels.Torch): sample from the prior, decode codes, compute ELBO or IWAE estimates.</summary>
    public VariationalAutoencoder Model => (VariationalAutoencoder)Network;

    /// <summary>Loss history of the training run; null for a loaded model.</summary>
    public TrainingResult? Training { get; }

    /// <summary>Length of the code.</summary>
    public int LatentDimension => Model.LatentDimension;

    private protected override void Map(Tensor input, Tensor?[] outputs, Generator noise)
    {
        var (mean, logVar) = Model.EncodeDistribution(input);
        Tensor? reconstruction = null;
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is not { } target) continue;
            switch (Outputs[i].Role)
            {
                case NetworkOutputRole.Latent: target.copy_(mean); break;
                case NetworkOutputRole.LogVariance: target.copy_(logVar); break;
                case NetworkOutputRole.SampledLatent: target.copy_(VariationalAutoencoder.Reparameterize(mean, logVar, noise)); break;
                case NetworkOutputRole.Reconstruction: target.copy_(reconstruction ??= Model.Decode(mean)); break;
                case NetworkOutputRole.ReconstructionError: target.copy_(MeanSquaredError(input, reconstruction ??= Model.Decode(mean))); break;
                case NetworkOutputRole.LogLikelihood: target.copy_(Model.ImportanceWeightedLogLikelihood(input, ImportanceSamples, noise).unsqueeze(1)); break;
            }
        }
    }

    /// <summary>
    /// Estimates the density of the rows of <paramref name="data"/> under the model: the mean importance-weighted
    /// log-likelihood (IWAE bound with <paramref name="importanceSamples"/> samples), streamed in batches.
    /// </summary>
    public DensityEstimate EstimateDensity(IDataView data, int importanceSamples = 100)
    {
        ArgumentNullException.ThrowIfNull(data);
        var estimator = new VaeEncodingTransformer(Model, InputColumnName, BatchSize, NoiseSeed,
            [(NetworkOutputRole.LogLikelihood, "LogLikelihood")], InputSlotNames, null, importanceSamples);
        var scored = estimator.Transform(data); // shares this transformer's network; nothing to dispose
        var column = scored.Schema[scored.Schema.Count - 1];
        double sum = 0;
        long rows = 0;
        using (var cursor = scored.GetRowCursor(new[] { column }))
        {
            var getter = cursor.GetGetter<float>(column);
            float value = 0;
            while (cursor.MoveNext()) { getter(ref value); sum += value; rows++; }
        }
        if (rows == 0) throw new InvalidOperationException("The data has no rows to estimate a density on.");
        return new DensityEstimate(rows, InputDimension, sum / rows, importanceSamples);
    }

    // Settings after the shared header (formats 1 and 2): int importanceSamples.
    private protected override void WriteSettings(BinaryWriter writer) => writer.Write(ImportanceSamples);

    private static readonly ModelFormat SavedFormat = new("GMVAEENC", LoaderSignature, typeof(VaeEncodingTransformer));

    private protected override ModelFormat Format => SavedFormat;

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static VaeEncodingTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, SavedFormat, (reader, network, _) =>
        {
            var header = ReadHeader(reader);
            RequireRoles(header, NetworkOutputRole.Latent, NetworkOutputRole.LogVariance, NetworkOutputRole.SampledLatent,
                NetworkOutputRole.Reconstruction, NetworkOutputRole.ReconstructionError, NetworkOutputRole.LogLikelihood);
            int importanceSamples = ModelPersistence.ReadCount(reader, "the importance sample count", 1, Limits.MaxSamples);
            return LoadWith(header, ReconstructionNetworks.Deserialize(ReconstructionNetworks.VaeKind, network), model =>
            {
                return new VaeEncodingTransformer((VariationalAutoencoder)model, header.InputColumnName, header.BatchSize, header.NoiseSeed,
                    header.Outputs, header.InputSlotNames, null, importanceSamples);
            });
        });

}

/// <summary>A data set's density under a VAE, from importance-weighted log-likelihoods.</summary>
/// <param name="Rows">Rows scored.</param>
/// <param name="Dimension">Length of each row.</param>
/// <param name="MeanLogLikelihood">Mean log p(x) per row, in nats (a lower bound that tightens as k grows).</param>
/// <param name="ImportanceSamples">Importance samples k per row.</param>
public sealed record DensityEstimate(long Rows, int Dimension, double MeanLogLikelihood, int ImportanceSamples)
{
    /// <summary>Mean −log p(x) per row, in nats.</summary>
    public double NegativeLogLikelihood => -MeanLogLikelihood;
    /// <summary>Mean −log₂ p(x) divided by the row length: bits per dimension.</summary>
    public double BitsPerDimension => -MeanLogLikelihood / (Dimension * Math.Log(2));
}
