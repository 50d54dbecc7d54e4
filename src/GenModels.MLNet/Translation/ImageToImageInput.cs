using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Translation;

/// <summary>The input side shared by the image-to-image transformers (pix2pix and CycleGAN).</summary>
internal static class ImageToImageInput
{
    /// <summary>
    /// Checks that <paramref name="inputColumnName"/> holds images of <paramref name="shape"/> (C×H×W): a sized image column,
    /// a <c>Vector&lt;Single, C, H, W&gt;</c> column, or a flat Single vector of C·H·W values (as TextLoader reads a CSV row),
    /// read in the training images' layout. Throws naming the column otherwise.
    /// </summary>
    public static IReadOnlyList<DataViewSchema.Column> Check(DataViewSchema schema, string inputColumnName, int[] shape)
    {
        int size = shape.Aggregate(1, (a, d) => a * d);
        if (schema.GetColumnOrNull(inputColumnName) is { Type: VectorDataViewType { Dimensions.Length: 1 } flat } && flat.Size == size)
            return [BatchedMapping.CheckVectorInput(schema, inputColumnName, size, paramName: nameof(schema))];
        var found = ImageTranslationEstimator.ImageShape(schema, inputColumnName, "input", nameof(schema));
        if (!found.SequenceEqual(shape))
            throw Errors.SchemaMismatch(nameof(schema), "input", inputColumnName, $"images of {string.Join("×", shape)} (C×H×W) as in training", string.Join("×", found));
        return [schema[inputColumnName]];
    }
}
