using GenModels.Torch.Networks;

namespace GenModels.Torch.Vae;

/// <summary>Options of a <see cref="VariationalAutoencoder"/>.</summary>
public sealed class VaeOptions : ReconstructionNetworkOptions
{
    /// <summary>Weight of the KL term in the training loss: 1 is the standard VAE (the ELBO); above 1 is a β-VAE.</summary>
    public double Beta { get; set; } = 1.0;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(Beta >= 0) || double.IsInfinity(Beta))
            throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "β must be a finite number ≥ 0 (1 = standard VAE).");
    }
}
