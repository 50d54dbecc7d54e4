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
            DescribeOutputs(outputs, model, inputSlotNames), inputSlotNames)
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
        // The log-variance is computed only for the outputs that read it.
        bool needsLogVar = outputs.Where((t, i) => t is not null && Outputs[i].Role is NetworkOutputRole.LogVariance or NetworkOutputRole.SampledLatent).Any();
        var (mean, logVar) = needsLogVar ? Model.EncodeDistribution(input) : (Model.Encode(input), null!);
        Tensor? reconstruction = null;
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is not { } target) continue;
            switch (Outputs[i].Role)
            {
                case NetworkOutputRole.Latent: target.copy_(mean); break;
                case NetworkOutputRole.LogVariance: target.copy_(logVar); break;
                case NetworkOutputRole.SampledLatent: target.copy_(VariationalAutoencoder.Reparameterize(mean, logVar, noise)); break;
                case NetworkOutputRole.Reconstruction or NetworkOutputRole.ReconstructionImage: target.copy_(reconstruction ??= Model.Decode(mean)); break;
                case NetworkOutputRole.ReconstructionError: target.copy_(MeanSquaredError(input, reconstruction ??= Model.Decode(mean))); break;
                case NetworkOutputRole.LogLikelihood: target.copy_(Model.ImportanceWeightedLogLikelihood(input, ImportanceSamples, noise).unsqueeze(1)); break;
            }
        }
    }

    private protected override bool MapsRow(NetworkOutputRole role) => role is NetworkOutputRole.Latent or NetworkOutputRole.LogVariance
        or NetworkOutputRole.Reconstruction or NetworkOutputRole.ReconstructionImage or NetworkOutputRole.ReconstructionError;

    private protected override void MapRow(RowReconstructionModel model, ReadOnlySpan<float> input, float[]?[] results) =>
        MapEncoderRow(model, input, results);

    /// <summary>
    /// Latent traversal ("latent variable perturbation"): encodes <paramref name="input"/> (one row of the input column, as
    /// <see cref="ReconstructionTransformerBase.InputDimension"/> floats; an image as 3×H×W values in [0, 1]) to its
    /// posterior mean, sweeps latent coordinate <paramref name="dimension"/> over <paramref name="steps"/> evenly spaced
    /// values from <paramref name="from"/> to <paramref name="to"/> (both included) while the other coordinates stay at the
    /// mean, and returns the decoder's mean for each step: what that coordinate controls. Under the prior N(0, 1) a sweep
    /// from −3 to 3 covers almost all codes. Write image rows to a picture with <c>ImageGrid.Save</c>.
    /// </summary>
    public float[][] LatentTraversal(float[] input, int dimension, float from, float to, int steps)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length != InputDimension)
            throw new ArgumentException($"The input row has {input.Length} values; column '{InputColumnName}' has {InputDimension}.", nameof(input));
        if (dimension < 0 || dimension >= LatentDimension)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"The latent coordinate must be between 0 and {LatentDimension - 1}.");
        if (!float.IsFinite(from) || !float.IsFinite(to))
            throw new ArgumentOutOfRangeException(!float.IsFinite(from) ? nameof(from) : nameof(to), "The range must be finite.");
        if (steps < 2 || steps > Limits.MaxTransformBatchSize)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Between 2 and {Limits.MaxTransformBatchSize:N0} steps.");
        var model = Model;
        using var threads = GenModels.Torch.TorchThreads.Use();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var codes = model.Encode(tensor(input).unsqueeze(0)).repeat(steps, 1);
        codes[TensorIndex.Colon, dimension] = linspace(from, to, steps);
        var decoded = model.Decode(codes).contiguous();
        var values = decoded.data<float>().ToArray();
        return Enumerable.Range(0, steps).Select(i => values.AsSpan(i * InputDimension, InputDimension).ToArray()).ToArray();
    }

    /// <summary>
    /// <see cref="LatentTraversal(float[], int, float, float, int)"/> from the first row of <paramref name="data"/>'s input
    /// column (a vector or an image column, as at training).
    /// </summary>
    public float[][] LatentTraversal(IDataView data, int dimension, float from, float to, int steps)
    {
        ArgumentNullException.ThrowIfNull(data);
        var column = BatchedMapping.CheckFeatureInput(data.Schema, InputColumnName, InputDimension, paramName: nameof(data)).Column;
        var row = new float[InputDimension];
        using (var cursor = data.GetRowCursor([column]))
        {
            if (!cursor.MoveNext()) throw new ArgumentException($"The data has no row to start the traversal from.", nameof(data));
            BatchedMapping.FeatureReader(cursor, column, InputDimension).Read(row);
        }
        return LatentTraversal(row, dimension, from, to, steps);
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
                NetworkOutputRole.Reconstruction, NetworkOutputRole.ReconstructionImage, NetworkOutputRole.ReconstructionError, NetworkOutputRole.LogLikelihood);
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
