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
        : base(inputColumnName, model.InputDimension, batchSize, noiseSeed,
            DescribeOutputs(outputs, model.InputDimension, model.LatentDimension, inputSlotNames), inputSlotNames)
    {
        Model = model;
        Training = training;
    }

    /// <summary>The trained network (GenModels.Torch).</summary>
    public Autoencoder Model { get; }

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
                case NetworkOutputRole.Reconstruction: target.copy_(reconstruction ??= Model.Decode(code)); break;
                case NetworkOutputRole.ReconstructionError: target.copy_(MeanSquaredError(input, reconstruction ??= Model.Decode(code))); break;
                default: throw new InvalidDataException($"An autoencoder cannot produce a {Outputs[i].Role} column.");
            }
        }
    }

    private protected override IReconstructionModel Network => Model;

    private static VersionInfo GetVersionInfo() =>
        ModelPersistence.Version("GMAEENC ", LoaderSignature, 0x00010001, typeof(AutoencoderEncodingTransformer));

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static AutoencoderEncodingTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, GetVersionInfo(), (reader, network) =>
        {
            var header = ReadHeader(reader);
            var model = (Autoencoder)ReconstructionNetworks.Deserialize(ReconstructionNetworks.AutoencoderKind, network);
            if (model.InputDimension != header.InputDimension)
                throw new InvalidDataException($"The saved autoencoder expects {model.InputDimension} inputs but its header says {header.InputDimension}.");
            return new AutoencoderEncodingTransformer(model, header.InputColumnName, header.BatchSize, header.NoiseSeed, header.Outputs, header.InputSlotNames, null);
        });

}
