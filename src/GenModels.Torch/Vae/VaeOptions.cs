using GenModels.Torch.Networks;

namespace GenModels.Torch.Vae;

/// <summary>Options of a <see cref="VariationalAutoencoder"/>.</summary>
public sealed class VaeOptions : ReconstructionNetworkOptions
{
    /// <summary>The standard VAE's weight of the KL term.</summary>
    public const double DefaultBeta = 1.0;

    /// <summary>Weight of the KL term in the training loss: 1 is the standard VAE (the ELBO); above 1 is a β-VAE.</summary>
    public double Beta { get; set; } = DefaultBeta;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        CheckBeta(Beta);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming <c>Beta</c> unless <paramref name="beta"/> is a finite number ≥ 0.</summary>
    public static void CheckBeta(double beta)
    {
        if (!(beta >= 0) || double.IsInfinity(beta))
            throw new ArgumentOutOfRangeException(nameof(Beta), beta, "β must be a finite number ≥ 0 (1 = standard VAE).");
    }
}
