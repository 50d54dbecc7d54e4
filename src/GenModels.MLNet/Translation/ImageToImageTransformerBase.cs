using GenModels.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace GenModels.MLNet.Translation;

/// <summary>
/// Shared part of the image-to-image transformers (pix2pix's <see cref="ImageTranslationTransformer"/> and
/// CycleGAN's transformer): the input check, the batched mapping and the output column. An input column holds images of
/// <see cref="InputShape"/> (a sized image column, a <c>Vector&lt;Single, C, H, W&gt;</c> column, or a flat Single vector of
/// C·H·W values read in the same channel-major layout); the output is an image column when <see cref="OutputIsImage"/>,
/// else a <c>Vector&lt;Single, C, H, W&gt;</c> column. Derived classes own the network and say how it translates a batch.
/// </summary>
public abstract class ImageToImageTransformerBase : BatchedTransformerBase, IBatchMapper
{
    private readonly int[] inputShape, outputShape;
    private readonly NetworkOutputColumn[] outputs;

    private protected ImageToImageTransformerBase(IDisposable network, string inputColumnName, int[] inputShape, string outputColumnName,
        int[] outputShape, bool outputIsImage, int batchSize)
        : base(network, batchSize)
    {
        if (outputIsImage && outputShape[0] != ImageInput.Channels)
            throw new ArgumentException($"An image column holds {ImageInput.Channels}×H×W values, not {string.Join("×", outputShape)}.", nameof(outputIsImage));
        InputColumnName = inputColumnName;
        OutputColumnName = outputColumnName;
        this.inputShape = inputShape;
        this.outputShape = outputShape;
        OutputIsImage = outputIsImage;
        outputs = [new NetworkOutputColumn(NetworkOutputRole.Generated, outputColumnName, outputShape.Aggregate(1, (a, d) => a * d), false,
            Dimensions: outputShape, IsImage: outputIsImage)];
    }

    /// <summary>The column of input images.</summary>
    public string InputColumnName { get; }
    /// <summary>The column of translated images this transformer adds.</summary>
    public string OutputColumnName { get; }
    /// <summary>The input images' channels, height and width (3 channels for an image column).</summary>
    public IReadOnlyList<int> InputShape => inputShape;
    /// <summary>The output images' channels, height and width.</summary>
    public IReadOnlyList<int> OutputShape => outputShape;
    /// <summary>True when the output column is an image column; false for a <c>Vector&lt;Single, C, H, W&gt;</c> column.</summary>
    public bool OutputIsImage { get; }

    /// <summary>Translates a batch of [n, C, H, W] input images into [n, C', H, W] output images.</summary>
    private protected abstract Tensor Translate(Tensor images);

    int IBatchMapper.InputWidth => inputShape.Aggregate(1, (a, d) => a * d);
    int IBatchMapper.NoiseSeed => 0;
    IReadOnlyList<NetworkOutputColumn> IBatchMapper.Outputs => outputs;

    // A flat Single vector of C·H·W values (as TextLoader reads a CSV row) is read as the training images' layout.
    IReadOnlyList<DataViewSchema.Column> IBatchMapper.CheckInput(DataViewSchema schema)
    {
        int size = ((IBatchMapper)this).InputWidth;
        if (schema.GetColumnOrNull(InputColumnName) is { Type: VectorDataViewType { Dimensions.Length: 1 } flat } && flat.Size == size)
            return [BatchedMapping.CheckVectorInput(schema, InputColumnName, size, paramName: nameof(schema))];
        var found = ImageTranslationEstimator.ImageShape(schema, InputColumnName, "input", nameof(schema));
        if (!found.SequenceEqual(inputShape))
            throw Errors.SchemaMismatch(nameof(schema), "input", InputColumnName, $"images of {string.Join("×", inputShape)} (C×H×W) as in training", string.Join("×", found));
        return [schema[InputColumnName]];
    }

    IRowInputReader IBatchMapper.CreateInputReader(DataViewRow row) =>
        BatchedMapping.FeatureReader(row, row.Schema[InputColumnName], ((IBatchMapper)this).InputWidth);

    void IBatchMapper.Map(Tensor input, Tensor?[] targets, Generator noise)
    {
        if (targets[0] is not { } target) return;
        using var noGrad = no_grad();
        long n = input.shape[0];
        target.copy_(Translate(input.view(n, inputShape[0], inputShape[1], inputShape[2])).view(n, -1));
    }
}
