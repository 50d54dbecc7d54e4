using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>What every encoder/decoder model offers to callers that score or transform rows.</summary>
public interface IReconstructionModel : IDisposable
{
    /// <summary>Length of each input vector.</summary>
    int InputDimension { get; }
    /// <summary>Length of the code.</summary>
    int LatentDimension { get; }
    /// <summary>Deterministic code of each row: [n, InputDimension] → [n, LatentDimension] (a VAE gives the posterior mean).</summary>
    Tensor Encode(Tensor x);
    /// <summary>Input-space reconstruction of each row through the deterministic code.</summary>
    Tensor Reconstruct(Tensor x);
}
