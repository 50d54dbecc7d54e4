using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.Torch;
using GenModels.Torch.Autoencoders;
using GenModels.Torch.Training;
using GenModels.Torch.Vae;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace GenModels.MLNet;

/// <summary>The steps every estimator shares: schema-shape checks, reading and checking the data, seeding, logging progress.</summary>
internal static class EstimatorFitting
{
    /// <summary>Checks that the input column is a known-size Single vector and adds <paramref name="added"/>.</summary>
    public static SchemaShape OutputShape(SchemaShape inputSchema, string inputColumnName, IEnumerable<SchemaShape.Column> added)
    {
        if (!inputSchema.TryFindColumn(inputColumnName, out var column))
            throw Errors.MissingColumn(nameof(inputSchema), "input", inputColumnName);
        bool image = column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is Microsoft.ML.Transforms.Image.ImageDataViewType;
        if (!image && (column.Kind != SchemaShape.Column.VectorKind.Vector || !column.ItemType.Equals(NumberDataViewType.Single)))
            throw Errors.SchemaMismatch(nameof(inputSchema), "input", inputColumnName, "a known-size vector of Single or an image", SchemaShapes.Describe(column));
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var c in added) columns[c.Name] = c;
        return new SchemaShape(columns.Values);
    }

    /// <summary>
    /// The shape check of a generator's estimator: the feature column is a known-size Single vector and the optional label
    /// column a text or key scalar. As a transform a generator maps labels (and noise) to the feature column, so it adds none.
    /// </summary>
    public static SchemaShape GeneratorOutputShape(SchemaShape inputSchema, string featureColumnName, string? labelColumnName)
    {
        var shape = OutputShape(inputSchema, featureColumnName, []);
        if (labelColumnName is { } label)
        {
            if (!inputSchema.TryFindColumn(label, out var column)) throw Errors.MissingColumn(nameof(inputSchema), "label", label);
            bool usable = column.Kind == SchemaShape.Column.VectorKind.Scalar && (column.IsKey || column.ItemType is TextDataViewType);
            if (!usable) throw Errors.SchemaMismatch(nameof(inputSchema), "label", label, "Text or Key", SchemaShapes.Describe(column));
        }
        return shape;
    }

    /// <summary>
    /// Shape of the columns an encoder adds: latent vectors with slot names, reconstruction (an image column when the input
    /// is one, see <see cref="ReconstructionRole"/>), error.
    /// </summary>
    public static IEnumerable<SchemaShape.Column> AddedColumns(SchemaShape inputSchema, ReconstructionEstimatorOptions options, IEnumerable<string?> latentColumns)
    {
        foreach (var name in latentColumns.Where(n => n is not null)) yield return SchemaShapes.SingleVector(name!, withSlotNames: true);
        if (options.ReconstructionColumnName is { } r)
            yield return inputSchema.TryFindColumn(options.InputColumnName, out var input) && input.ItemType is Microsoft.ML.Transforms.Image.ImageDataViewType
                ? SchemaShapes.Renamed(input, r)
                : SchemaShapes.SingleVector(r, withSlotNames: false);
        if (options.ReconstructionErrorColumnName is { } e) yield return SchemaShapes.SingleScalar(e);
    }

    /// <summary>
    /// The reconstruction column's role: an image of the input's size when the input column is an <c>MLImage</c> column
    /// (so the reconstructions feed ImageAnalytics transforms and <c>MLImage.Save</c> like the input), else a vector.
    /// </summary>
    public static NetworkOutputRole ReconstructionRole(DataViewSchema schema, string inputColumnName) =>
        schema[inputColumnName].Type is Microsoft.ML.Transforms.Image.ImageDataViewType ? NetworkOutputRole.ReconstructionImage : NetworkOutputRole.Reconstruction;

    /// <summary>What an estimator needs before training: the checked data as a tensor and its description.</summary>
    public sealed class PreparedData : IDisposable
    {
        public required Tensor Rows { get; init; }
        public required int Dimension { get; init; }
        /// <summary>The column's shape: a vector's dimensions, or C, H, W for an image column.</summary>
        public required int[] Shape { get; init; }
        public required string[]? SlotNames { get; init; }
        public required int Seed { get; init; }
        public void Dispose() => Rows.Dispose();
    }

    /// <summary>
    /// Checks the real schema and the latent size, then reads and checks every training row (with the
    /// <paramref name="extraColumns"/>, when given, appended to each row).
    /// </summary>
    public static PreparedData Prepare(IHostEnvironment env, string component, IDataView input, NetworkTrainingOptions options,
        TrainingData.ExtraColumns? extraColumns = null)
    {
        var shape = TrainingData.Shape(input.Schema, options.TrainingColumnName);
        int dimension = shape.Aggregate(1, (a, d) => a * d);
        if (options.LatentDimension > dimension)
            throw new ArgumentOutOfRangeException(nameof(options.LatentDimension), options.LatentDimension,
                $"The latent dimension ({options.LatentDimension}) must not exceed the length of input column '{options.TrainingColumnName}' ({dimension}).");
        options.ResolveArchitecture(shape); // a wrong architecture fails before the rows are read
        return Prepare(env, component, input, options, shape, extraColumns);
    }

    /// <summary>
    /// Reads and checks every training row of the (already checked) vector column; <paramref name="extraColumns"/>, when
    /// given, appends columns read from the same cursor (such as a class index) to each row.
    /// </summary>
    public static PreparedData Prepare(IHostEnvironment env, string component, IDataView input, TrainingRunOptions options, int[] shape,
        TrainingData.ExtraColumns? extraColumns)
    {
        int dimension = shape.Aggregate(1, (a, d) => a * d);
        GenModels.Torch.TorchRuntime.EnsureLoaded(); // the first torch use of a Fit: a clear message if libtorch cannot load
        string columnName = options.TrainingColumnName;
        int seed = options.Seed ?? MLNetInternals.SeedFrom(env, component);
        var (values, rows) = TrainingData.ReadVectors(input, columnName, dimension, options.CancellationToken, extraColumns);
        // from_array wraps the managed array without copying; clone so the tensor owns its memory.
        using var view = TorchSharp.torch.from_array(values).view(-1, dimension + (extraColumns?.Width ?? 0));
        return new PreparedData
        {
            Rows = view.narrow(0, 0, rows).clone(),
            Dimension = dimension,
            Shape = shape,
            SlotNames = TrainingData.SlotNames(input.Schema, columnName),
            Seed = seed,
        };
    }

    /// <summary>What a generator estimator trains on: the rows (with a last column of class indices when conditional), the column's shape, its classes, and whether it is an image column.</summary>
    public sealed record GeneratorData(PreparedData Data, ClassLabels? Labels, bool IsImage) : IDisposable
    {
        public int Dimension => Data.Dimension;
        public int[] Shape => Data.Shape;
        public void Dispose() => Data.Dispose();
    }

    /// <summary>The steps the GAN and the diffusion model share before training: the column's shape, the rows, the classes.</summary>
    public static GeneratorData PrepareGenerator(IHostEnvironment env, string component, IDataView input, TrainingRunOptions options, string? labelColumnName)
    {
        var shape = TrainingData.Shape(input.Schema, options.TrainingColumnName);
        int dimension = shape.Aggregate(1, (a, d) => a * d);
        var classes = labelColumnName is null ? null : new ClassCollector(input.Schema, labelColumnName);
        var data = Prepare(env, component, input, options, shape, classes?.AsExtraColumn());
        try
        {
            return new GeneratorData(data, classes?.Finish(data.Rows, dimension),
                input.Schema[options.TrainingColumnName].Type is Microsoft.ML.Transforms.Image.ImageDataViewType);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="train"/> with progress going to both the user's reporter and <c>MLContext.Log</c>, then logs the
    /// epochs and batch size used (derived or set) and every warning of the training result.
    /// </summary>
    public static (TModel Model, TrainingResult Result) Train<TModel>(IHostEnvironment env, string component, TrainingRunOptions options, int seed, int rows,
        Func<TrainingOptions, (TModel Model, TrainingResult Result)> train, string? network = null)
    {
        using var channel = MLNetInternals.StartChannel(env, component);
        channel.Info($"Training {component} on {rows} rows (seed {seed}){(network is null ? "" : ", " + network)}.");
        var training = options.ToTrainingOptions(seed);
        training.Progress = new ChannelProgress(channel, options.Progress);
        (TModel Model, TrainingResult Result) trained;
        using (TorchThreads.Use(options.NumberOfThreads)) trained = train(training);
        var result = trained.Result;
        channel.Info($"{component} training finished: {result.Budget}, {result.Steps} optimiser steps, {result.Elapsed.TotalSeconds:F1} s.");
        foreach (var warning in result.Warnings) channel.Warning($"{component}: {warning}");
        return trained;
    }

    /// <summary>Trains a VAE on the prepared rows with the shared options.</summary>
    public static (VariationalAutoencoder Model, TrainingResult Result) FitVae(IHostEnvironment env, PreparedData data, NetworkTrainingOptions options, double beta,
        KnownAnomalies? knownAnomalies = null)
    {
        var network = options.ToVaeOptions(data.Shape, beta);
        return Train(env, "VAE", options, data.Seed, (int)data.Rows.shape[0],
            training => VaeTraining.Fit(data.Rows, network, training, knownAnomalies), Describe(network));
    }

    /// <summary>Trains an autoencoder on the prepared rows with the shared options.</summary>
    public static (Autoencoder Model, TrainingResult Result) FitAutoencoder(IHostEnvironment env, PreparedData data, NetworkTrainingOptions options,
        KnownAnomalies? knownAnomalies = null, double? inputNoise = 0)
    {
        var network = options.ToAutoencoderOptions(data.Shape);
        return Train(env, "Autoencoder", options, data.Seed, (int)data.Rows.shape[0],
            training => AutoencoderTraining.Fit(data.Rows, network, training, knownAnomalies, inputNoise), Describe(network));
    }

    /// <summary>The networks chosen, for the log: "convolutional networks on 3×32×32 images (…)" or "MLP networks (…)".</summary>
    private static string Describe(GenModels.Torch.Networks.ReconstructionNetworkOptions o) =>
        o.Architecture == GenModels.Torch.Networks.NetworkArchitecture.Convolutional
            ? $"convolutional networks on {string.Join("×", o.ImageShape!)} images ({o.ConvolutionChannels} and {2 * o.ConvolutionChannels} channels, dense [{string.Join(", ", o.ResolvedHiddenSizes)}])"
            : $"MLP networks (hidden [{string.Join(", ", o.ResolvedHiddenSizes)}])";

    private sealed class ChannelProgress(IChannel channel, IProgress<TrainingProgress>? user) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.IsEpochEnd) channel.Info(value.ToString());
            user?.Report(value);
        }
    }
}
