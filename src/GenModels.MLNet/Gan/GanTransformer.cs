using GenModels.MLNet.Data;
using GenModels.MLNet.Gan;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Gan;
using GenModels.Torch.Serialization;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(GanTransformer), null, typeof(SignatureLoadModel), "GAN Generator Transformer", GanTransformer.LoaderSignature)]

namespace GenModels.MLNet.Gan;

/// <summary>
/// A trained GAN generator inside ML.NET. <see cref="Generate"/> is a lazy, batched data source of synthetic rows with the
/// training column's name, type, size and slot names (plus the label column for a conditional GAN). As a transform it
/// turns a column of requested labels (and an optional noise column) into generated rows, for augmentation. Saved and
/// loaded with <c>mlContext.Model.Save/Load</c>.
/// </summary>
public sealed class GanTransformer : GeneratorTransformerBase
{
    internal const string LoaderSignature = "GenModelsGanGenerator";
    private const string NetworkKind = "GenerativeAdversarialNetwork";

    internal GanTransformer(GenerativeAdversarialNetwork network, string featureColumnName, int[] featureDimensions, string[]? slotNames,
        ClassLabels? labels, string noiseColumnName, int batchSize, int noiseSeed, bool featureIsImage, TrainingResult? training)
        : base(network, featureColumnName, featureDimensions, slotNames, labels, noiseColumnName, batchSize, noiseSeed, featureIsImage)
    {
        Training = training;
    }

    /// <summary>The trained networks (GenModels.Torch); generation uses the weight-averaged generator. Throws <see cref="ObjectDisposedException"/> after <see cref="BatchedTransformerBase.Dispose"/>.</summary>
    public GenerativeAdversarialNetwork Model => (GenerativeAdversarialNetwork)NetworkObject;
    /// <summary>Length of the generator's noise input.</summary>
    public override int NoiseDimension => Model.Options.NoiseDimension;
    /// <summary>Loss and discriminator-accuracy history of the training run; null for a loaded model.</summary>
    public TrainingResult? Training { get; }

    /// <summary>
    /// A lazy data source of <paramref name="rowCount"/> generated rows, produced in batches while it is read. The same
    /// seed gives the same rows. A conditional GAN generates <paramref name="label"/> only, or, when it is null, every class
    /// in turn (row i has class i mod classes).
    /// </summary>
    public IDataView Generate(long rowCount, int seed = 0, string? label = null) => GenerateWith(rowCount, seed, label, GenerateRows);

    private protected override Tensor DrawNoise(long count, Generator generator) => Model.SampleNoise(count, generator);

    private protected override Tensor GenerateRows(Tensor z, Tensor? classes, Generator noise) => Model.Generate(z, classes);

    private protected override void SaveModel(ModelSaveContext ctx) => SaveWith(ctx, SavedFormat, NetworkKind, Model.Options, Model);

    // Format 3: the network options may pack the discriminator's rows (GanOptions.Pac), which shapes its first layer; a
    // release that predates packing would ignore the setting and fail on the weights, so it is told the format is newer.
    // Formats 1 and 2 have no packing and load with Pac = 1, the options' default.
    private const uint Version3 = 0x00010003;
    private static readonly ModelFormat SavedFormat = new("GMGANGEN", LoaderSignature, typeof(GanTransformer)) { Current = Version3 };

    // Called by ML.NET's model loader (SignatureLoadModel). The GAN adds no settings to the shared header.
    private static GanTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, SavedFormat, (r, network, format) =>
        {
            var header = ReadHeader(r, format);
            var gan = ModelSerializer.Load<GanOptions, GenerativeAdversarialNetwork>(new MemoryStream(network), NetworkKind, o => new GenerativeAdversarialNetwork(o));
            return LoadWith(header, gan, gan.Options.DataDimension, gan.Options.ClassCount, g =>
            {
                if (g.Options.ImageShape is { } shape && !shape.SequenceEqual(header.Dimensions))
                    throw new InvalidDataException($"The saved GAN is corrupt: its network draws {string.Join("×", shape)} images but its header says {string.Join("×", header.Dimensions)}.");
                return new GanTransformer(g, header.FeatureColumnName, header.Dimensions, header.SlotNames, header.Labels, header.NoiseColumnName,
                    header.BatchSize, header.NoiseSeed, header.FeatureIsImage, null);
            });
        });
}
