using GenModels.Torch.Autoencoders;
using GenModels.Torch.Networks;
using GenModels.Torch.Serialization;
using GenModels.Torch.Vae;

namespace GenModels.MLNet;

/// <summary>Serialises the library's encoder/decoder networks by kind, for the transformers' saved models.</summary>
internal static class ReconstructionNetworks
{
    public const string VaeKind = "VariationalAutoencoder";
    public const string AutoencoderKind = "Autoencoder";

    /// <summary>The options <paramref name="model"/> was built from.</summary>
    public static ReconstructionNetworkOptions OptionsOf(IReconstructionModel model) => model switch
    {
        VariationalAutoencoder vae => vae.Options,
        Autoencoder ae => ae.Options,
        _ => throw new ArgumentException($"Unsupported network type {model.GetType().Name}.", nameof(model)),
    };

    public static string KindOf(IReconstructionModel model) => model switch
    {
        VariationalAutoencoder => VaeKind,
        Autoencoder => AutoencoderKind,
        _ => throw new ArgumentException($"Unsupported network type {model.GetType().Name}.", nameof(model)),
    };

    public static byte[] Serialize(IReconstructionModel model)
    {
        using var stream = new MemoryStream();
        switch (model)
        {
            case VariationalAutoencoder vae: ModelSerializer.Save(stream, VaeKind, vae.Options, vae); break;
            case Autoencoder ae: ModelSerializer.Save(stream, AutoencoderKind, ae.Options, ae); break;
            default: throw new ArgumentException($"Unsupported network type {model.GetType().Name}.", nameof(model));
        }
        return stream.ToArray();
    }

    public static IReconstructionModel Deserialize(string kind, byte[] bytes) => kind switch
    {
        VaeKind => ModelSerializer.Load<VaeOptions, VariationalAutoencoder>(new MemoryStream(bytes), VaeKind, o => new VariationalAutoencoder(o)),
        AutoencoderKind => ModelSerializer.Load<AutoencoderOptions, Autoencoder>(new MemoryStream(bytes), AutoencoderKind, o => new Autoencoder(o)),
        _ => throw new InvalidDataException($"The saved model holds an unknown network kind '{kind}'."),
    };

    /// <summary>An independent copy with identical weights.</summary>
    public static T Clone<T>(T model) where T : IReconstructionModel => (T)Deserialize(KindOf(model), Serialize(model));
}
