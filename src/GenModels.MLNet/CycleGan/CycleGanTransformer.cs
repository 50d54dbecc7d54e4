using GenModels.MLNet.CycleGan;
using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.MLNet.Translation;
using GenModels.Torch.CycleGan;
using GenModels.Torch.Networks;
using GenModels.Torch.Serialization;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(CycleGanTransformer), null, typeof(SignatureLoadModel), "CycleGAN Transformer", CycleGanTransformer.LoaderSignature)]

namespace GenModels.MLNet.CycleGan;

/// <summary>The direction a <see cref="CycleGanTransformer"/> translates in.</summary>
public enum CycleGanDirection
{
    /// <summary>From domain A (the estimator's first domain, or rows whose domain column is false) to domain B.</summary>
    AToB,
    /// <summary>From domain B to domain A.</summary>
    BToA,
}

/// <summary>
/// A trained CycleGAN as an ML.NET transform: adds a column with each row's image translated in <see cref="Direction"/>.
/// It holds both generators, so <see cref="Reverse"/> gives the other direction, and a saved model of either direction
/// can be loaded and reversed. The output is an image column (<c>MLImage</c>, values clamped to [0, 1] before they
/// become pixels) when the model was trained on an image column, else a <c>Vector&lt;Single, C, H, W&gt;</c> column.
/// The input column must have the training images' shape; a flat Single vector of C·H·W values is read in the same
/// channel-major layout. Runs in batches in <see cref="BatchedTransformerBase.Transform"/> and row by row in a
/// <c>PredictionEngine</c>; saved and loaded with <c>mlContext.Model.Save/Load</c>.
/// </summary>
public sealed class CycleGanTransformer : ImageToImageTransformerBase
{
    internal const string LoaderSignature = "GenModelsCycleGan"; // ML.NET allows at most 24 characters
    private const string NetworkKind = "CycleGanGenerators";
    internal CycleGanTransformer(CycleGanGenerators generators, CycleGanDirection direction, string inputColumnName, string outputColumnName,
        bool outputIsImage, int batchSize, TrainingResult? training)
        : base(generators, inputColumnName, ShapeOf(generators), outputColumnName, ShapeOf(generators), outputIsImage, batchSize)
    {
        Direction = direction;
        Training = training;
    }

    private static int[] ShapeOf(CycleGanGenerators generators) => [generators.Options.ImageChannels, generators.Options.Height, generators.Options.Width];

    /// <summary>The direction this transformer translates in.</summary>
    public CycleGanDirection Direction { get; }
    /// <summary>The images' channels, height and width (both domains; 3 channels for an image column).</summary>
    public IReadOnlyList<int> ImageShape => InputShape;
    /// <summary>
    /// Loss history of the training run (the cycle and identity L1 per direction, both generators' adversarial losses and
    /// both discriminators' losses); null for a loaded or reversed model.
    /// </summary>
    public TrainingResult? Training { get; }

    private CycleGanGenerators Generators => (CycleGanGenerators)NetworkObject;

    /// <summary>
    /// A transformer for the other direction (B → A for an A → B model), reading and writing the same columns, with its own
    /// copy of the generators: dispose it on its own.
    /// </summary>
    public CycleGanTransformer Reverse() =>
        new(Deserialize(Serialize(Generators)), Direction == CycleGanDirection.AToB ? CycleGanDirection.BToA : CycleGanDirection.AToB,
            InputColumnName, OutputColumnName, OutputIsImage, BatchSize, null);

    private protected override Tensor Translate(Tensor images) => Generators.Direction(Direction == CycleGanDirection.AToB).forward(images);

    private static byte[] Serialize(CycleGanGenerators generators)
    {
        using var stream = new MemoryStream();
        ModelSerializer.Save(stream, NetworkKind, generators.Options, generators);
        return stream.ToArray();
    }

    private static CycleGanGenerators Deserialize(byte[] bytes)
    {
        var generators = ModelSerializer.Load<ResnetGeneratorOptions, CycleGanGenerators>(new MemoryStream(bytes), NetworkKind, o => new CycleGanGenerators(o));
        generators.eval();
        return generators;
    }

    private static readonly ModelFormat SavedFormat = new("GMCYCGAN", LoaderSignature, typeof(CycleGanTransformer));

    // Header (format 2, one checksummed block, see ModelPersistence):
    //   byte direction (0 = A → B, 1 = B → A); string inputColumn; string outputColumn; 3 × int shape (C, H, W);
    //   bool outputIsImage; int batchSize;
    // then the binary stream "Network": both generators (GenModels.Torch ModelSerializer format, kind "CycleGanGenerators").
    private protected override void SaveModel(ModelSaveContext ctx)
    {
        var network = Serialize(Generators); // everything that can fail happens before the model stream is touched
        ModelPersistence.Save(ctx, SavedFormat, w =>
        {
            w.Write((byte)Direction);
            w.Write(InputColumnName);
            w.Write(OutputColumnName);
            foreach (var d in InputShape) w.Write(d);
            w.Write(OutputIsImage);
            w.Write(BatchSize);
        }, network);
    }

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static CycleGanTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, SavedFormat, (r, network, format) =>
        {
            if (format < ModelFormat.Version2) throw new InvalidDataException("The saved CycleGAN model is corrupt: it claims a format this type never wrote.");
            byte direction = r.ReadByte();
            if (direction > 1) throw new InvalidDataException($"The saved CycleGAN model is corrupt: unknown direction {direction}.");
            string input = r.ReadString();
            string output = r.ReadString();
            var savedShape = Enumerable.Range(0, 3).Select(_ => ModelPersistence.ReadCount(r, "an image dimension", 1, int.MaxValue)).ToArray();
            bool outputIsImage = r.ReadBoolean();
            int batchSize = ModelPersistence.ReadCount(r, "the transform batch size", 1, Limits.MaxTransformBatchSize);
            return LoadOwning(Deserialize(network), generators =>
            {
                var o = generators.Options;
                if (!savedShape.SequenceEqual([o.ImageChannels, o.Height, o.Width]))
                    throw new InvalidDataException($"The saved CycleGAN model is corrupt: its generators map {o.ImageChannels}×{o.Height}×{o.Width} images but its header says {string.Join("×", savedShape)}.");
                return new CycleGanTransformer(generators, (CycleGanDirection)direction, input, output, outputIsImage, batchSize, null);
            });
        });
}
