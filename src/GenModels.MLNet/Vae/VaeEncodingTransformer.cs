using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.MLNet.Vae;
using GenModels.Torch.Serialization;
using GenModels.Torch.Training;
using GenModels.Torch.Vae;
using Microsoft.ML;
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
    private const string NetworkKind = "VariationalAutoencoder";

    internal VaeEncodingTransformer(VariationalAutoencoder model, string inputColumnName, int batchSize, int noiseSeed,
        IEnumerable<(NetworkOutputRole, string)> outputs, string[]? inputSlotNames, TrainingResult? training)
        : base(inputColumnName, model.InputDimension, batchSize, noiseSeed,
            DescribeOutputs(outputs, model.InputDimension, model.LatentDimension, inputSlotNames), inputSlotNames)
    {
        Model = model;
        Training = training;
    }

    /// <summary>The trained network (GenModels.Torch): sample from the prior, decode codes, compute ELBO or IWAE estimates.</summary>
    public VariationalAutoencoder Model { get; }

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
            }
        }
    }

    private protected override byte[] SerializeNetwork()
    {
        using var stream = new MemoryStream();
        ModelSerializer.Save(stream, NetworkKind, Model.Options, Model);
        return stream.ToArray();
    }

    private static VersionInfo GetVersionInfo() =>
        ModelPersistence.Version("GMVAEENC", LoaderSignature, 0x00010001, typeof(VaeEncodingTransformer));

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static VaeEncodingTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, GetVersionInfo(), (reader, network) =>
        {
            var header = ReadHeader(reader);
            var model = ModelSerializer.Load<VaeOptions, VariationalAutoencoder>(new MemoryStream(network), NetworkKind, o => new VariationalAutoencoder(o));
            if (model.InputDimension != header.InputDimension)
                throw new InvalidDataException($"The saved VAE expects {model.InputDimension} inputs but its header says {header.InputDimension}.");
            return new VaeEncodingTransformer(model, header.InputColumnName, header.BatchSize, header.NoiseSeed, header.Outputs, header.InputSlotNames, null);
        });

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) Model.Dispose();
    }
}
