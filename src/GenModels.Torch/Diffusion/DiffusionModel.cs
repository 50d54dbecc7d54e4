using GenModels.Torch.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Diffusion;

/// <summary>
/// The noise predictor: an MLP on the noisy row concatenated with the embedding of its step (sinusoidal, then a small MLP)
/// plus, for a conditional model, the embedding of its class; for images (<see cref="DiffusionOptions.ImageShape"/> set) a
/// <see cref="DiffusionUNet"/> that receives the same embedding in every residual block. Class index <c>ClassCount</c> is the "no class" token that
/// classifier-free guidance uses.
/// </summary>
public sealed class Denoiser : nn.Module
{
    private readonly nn.Module<Tensor, Tensor> time_mlp;
    private readonly nn.Module<Tensor, Tensor>? class_embedding;
    private readonly Mlp? network;
    private readonly DiffusionUNet? unet;
    private readonly int embeddingDimension;
    private readonly Tensor? input_frequencies;

    /// <summary>Builds the denoiser from <paramref name="options"/>.</summary>
    public Denoiser(string name, DiffusionOptions options) : base(name)
    {
        embeddingDimension = options.EmbeddingDimension;
        time_mlp = nn.Sequential(nn.Linear(embeddingDimension, embeddingDimension), nn.SiLU(), nn.Linear(embeddingDimension, embeddingDimension));
        if (options.IsConditional) class_embedding = nn.Embedding(options.ClassCount + 1, embeddingDimension);
        if (options.ImageShape is not null)
        {
            unet = new DiffusionUNet("unet", options);
            RegisterComponents();
            return;
        }
        int inputFeatures = options.DataDimension;
        if (options.InputFrequencies > 0)
        {
            // Fourier features of each coordinate at geometric frequencies 1 … 2^(F−1): an MLP on raw coordinates is biased
            // towards smooth functions and cannot resolve tight modes in a few dimensions.
            input_frequencies = pow(2.0f, arange(options.InputFrequencies, dtype: ScalarType.Float32));
            inputFeatures += 2 * options.DataDimension * options.InputFrequencies;
        }
        network = new Mlp("network", inputFeatures + embeddingDimension, options.HiddenSizes, options.DataDimension, options.Activation);
        RegisterComponents();
    }

    /// <summary>The prediction for noisy rows <paramref name="x"/> at steps <paramref name="t"/> (int64, [n]) of classes <paramref name="classes"/> (int64, [n]; null when unconditional).</summary>
    public Tensor Predict(Tensor x, Tensor t, Tensor? classes)
    {
        var embedding = time_mlp.forward(TimeEmbedding(t, embeddingDimension));
        if (class_embedding is not null && classes is not null) embedding = embedding + class_embedding.forward(classes);
        if (unet is not null) return unet.forward(x, embedding);
        var features = x;
        if (input_frequencies is not null)
        {
            var angles = (x.unsqueeze(2) * input_frequencies).flatten(1);
            features = cat([x, angles.sin(), angles.cos()], 1);
        }
        return network!.forward(cat([features, embedding], 1));
    }

    /// <summary>Sinusoidal embedding of integer steps (Vaswani et al.): [sin(t·f), cos(t·f)] over geometric frequencies f.</summary>
    public static Tensor TimeEmbedding(Tensor t, int dimension)
    {
        int half = dimension / 2;
        var frequencies = exp(arange(half, dtype: ScalarType.Float32) * (-Math.Log(10_000) / half));
        var angles = t.to_type(ScalarType.Float32).unsqueeze(1) * frequencies.unsqueeze(0);
        return cat([angles.sin(), angles.cos()], 1);
    }
}

/// <summary>
/// A denoising diffusion model (DDPM, Ho et al. 2020) on rows of a fixed length: a <see cref="Denoiser"/>, its exponential
/// moving average used for sampling, and the per-feature mean and scale of the training rows (the model works on
/// standardised rows and returns rows in the data's own units). Samples with DDPM's ancestral sampler or with DDIM
/// (Song et al. 2021), with classifier-free guidance (Ho and Salimans 2022) when conditional.
/// </summary>
public sealed class DiffusionModel : nn.Module
{
    private readonly Denoiser denoiser;
    private readonly Denoiser denoiser_ema;
    private readonly Tensor data_mean;
    private readonly Tensor data_scale;
    private readonly double[] betas;
    private readonly double[] alphaBars;

    /// <summary>Builds the networks from <paramref name="options"/> (validated here); the average starts as a copy.</summary>
    public DiffusionModel(DiffusionOptions options) : base(nameof(DiffusionModel))
    {
        options.Validate();
        Options = options;
        denoiser = new Denoiser("denoiser", options);
        denoiser_ema = new Denoiser("denoiser_ema", options);
        data_mean = zeros(options.DataDimension);
        data_scale = ones(options.DataDimension);
        RegisterComponents();
        WeightAverage.Start(denoiser_ema, denoiser);
        (betas, alphaBars) = Schedule(options.Schedule, options.Steps);
    }

    /// <summary>The options the model was built from.</summary>
    public DiffusionOptions Options { get; }
    /// <summary>The denoiser being trained.</summary>
    public Denoiser Denoiser => denoiser;
    /// <summary>ᾱₜ for t = 0 … T−1: the share of the signal's variance left after t + 1 noising steps.</summary>
    public IReadOnlyList<double> AlphaBars => alphaBars;

    /// <summary>βₜ and ᾱₜ = ∏(1 − βₛ) of the schedule, in double precision.</summary>
    public static (double[] Betas, double[] AlphaBars) Schedule(NoiseSchedule schedule, int steps)
    {
        var betas = new double[steps];
        if (schedule == NoiseSchedule.Linear)
        {
            // Ho et al.'s 1e-4 … 0.02 over 1,000 steps, rescaled so that other step counts noise as much in all.
            double scale = 1000.0 / steps;
            for (int t = 0; t < steps; t++) betas[t] = scale * 1e-4 + (scale * 0.02 - scale * 1e-4) * t / Math.Max(1, steps - 1);
        }
        else
        {
            static double F(double u) => Math.Pow(Math.Cos((u + 0.008) / 1.008 * Math.PI / 2), 2);
            for (int t = 0; t < steps; t++) betas[t] = Math.Min(0.999, 1 - F((t + 1.0) / steps) / F((double)t / steps));
        }
        var alphaBars = new double[steps];
        double product = 1;
        for (int t = 0; t < steps; t++) alphaBars[t] = product *= 1 - betas[t];
        return (betas, alphaBars);
    }

    /// <summary>
    /// Sets the per-feature mean and scale from the training rows [n, D] (scale floored so constant columns stay finite).
    /// Images are standardised per channel instead: a per-pixel scale would blow up the border pixels that are almost
    /// always background.
    /// </summary>
    public void FitStandardisation(Tensor rows)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (Options.ImageShape is { } shape)
        {
            var channels = rows.reshape(rows.shape[0], shape[0], -1);
            var mean = channels.mean([0, 2], keepdim: true).expand_as(channels[0..1]).reshape(-1);
            var scale = channels.std([0, 2], unbiased: false, keepdim: true).clamp_min(1e-6).expand_as(channels[0..1]).reshape(-1);
            data_mean.copy_(mean);
            data_scale.copy_(scale);
            return;
        }
        data_mean.copy_(rows.mean([0]));
        data_scale.copy_(rows.std(0, unbiased: false).clamp_min(1e-6));
    }

    /// <summary>Rows in the model's standardised units.</summary>
    public Tensor Standardise(Tensor rows) => (rows - data_mean) / data_scale;

    /// <summary>Moves the averaged weights towards the trained ones: ema ← decay·ema + (1 − decay)·weights.</summary>
    public void UpdateAverage() => WeightAverage.Update(denoiser_ema, denoiser, Options.EmaDecay);

    /// <summary>
    /// The training loss on standardised rows <paramref name="x0"/>: noise them to a random step, predict the noise (or the
    /// velocity) and take the mean squared error. A conditional model's classes are dropped with probability LabelDropout.
    /// </summary>
    public Tensor Loss(Tensor x0, Tensor? classes, Generator generator)
    {
        long n = x0.shape[0];
        var t = randint(0, Options.Steps, [n], dtype: ScalarType.Int64, generator: generator);
        var noise = randn(x0.shape, generator: generator);
        var alphaBar = AlphaBarsAt(t);
        var xt = AddNoise(x0, t, noise);
        if (Options.IsConditional && classes is not null && Options.LabelDropout > 0)
            classes = where(rand([n], generator: generator).lt(Options.LabelDropout), full_like(classes, Options.ClassCount), classes);
        var target = Options.Prediction == DiffusionPrediction.Epsilon ? noise : alphaBar.sqrt() * noise - (1 - alphaBar).sqrt() * x0;
        return nn.functional.mse_loss(denoiser.Predict(xt, t, classes), target);
    }

    /// <summary>
    /// The forward process in closed form: x_t = √ᾱₜ·x₀ + √(1 − ᾱₜ)·ε for each row's step t (int64, [n]) and noise ε,
    /// a draw from q(x_t | x₀) = N(√ᾱₜ·x₀, (1 − ᾱₜ)·I).
    /// </summary>
    public Tensor AddNoise(Tensor x0, Tensor t, Tensor noise)
    {
        var alphaBar = AlphaBarsAt(t);
        return alphaBar.sqrt() * x0 + (1 - alphaBar).sqrt() * noise;
    }

    /// <summary>Standard normal starting noise x_T for <paramref name="count"/> rows.</summary>
    public Tensor SampleNoise(long count, Generator? generator = null) => randn([count, (long)Options.DataDimension], generator: generator);

    /// <summary>
    /// Denoises <paramref name="noise"/> (x_T, [n, D]) into rows in the data's units with the averaged denoiser. A conditional
    /// model takes class indices (int64, [n]); <paramref name="generator"/> draws the fresh noise that DDPM and DDIM with η &gt; 0 add.
    /// </summary>
    public Tensor Sample(Tensor noise, Tensor? classes, SamplingOptions sampling, Generator? generator = null)
    {
        sampling.Validate(Options.Steps);
        if (Options.IsConditional && classes is null) throw new ArgumentNullException(nameof(classes), "A conditional diffusion model needs a class index per row.");
        if (classes is not null && classes.lt(0).logical_or(classes.ge(Options.ClassCount)).any().item<bool>())
            throw new ArgumentOutOfRangeException(nameof(classes), $"Class indices must be in [0, {Options.ClassCount}).");
        using var noGrad = no_grad();
        var steps = Timesteps(sampling);
        var x = noise;
        bool owned = false; // x is the caller's noise until the first step replaces it
        for (int i = 0; i < steps.Length; i++)
        {
            sampling.CancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int t = steps[i], previous = i + 1 < steps.Length ? steps[i + 1] : -1;
            double alphaBar = alphaBars[t], alphaBarPrevious = previous >= 0 ? alphaBars[previous] : 1;
            var (epsilon, x0) = Predict(x, t, classes, sampling.GuidanceScale);
            Tensor next;
            if (sampling.Ancestral)
            {
                // 1. The mean of q(x_{t−1} | x_t, x̂₀); 2. plus the posterior's own noise, except at the last step.
                double beta = betas[t];
                next = Math.Sqrt(alphaBarPrevious) * beta / (1 - alphaBar) * x0 + Math.Sqrt(1 - beta) * (1 - alphaBarPrevious) / (1 - alphaBar) * x;
                if (previous >= 0) next = next + Math.Sqrt(beta * (1 - alphaBarPrevious) / (1 - alphaBar)) * FreshNoise(x, generator);
            }
            else
            {
                // DDIM: move x̂₀ to the previous step's noise level along the predicted ε, with η·σ of fresh noise.
                double sigma = sampling.Eta * Math.Sqrt((1 - alphaBarPrevious) / (1 - alphaBar) * (1 - alphaBar / alphaBarPrevious));
                next = Math.Sqrt(alphaBarPrevious) * x0 + Math.Sqrt(Math.Max(0, 1 - alphaBarPrevious - sigma * sigma)) * epsilon;
                if (sigma > 0) next = next + sigma * FreshNoise(x, generator);
            }
            if (sampling.OnStep is { } onStep)
                onStep(new DenoisingStep(i + 1, steps.Length, t, (int)x.shape[0], ToData(next), ToData(x0)));
            var stepped = next.DetachFromDisposeScope();
            if (owned) x.Dispose(); // each step's result outlives its scope; the one before it is no longer needed
            x = stepped;
            owned = true;
            sampling.Progress?.Report((i + 1, steps.Length));
        }
        var rows = x * data_scale + data_mean;
        if (owned) x.Dispose();
        return rows;
    }

    private float[] ToData(Tensor standardised) => (standardised * data_scale + data_mean).contiguous().data<float>().ToArray();

    /// <summary>The steps visited, last first: all T for DDPM; for DDIM an evenly spaced subsequence of the requested length.</summary>
    public int[] Timesteps(SamplingOptions sampling)
    {
        int count = sampling.Ancestral ? Options.Steps : sampling.Steps ?? Math.Min(50, Options.Steps);
        return Enumerable.Range(0, count).Select(i => (int)Math.Round((double)i * (Options.Steps - 1) / Math.Max(1, count - 1)))
            .Distinct().OrderDescending().ToArray();
    }

    /// <summary>ε and x̂₀ at step <paramref name="t"/>, from the averaged denoiser, with classifier-free guidance when conditional.</summary>
    private (Tensor Epsilon, Tensor X0) Predict(Tensor x, int t, Tensor? classes, double guidance)
    {
        long n = x.shape[0];
        var steps = full([n], t, dtype: ScalarType.Int64);
        Tensor epsilon;
        if (classes is null) epsilon = ToEpsilon(denoiser_ema.Predict(x, steps, null), x, t);
        else if (guidance == 1) epsilon = ToEpsilon(denoiser_ema.Predict(x, steps, classes), x, t);
        else
        {
            var unconditional = full_like(classes, Options.ClassCount);
            if (guidance == 0) epsilon = ToEpsilon(denoiser_ema.Predict(x, steps, unconditional), x, t);
            else
            {
                // One network call for both: the batch doubled, with and without the class.
                var both = denoiser_ema.Predict(cat([x, x]), cat([steps, steps]), cat([classes, unconditional]));
                var conditional = ToEpsilon(both.narrow(0, 0, n), x, t);
                var plain = ToEpsilon(both.narrow(0, n, n), x, t);
                epsilon = plain + guidance * (conditional - plain);
            }
        }
        double alphaBar = alphaBars[t];
        return (epsilon, (x - Math.Sqrt(1 - alphaBar) * epsilon) / Math.Sqrt(alphaBar));
    }

    private Tensor ToEpsilon(Tensor prediction, Tensor x, int t)
    {
        if (Options.Prediction == DiffusionPrediction.Epsilon) return prediction;
        double alphaBar = alphaBars[t];
        return Math.Sqrt(1 - alphaBar) * x + Math.Sqrt(alphaBar) * prediction; // ε from v
    }

    private Tensor AlphaBarsAt(Tensor t)
    {
        using var table = tensor(alphaBars.Select(a => (float)a).ToArray());
        return table.index_select(0, t).unsqueeze(1);
    }

    private static Tensor FreshNoise(Tensor x, Generator? generator) => randn(x.shape, generator: generator);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) { denoiser.Dispose(); denoiser_ema.Dispose(); data_mean.Dispose(); data_scale.Dispose(); }
        base.Dispose(disposing);
    }
}
