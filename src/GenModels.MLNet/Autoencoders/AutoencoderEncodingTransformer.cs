using GenModels.MLNet.Autoencoders;
using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Autoencoders;
using GenModels.Torch.Networks;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(AutoencoderEncodingTransformer), null, typeof(SignatureLoadModel), "Autoencoder Encoding Transformer", AutoencoderEncodingTransformer.LoaderSignature)]

namespace GenModels.MLNet.Autoencoders;

/// <summary>
/// A trained autoencoder as an ML.NET transform: adds the code of each row (and optionally its reconstruction and
/// reconstruction error). Saved and loaded with <c>mlContext.Model.Save/Load</c>.
/// </summary>
public sealed class AutoencoderEncodingTransformer : ReconstructionTransformerBase
{
    internal const string LoaderSignature = "GenModelsAEEncode";

    internal AutoencoderEncodingTransformer(Autoencoder model, string inputColumnName, int batchSize, int noiseSeed,
        IEnumerable<(NetworkOutputRole, string)> outputs, string[]? inputSlotNames, TrainingResult? training)
        : base(model, inputColumnName, batchSize, noiseSeed,
            DescribeOutputs(outputs, model, inputSlotNames), inputSlotNames)
    {
        Training = training;
    }

    /// <summary>The trained network (GenModels.Torch).</summary>
    public Autoencoder Model => (Autoencoder)Network;

    /// <summary>Loss history of the training run; null for a loaded model.</summary>
    public TrainingResult? Training { get; }

    /// <summary>Length of the code.</summary>
    public int LatentDimension => Model.LatentDimension;

    private protected override void Map(Tensor input, Tensor?[] outputs, Generator noise)
    {
        var code = Model.Encode(input);
        Tensor? reconstruction = null;
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is not { } target) continue;
            switch (Outputs[i].Role)
            {
                case NetworkOutputRole.Latent: target.copy_(code); break;
                case NetworkOutputRole.Reconstruction or NetworkOutputRole.ReconstructionImage: target.copy_(reconstruction ??= Model.Decode(code)); break;
                case NetworkOutputRole.ReconstructionError: target.copy_(MeanSquaredError(input, reconstruction ??= Model.Decode(code))); break;
                default: throw new InvalidDataException($"An autoencoder cannot produce a {Outputs[i].Role} column.");
            }
        }
    }

    private protected override bool MapsRow(NetworkOutputRole role) => role is NetworkOutputRole.Latent
        or NetworkOutputRole.Reconstruction or NetworkOutputRole.ReconstructionImage or NetworkOutputRole.ReconstructionError;

    private protected override void MapRow(RowReconstructionModel model, ReadOnlySpan<float> input, float[]?[] results) =>
        MapEncoderRow(model, input, results);

    private static readonly ModelFormat SavedFormat = new("GMAEENC ", LoaderSignature, typeof(AutoencoderEncodingTransformer));

    private protected override ModelFormat Format => SavedFormat;

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static AutoencoderEncodingTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, SavedFormat, (reader, network, _) =>
        {
            var header = ReadHeader(reader);
            RequireRoles(header, NetworkOutputRole.Latent, NetworkOutputRole.Reconstruction, NetworkOutputRole.ReconstructionImage, NetworkOutputRole.ReconstructionError);
            return LoadWith(header, ReconstructionNetworks.Deserialize(ReconstructionNetworks.AutoencoderKind, network), model =>
            {
                return new AutoencoderEncodingTransformer((Autoencoder)model, header.InputColumnName, header.BatchSize, header.NoiseSeed,
                    header.Outputs, header.InputSlotNames, null);
            });
        });

}
