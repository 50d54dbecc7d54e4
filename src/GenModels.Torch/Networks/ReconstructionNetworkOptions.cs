namespace GenModels.Torch.Networks;

/// <summary>Shape of an encoder/decoder pair of MLPs; everything needed to rebuild the network before loading weights.</summary>
public class ReconstructionNetworkOptions
{
    /// <summary>Length of each input vector.</summary>
    public int InputDimension { get; set; }
    /// <summary>Length of the code (latent vector).</summary>
    public int LatentDimension { get; set; }
    /// <summary>Encoder hidden widths, input side first; the decoder mirrors them.</summary>
    public int[] HiddenSizes { get; set; } = [128, 64];
    /// <summary>Non-linearity between hidden layers.</summary>
    public Activation Activation { get; set; } = Activation.ReLU;
    /// <summary>How the decoder output models the input.</summary>
    public ReconstructionLikelihood Likelihood { get; set; } = ReconstructionLikelihood.Gaussian;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public virtual void Validate()
    {
        if (InputDimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(InputDimension), InputDimension, "The input dimension must be positive.");
        if (LatentDimension <= 0 || LatentDimension > InputDimension)
            throw new ArgumentOutOfRangeException(nameof(LatentDimension), LatentDimension,
                $"The latent dimension must be between 1 and the input dimension ({InputDimension}).");
        if (HiddenSizes is null || HiddenSizes.Any(h => h <= 0))
            throw new ArgumentOutOfRangeException(nameof(HiddenSizes), "Hidden layer sizes must be given and positive.");
    }
}
