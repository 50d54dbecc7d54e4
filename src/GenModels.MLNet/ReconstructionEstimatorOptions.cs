using GenModels.Torch.Networks;
using GenModels.Torch.Autoencoders;
using GenModels.Torch.Training;
using GenModels.Torch.Vae;

namespace GenModels.MLNet;

/// <summary>Training options shared by every estimator of the library: epochs, batches, seed, progress, cancellation.</summary>
public abstract class TrainingRunOptions
{
    /// <summary>
    /// Default values of the options. Epochs, batch size and hidden widths have no fixed default: left unset (null) they are
    /// derived from the data (see <see cref="TrainingBudget"/> and <see cref="ReconstructionNetworkOptions.DefaultHiddenSizes"/>).
    /// </summary>
    public static class Defaults
    {
        /// <summary>Length of the code.</summary>
        public const int LatentDimension = 2;
        /// <summary>Optimiser steps an encoder aims at when <see cref="Epochs"/> is unset (the detectors and the GAN set their own).</summary>
        public const int TargetSteps = TrainingBudget.ReconstructionTargetSteps;
        /// <summary>Adam's learning rate.</summary>
        public const double LearningRate = TrainingOptions.DefaultLearningRate;
        /// <summary>Rows per network call when transforming.</summary>
        public const int TransformBatchSize = 256;
        /// <summary>Weight of the KL term (1 = standard VAE).</summary>
        public const double Beta = VaeOptions.DefaultBeta;
    }

    /// <summary>
    /// Passes over the training data. Null (the default) derives them from the row count: enough epochs for about
    /// <see cref="TargetSteps"/> optimiser steps, between 1 and 1,000 (for an encoder's 2,000 steps: about 280 epochs of
    /// 100 rows, 3 of 100,000 rows, 1 of a million). The value used is logged and reported in the transformer's
    /// <c>Training.Budget</c>.
    /// </summary>
    public int? Epochs;
    /// <summary>
    /// Rows per optimisation step. Null (the default) uses a tenth of the rows, between 16 and 128, so that small tables
    /// get several steps per epoch.
    /// </summary>
    public int? BatchSize;
    /// <summary>
    /// Optimiser steps the derived epoch count aims at when <see cref="Epochs"/> is null: 2,000 for the encoders
    /// (<see cref="TrainingBudget.ReconstructionTargetSteps"/>), 500 for the anomaly detectors
    /// (<see cref="TrainingBudget.AnomalyDetectionTargetSteps"/>), 10,000 for the GAN (<see cref="TrainingBudget.GanTargetSteps"/>).
    /// </summary>
    public int TargetSteps = Defaults.TargetSteps;
    /// <summary>Adam's learning rate.</summary>
    public double LearningRate = Defaults.LearningRate;
    /// <summary>Seed of weight initialisation, shuffling and sampling. Null draws one from the <c>MLContext</c>'s seed.</summary>
    public int? Seed;
    /// <summary>
    /// Fraction of training rows held out to watch for over-fitting (0 = none). Null (the default) is 0, except for the
    /// encoders (<c>VaeEncode</c>, <c>AutoencoderEncode</c>) on a small table with derived epochs, which hold out 20 % and
    /// stop early (see <see cref="TrainingBudget.ResolveEarlyStopping"/>). Setting either this or
    /// <see cref="EarlyStoppingPatience"/> turns that rule off.
    /// </summary>
    public double? ValidationFraction;
    /// <summary>
    /// Epochs without a better validation loss before training stops and keeps the best weights (0 = off). Null (the
    /// default) is 0, or a tenth of the derived epochs where the encoders derive early stopping (see <see cref="ValidationFraction"/>).
    /// </summary>
    public int? EarlyStoppingPatience;
    /// <summary>Rows per network call when transforming (1 to 65,536).</summary>
    public int TransformBatchSize = Defaults.TransformBatchSize;
    /// <summary>
    /// Threads libtorch uses while this estimator trains (1 to 1,024). Null uses <c>GenModels.Torch.TorchThreads.Count</c>,
    /// by default every core. On a machine shared with other CPU-bound work, fewer threads train faster: measured on 2 cores
    /// with one competing process, one thread trained 1.7 times faster than two (idle, two were 1.6 times faster).
    /// Transforming and generating use <c>TorchThreads.Count</c>.
    /// </summary>
    public int? NumberOfThreads;
    /// <summary>Receives training progress (epochs and losses); the same lines also go to <c>MLContext.Log</c>.</summary>
    public IProgress<TrainingProgress>? Progress;
    /// <summary>Cancels training between batches.</summary>
    public CancellationToken CancellationToken;

    /// <summary>Checks the settings that do not depend on the data; throws naming the first invalid one.</summary>
    internal virtual void Validate()
    {
        Limits.CheckTransformBatchSize(TransformBatchSize, nameof(TransformBatchSize));
        if (NumberOfThreads is { } threads && (threads < 1 || threads > 1024))
            throw new ArgumentOutOfRangeException(nameof(NumberOfThreads), threads, "Between 1 and 1,024 threads, or null for the library's default.");
        ToTrainingOptions(0).Validate();
        var names = OutputNames().Where(n => n is not null).ToArray();
        if (names.Distinct().Count() != names.Length)
            throw new ArgumentException($"Output column names must differ from each other: {string.Join(", ", names)}.", "OutputColumnName");
    }

    /// <summary>
    /// The network family for a training column of shape <paramref name="shape"/>: <paramref name="requested"/>, or when
    /// null convolutional for C×H×W images with 1, 3 or 4 channels and H and W divisible by 4, and MLP otherwise. Throws naming the column when
    /// convolutional networks are asked for a column they cannot take.
    /// </summary>
    private protected NetworkArchitecture ResolveArchitecture(NetworkArchitecture? requested, int[] shape)
    {
        bool convolutional = shape.Length == 3 && (shape[0] is 1 or 3 or 4) && shape[1] % 4 == 0 && shape[2] % 4 == 0;
        if (requested == NetworkArchitecture.Convolutional && !convolutional)
            throw new ArgumentOutOfRangeException("Architecture", requested,
                $"Convolutional networks need column '{TrainingColumnName}' to hold C×H×W images with 1, 3 or 4 channels and H and W divisible by 4 " +
                $"(an image column, or Vector<Single, C, H, W>); it holds {string.Join("×", shape)} values. " +
                "Resize the images (mlContext.Transforms.ResizeImages) or set Architecture = Mlp.");
        return requested ?? (convolutional ? NetworkArchitecture.Convolutional : NetworkArchitecture.Mlp);
    }

    /// <summary>Whether a small table with derived epochs holds out rows and stops early (see <see cref="TrainingBudget.ResolveEarlyStopping"/>).</summary>
    private protected virtual bool DeriveEarlyStopping => false;

    /// <summary>Whether training warns when the loss is still falling fast at the end (see <see cref="TrainingOptions.WarnIfUnconverged"/>).</summary>
    private protected virtual bool WarnIfUnconverged => true;

    /// <summary>The vector column the network trains on.</summary>
    internal abstract string TrainingColumnName { get; }

    /// <summary>
    /// A copy for an estimator to keep (arrays copied too), so that changing the caller's object after creating the
    /// estimator does not change what <c>Fit</c> trains. The progress reporter and cancellation token are shared, not copied.
    /// </summary>
    internal TrainingRunOptions Copy()
    {
        var copy = (TrainingRunOptions)MemberwiseClone();
        copy.CopyArrays();
        return copy;
    }

    /// <summary>Replaces each array field with a copy of itself.</summary>
    private protected virtual void CopyArrays() { }

    /// <summary>The names of the requested output columns (null entries for columns not requested).</summary>
    private protected abstract IEnumerable<string?> OutputNames();

    internal TrainingOptions ToTrainingOptions(int seed) => new()
    {
        Epochs = Epochs,
        BatchSize = BatchSize,
        TargetSteps = TargetSteps,
        WarnIfUnconverged = WarnIfUnconverged,
        DeriveEarlyStopping = DeriveEarlyStopping,
        LearningRate = LearningRate,
        Seed = seed,
        ValidationFraction = ValidationFraction,
        EarlyStoppingPatience = EarlyStoppingPatience,
        Progress = Progress,
        CancellationToken = CancellationToken,
    };

    private protected static void CheckName(string? name, string parameter)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A column name is required.", parameter);
    }
}

/// <summary>Typed copies of options for the estimators to keep.</summary>
internal static class OptionsSnapshot
{
    /// <summary>A copy of <paramref name="options"/> of the same type (see <see cref="TrainingRunOptions.Copy"/>).</summary>
    public static T Snapshot<T>(this T options) where T : TrainingRunOptions => (T)options.Copy();
}

/// <summary>Network and training options shared by every estimator that trains an encoder/decoder network on one vector column.</summary>
public abstract class NetworkTrainingOptions : TrainingRunOptions
{
    /// <summary>Length of the code; between 1 and the input length.</summary>
    public int LatentDimension = Defaults.LatentDimension;
    /// <summary>
    /// Encoder hidden widths, input side first; the decoder mirrors them. Null (the default) derives them from the input
    /// length D: [h, h/2] with h = 2D rounded up to a power of two, between 16 and 128 ([32, 16] for 9 columns, [128, 64]
    /// for 60 columns or an image).
    /// </summary>
    public int[]? HiddenSizes;
    /// <summary>Non-linearity between hidden layers.</summary>
    public Activation Activation = Activation.ReLU;
    /// <summary>How the decoder models the input: Gaussian for real values, Bernoulli for values in [0, 1] such as pixels.</summary>
    public ReconstructionLikelihood Likelihood = ReconstructionLikelihood.Gaussian;
    /// <summary>
    /// Network family. Null (the default) picks <see cref="NetworkArchitecture.Convolutional"/> when the training column
    /// holds images of 1, 3 or 4 channels whose height and width are divisible by 4 — a sized <c>MLImage</c> column (read as 3×H×W) or a vector
    /// column with three dimensions C×H×W, channel-major, such as <c>ExtractPixels</c> gives — and
    /// <see cref="NetworkArchitecture.Mlp"/> otherwise. <see cref="NetworkArchitecture.Mlp"/> always trains MLPs on the
    /// flattened values; <see cref="NetworkArchitecture.Convolutional"/> on another column fails at <c>Fit</c>, naming the
    /// column. The convolutional encoder halves the image twice (4×4 convolutions of stride 2 with
    /// <see cref="ConvolutionChannels"/> and twice as many channels), then applies the dense layers of
    /// <see cref="HiddenSizes"/>; the decoder mirrors it with transposed convolutions. An interleaved H×W×C column
    /// (<c>ExtractPixels(interleavePixelColors: true)</c>) is not channel-major: use MLP there.
    /// </summary>
    public NetworkArchitecture? Architecture;
    /// <summary>Channels of the first convolution of the convolutional architecture (the second has twice as many).</summary>
    public int ConvolutionChannels = ReconstructionNetworkOptions.DefaultConvolutionChannels;

    internal override void Validate()
    {
        if (ConvolutionChannels <= 0)
            throw new ArgumentOutOfRangeException(nameof(ConvolutionChannels), ConvolutionChannels, "The convolution channel count must be positive.");
        if (LatentDimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(LatentDimension), LatentDimension, "The latent dimension must be positive.");
        if (HiddenSizes is not null && HiddenSizes.Any(h => h <= 0))
            throw new ArgumentOutOfRangeException(nameof(HiddenSizes), "Hidden layer sizes must be positive.");
        base.Validate();
    }

    private protected override void CopyArrays() => HiddenSizes = HiddenSizes?.ToArray()!;

    /// <summary>
    /// The architecture used for a training column of shape <paramref name="shape"/> (see <see cref="Architecture"/>);
    /// throws naming the column when convolutional networks are asked for a column that is not a C×H×W image with H and W
    /// divisible by 4.
    /// </summary>
    internal NetworkArchitecture ResolveArchitecture(int[] shape) => ResolveArchitecture(Architecture, shape);

    internal VaeOptions ToVaeOptions(int[] shape, double beta) => Fill(new VaeOptions { Beta = beta }, shape);

    internal AutoencoderOptions ToAutoencoderOptions(int[] shape) => Fill(new AutoencoderOptions(), shape);

    private T Fill<T>(T o, int[] shape) where T : ReconstructionNetworkOptions
    {
        o.InputDimension = shape.Aggregate(1, (a, d) => a * d);
        o.LatentDimension = LatentDimension;
        o.HiddenSizes = HiddenSizes?.ToArray();
        o.Activation = Activation;
        o.Likelihood = Likelihood;
        o.Architecture = ResolveArchitecture(shape);
        o.ImageShape = shape.Length == 3 ? shape.ToArray() : null;
        o.ConvolutionChannels = ConvolutionChannels;
        return o;
    }

}

/// <summary>Options shared by the transforms that encode one vector column (<c>VaeEncode</c>, <c>AutoencoderEncode</c>).</summary>
public abstract class ReconstructionEstimatorOptions : NetworkTrainingOptions
{
    /// <summary>
    /// The input column: a known-size vector of Single, ideally normalised (for example with NormalizeMinMax), or a sized
    /// <c>MLImage</c> column (see <see cref="NetworkTrainingOptions.Architecture"/> for the networks images get).
    /// </summary>
    public string InputColumnName = "Features";
    /// <summary>The code column to produce: a vector of Single of length <see cref="NetworkTrainingOptions.LatentDimension"/>.</summary>
    public string OutputColumnName = "Latent";
    /// <summary>
    /// If set, a column with the reconstruction of the input: a vector of the same length and slot names, or, when the
    /// input is an <c>MLImage</c> column, an image column of the same size (values clamped to [0, 1] become pixels).
    /// </summary>
    public string? ReconstructionColumnName;
    /// <summary>If set, a Single column with each row's mean squared reconstruction error.</summary>
    public string? ReconstructionErrorColumnName;

    internal override string TrainingColumnName => InputColumnName;

    // An encoder's code should describe the table's structure, not each row's noise: small tables stop early.
    private protected override bool DeriveEarlyStopping => true;

    internal override void Validate()
    {
        CheckName(InputColumnName, nameof(InputColumnName));
        CheckName(OutputColumnName, nameof(OutputColumnName));
        base.Validate();
    }

    private protected override IEnumerable<string?> OutputNames() => [OutputColumnName, ReconstructionColumnName, ReconstructionErrorColumnName];
}
