using GenModels.Torch.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenModels.Torch.Vae;

/// <summary>
/// A variational autoencoder with a diagonal Gaussian posterior q(z|x), a standard normal prior p(z) = N(0, I) and a
/// Gaussian or Bernoulli decoder p(x|z). The training loss is −(reconstruction log-likelihood) + β·KL(q(z|x) ‖ p(z)).
/// The encoder and decoder are MLPs, or convolutional networks for images (<see cref="ReconstructionNetworkOptions.Architecture"/>);
/// either way rows are flat vectors of <see cref="InputDimension"/> values.
/// </summary>
public sealed class VariationalAutoencoder : nn.Module<Tensor, (Tensor Reconstruction, Tensor Mean, Tensor LogVar)>, IReconstructionModel
{
    private readonly nn.Module<Tensor, Tensor> encoder; // x → [mean, logVar]
    private readonly nn.Module<Tensor, Tensor> decoder; // z → mean of p(x|z) (Gaussian) or logits (Bernoulli)
    private readonly Parameter? log_scale; // per-feature log σ of the Gaussian decoder

    /// <summary>Builds the network from <paramref name="options"/> (validated here).</summary>
    public VariationalAutoencoder(VaeOptions options) : base(nameof(VariationalAutoencoder))
    {
        options.Validate();
        Options = options;
        encoder = ReconstructionBodies.Encoder(options, 2 * options.LatentDimension);
        decoder = ReconstructionBodies.Decoder(options);
        if (options.Likelihood == ReconstructionLikelihood.Gaussian)
            log_scale = nn.Parameter(zeros(options.InputDimension));
        RegisterComponents();
    }

    /// <summary>The encoder network (an <see cref="Mlp"/> or a convolutional encoder).</summary>
    internal nn.Module<Tensor, Tensor> EncoderNetwork => encoder;
    /// <summary>The decoder network, up to the likelihood's link.</summary>
    internal nn.Module<Tensor, Tensor> DecoderNetwork => decoder;

    /// <summary>The options the network was built from.</summary>
    public VaeOptions Options { get; }
    /// <inheritdoc />
    public int InputDimension => Options.InputDimension;
    /// <inheritdoc />
    public int LatentDimension => Options.LatentDimension;

    /// <summary>Posterior parameters: mean and log-variance of q(z|x).</summary>
    public (Tensor Mean, Tensor LogVar) EncodeDistribution(Tensor x)
    {
        var h = encoder.forward(x);
        var parts = h.chunk(2, -1);
        return (parts[0], parts[1].clamp(-30, 20)); // keeps exp(logVar) finite
    }

    /// <summary>Posterior mean: the deterministic code.</summary>
    public Tensor Encode(Tensor x) => encoder is Mlp mlp
        ? mlp.ForwardInference(x, LatentDimension) // the mean half of the output layer only
        : EncodeDistribution(x).Mean;

    /// <summary>Reparameterisation trick: z = mean + σ·ε with ε ~ N(0, I), so gradients flow through mean and σ.</summary>
    public static Tensor Reparameterize(Tensor mean, Tensor logVar, Generator? generator = null)
    {
        var eps = randn(mean.shape, dtype: mean.dtype, device: mean.device, generator: generator);
        return mean + (0.5 * logVar).exp() * eps;
    }

    /// <summary>Decoder output before its link (the Gaussian mean, or Bernoulli logits).</summary>
    public Tensor DecodeRaw(Tensor z) => decoder.forward(z);

    /// <summary>Mean of p(x|z) in input space.</summary>
    public Tensor Decode(Tensor z) => Options.Likelihood == ReconstructionLikelihood.Bernoulli ? DecodeRaw(z).sigmoid() : DecodeRaw(z);

    /// <inheritdoc />
    public Tensor Reconstruct(Tensor x) => Decode(Encode(x));

    /// <summary>Draws <paramref name="count"/> rows from the model: z ~ N(0, I), then the decoder mean.</summary>
    public Tensor Sample(long count, Generator? generator = null)
    {
        var z = randn(new[] { count, (long)LatentDimension }, device: encoderDevice, generator: generator);
        return Decode(z);
    }

    /// <summary>One stochastic pass: sampled reconstruction plus the posterior parameters.</summary>
    public override (Tensor Reconstruction, Tensor Mean, Tensor LogVar) forward(Tensor x)
    {
        var (mean, logVar) = EncodeDistribution(x);
        return (Decode(Reparameterize(mean, logVar)), mean, logVar);
    }

    /// <summary>−log p(x|z) per row, given the decoder's raw output.</summary>
    public Tensor ReconstructionNll(Tensor x, Tensor decodedRaw) =>
        Options.Likelihood == ReconstructionLikelihood.Bernoulli
            ? Likelihoods.BernoulliNll(x, decodedRaw)
            : Likelihoods.GaussianNll(x, decodedRaw, log_scale!);

    /// <summary>KL(N(mean, exp(logVar)) ‖ N(0, I)) per row, in closed form.</summary>
    public static Tensor KlToStandardNormal(Tensor mean, Tensor logVar) =>
        -0.5 * (1 + logVar - mean.square() - logVar.exp()).sum(-1);

    /// <summary>
    /// Per-row parts of the loss from one posterior sample: reconstruction −log p(x|z) and KL. The negative ELBO is their
    /// sum; the β-VAE training loss is reconstruction + β·KL.
    /// </summary>
    public (Tensor Reconstruction, Tensor Kl) LossParts(Tensor x, Generator? generator = null)
    {
        var (mean, logVar) = EncodeDistribution(x);
        var z = Reparameterize(mean, logVar, generator);
        return (ReconstructionNll(x, DecodeRaw(z)), KlToStandardNormal(mean, logVar));
    }

    /// <summary>−ELBO per row (an upper bound on −log p(x)), averaged over <paramref name="samples"/> posterior draws.</summary>
    public Tensor NegativeElbo(Tensor x, int samples = 1, Generator? generator = null)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one sample is needed.");
        var (mean, logVar) = EncodeDistribution(x);
        var kl = KlToStandardNormal(mean, logVar);
        Tensor total = zeros_like(kl);
        for (int s = 0; s < samples; s++)
            total = total + ReconstructionNll(x, DecodeRaw(Reparameterize(mean, logVar, generator)));
        return total / samples + kl;
    }

    /// <summary>
    /// Importance-weighted estimate of log p(x) per row with <paramref name="k"/> samples from q(z|x) (the IWAE bound):
    /// log (1/k) Σ p(x|zᵢ) p(zᵢ) / q(zᵢ|x). It equals the ELBO in expectation at k = 1 and tightens as k grows.
    /// </summary>
    public Tensor ImportanceWeightedLogLikelihood(Tensor x, int k, Generator? generator = null)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "At least one importance sample is needed.");
        var (mean, logVar) = EncodeDistribution(x);
        var logWeights = new List<Tensor>(k);
        for (int i = 0; i < k; i++)
        {
            var eps = randn(mean.shape, dtype: mean.dtype, device: mean.device, generator: generator);
            var z = mean + (0.5 * logVar).exp() * eps;
            var logPxz = -ReconstructionNll(x, DecodeRaw(z));
            var logPz = -0.5 * (z.square() + Math.Log(2 * Math.PI)).sum(-1);
            var logQz = -0.5 * (eps.square() + logVar + Math.Log(2 * Math.PI)).sum(-1);
            logWeights.Add(logPxz + logPz - logQz);
        }
        return stack(logWeights, 0).logsumexp(0) - Math.Log(k);
    }

    private Device encoderDevice => parameters().First().device;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) { encoder.Dispose(); decoder.Dispose(); log_scale?.Dispose(); }
        base.Dispose(disposing);
    }
}
