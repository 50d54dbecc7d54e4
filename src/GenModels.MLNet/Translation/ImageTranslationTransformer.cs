using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.MLNet.Translation;
using GenModels.Torch.Networks;
using GenModels.Torch.Serialization;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(ImageTranslationTransformer), null, typeof(SignatureLoadModel), "Image Translation Transformer", ImageTranslationTransformer.LoaderSignature)]

namespace GenModels.MLNet.Translation;

/// <summary>
/// A trained image-to-image translation model (pix2pix's U-Net generator) as an ML.NET transform: adds a column with each
/// row's input image translated. The output is an image column (<c>MLImage</c>, values clamped to [0, 1] before they
/// become pixels) when the model was trained on an image target, else a <c>Vector&lt;Single, C, H, W&gt;</c> column.
/// The input column must have the training input's shape; a flat Single vector of C·H·W values is read in the same
/// channel-major layout. Runs in batches in <see cref="BatchedTransformerBase.Transform"/> and row by row in a
/// <c>PredictionEngine</c>; saved and loaded with <c>mlContext.Model.Save/Load</c>.
/// </summary>
public sealed class ImageTranslationTransformer : ImageToImageTransformerBase
{
    internal const string LoaderSignature = "GenModelsImgTranslation"; // ML.NET allows at most 24 characters
    private const string NetworkKind = "UNet";
    internal ImageTranslationTransformer(UNet generator, string inputColumnName, int[] inputShape, string outputColumnName, int[] outputShape,
        bool outputIsImage, int batchSize, TrainingResult? training)
        : base(generator, inputColumnName, inputShape, outputColumnName, outputShape, outputIsImage, batchSize) => Training = training;

    /// <summary>Loss history of the training run (L1, and with the adversarial term the generator's and discriminator's losses); null for a loaded model.</summary>
    public TrainingResult? Training { get; }

    private UNet Generator => (UNet)NetworkObject;

    private protected override Tensor Translate(Tensor images) => Generator.forward(images);

    /// <summary>An independent copy of <paramref name="generator"/> with the same weights, in evaluation mode.</summary>
    internal static UNet Copy(UNet generator) => Deserialize(Serialize(generator));

    private static byte[] Serialize(UNet generator)
    {
        using var stream = new MemoryStream();
        ModelSerializer.Save(stream, NetworkKind, generator.Options, generator);
        return stream.ToArray();
    }

    private static UNet Deserialize(byte[] bytes) =>
        ModelSerializer.Load<UNetOptions, UNet>(new MemoryStream(bytes), NetworkKind, o => new UNet("generator", o));

    private static readonly ModelFormat SavedFormat = new("GMIMGTRN", LoaderSignature, typeof(ImageTranslationTransformer));

    // Header (format 2, one checksummed block, see ModelPersistence):
    //   string inputColumn; 3 × int inputShape (C, H, W);
    //   string outputColumn; 3 × int outputShape (C, H, W); bool outputIsImage; int batchSize;
    // then the binary stream "Network": the U-Net (GenModels.Torch ModelSerializer format, kind "UNet").
    private protected override void SaveModel(ModelSaveContext ctx)
    {
        var network = Serialize(Generator); // everything that can fail happens before the model stream is touched
        ModelPersistence.Save(ctx, SavedFormat, w =>
        {
            w.Write(InputColumnName);
            foreach (var d in InputShape) w.Write(d);
            w.Write(OutputColumnName);
            foreach (var d in OutputShape) w.Write(d);
            w.Write(OutputIsImage);
            w.Write(BatchSize);
        }, network);
    }

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static ImageTranslationTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, SavedFormat, (r, network, format) =>
        {
            if (format < ModelFormat.Version2) throw new InvalidDataException("The saved image translation model is corrupt: it claims a format this type never wrote.");
            string input = r.ReadString();
            var inShape = Enumerable.Range(0, 3).Select(_ => ModelPersistence.ReadCount(r, "an input dimension", 1, int.MaxValue)).ToArray();
            string output = r.ReadString();
            var outShape = Enumerable.Range(0, 3).Select(_ => ModelPersistence.ReadCount(r, "an output dimension", 1, int.MaxValue)).ToArray();
            bool outputIsImage = r.ReadBoolean();
            int batchSize = ModelPersistence.ReadCount(r, "the transform batch size", 1, Limits.MaxTransformBatchSize);
            return LoadOwning(Deserialize(network), generator =>
            {
                var o = generator.Options;
                if (!inShape.SequenceEqual([o.InputChannels, o.Height, o.Width]) || !outShape.SequenceEqual([o.OutputChannels, o.Height, o.Width]))
                    throw new InvalidDataException($"The saved image translation model is corrupt: its network maps {o.InputChannels}×{o.Height}×{o.Width} to {o.OutputChannels}×{o.Height}×{o.Width} but its header says {string.Join("×", inShape)} to {string.Join("×", outShape)}.");
                if (outputIsImage && outShape[0] != ImageInput.Channels)
                    throw new InvalidDataException("The saved image translation model is corrupt: it writes images but its output is not 3×H×W.");
                return new ImageTranslationTransformer(generator, input, inShape, output, outShape, outputIsImage, batchSize, null);
            });
        });
}
