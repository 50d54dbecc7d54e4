using GenModels.Torch.Networks;

namespace GenModels.Torch.Autoencoders;

/// <summary>Options of a deterministic <see cref="Autoencoder"/>.</summary>
public sealed class AutoencoderOptions : ReconstructionNetworkOptions
{
}
