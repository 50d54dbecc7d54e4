using GenModels.Torch.Autoencoders;
using GenModels.Torch.Vae;

namespace GenModels.Torch.Networks;

/// <summary>
/// The one-row, managed form of an MLP autoencoder or VAE (<see cref="RowMlp"/> copies of its encoder and decoder):
/// the deterministic code (a VAE's posterior mean and log-variance) and the decoder's mean, for single-row scoring.
/// </summary>
public sealed class RowReconstructionModel
{
    private readonly RowMlp encoder;
    private readonly RowMlp decoder;
    private readonly bool bernoulli;

    private RowReconstructionModel(RowMlp encoder, RowMlp decoder, int latentDimension, bool isVariational, bool bernoulli)
    {
        this.encoder = encoder;
        this.decoder = decoder;
        this.bernoulli = bernoulli;
        LatentDimension = latentDimension;
        IsVariational = isVariational;
    }

    /// <summary>The managed copy of <paramref name="model"/> when both of its networks are MLPs; null otherwise (e.g. convolutional).</summary>
    public static RowReconstructionModel? TryCreate(IReconstructionModel model)
    {
        var (encoderNetwork, decoderNetwork, variational, likelihood) = model switch
        {
            VariationalAutoencoder vae => (vae.EncoderNetwork, vae.DecoderNetwork, true, vae.Options.Likelihood),
            Autoencoder ae => (ae.EncoderNetwork, ae.DecoderNetwork, false, ae.Options.Likelihood),
            _ => default,
        };
        if (encoderNetwork is null || decoderNetwork is null) return null;
        var encoder = RowMlp.From(encoderNetwork);
        var decoder = RowMlp.From(decoderNetwork);
        return encoder is null || decoder is null ? null
            : new RowReconstructionModel(encoder, decoder, model.LatentDimension, variational, likelihood == ReconstructionLikelihood.Bernoulli);
    }

    /// <summary>Length of each input row.</summary>
    public int InputDimension => encoder.InputSize;
    /// <summary>Length of the code.</summary>
    public int LatentDimension { get; }
    /// <summary>True for a VAE (the encoder also gives a log-variance).</summary>
    public bool IsVariational { get; }

    /// <summary>
    /// The deterministic code of <paramref name="x"/> into <paramref name="mean"/>; for a VAE also the log-variance into
    /// <paramref name="logVariance"/> (clamped to [−30, 20] as in <see cref="VariationalAutoencoder.EncodeDistribution"/>;
    /// pass an empty span to skip it).
    /// </summary>
    public void Encode(ReadOnlySpan<float> x, Span<float> mean, Span<float> logVariance)
    {
        if (!IsVariational)
        {
            encoder.Forward(x, mean);
            return;
        }
        Span<float> both = stackalloc float[2 * LatentDimension];
        encoder.Forward(x, both);
        both[..LatentDimension].CopyTo(mean);
        if (logVariance.IsEmpty) return;
        for (int i = 0; i < LatentDimension; i++) logVariance[i] = Math.Clamp(both[LatentDimension + i], -30f, 20f);
    }

    /// <summary>The decoder's mean in input space for code <paramref name="z"/> (sigmoid of the logits for a Bernoulli decoder).</summary>
    public void Decode(ReadOnlySpan<float> z, Span<float> output)
    {
        decoder.Forward(z, output);
        if (!bernoulli) return;
        for (int i = 0; i < output.Length; i++) output[i] = 1 / (1 + MathF.Exp(-output[i]));
    }
}
