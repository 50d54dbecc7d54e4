using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace GenModels.MLNet.Data;

/// <summary>
/// Image columns of <c>Microsoft.ML.ImageAnalytics</c> as network input: a sized <c>MLImage</c> column (after
/// <c>LoadImages</c> and <c>ResizeImages</c>) becomes C×H×W floats, channel-major (red, green, blue; alpha dropped), each
/// pixel scaled from 0–255 to [0, 1] — the layout <c>ExtractPixels</c> gives with <c>scaleImage: 1/255f</c>.
/// </summary>
internal static class ImageInput
{
    /// <summary>Channels an image column contributes (red, green, blue).</summary>
    public const int Channels = 3;

    /// <summary>The C×H×W shape of a sized image column, or an error naming the column and suggesting ResizeImages.</summary>
    public static int[] Shape(DataViewSchema.Column column, string paramName, string role)
    {
        var type = (ImageDataViewType)column.Type;
        if (type.Height <= 0 || type.Width <= 0)
            throw Errors.SchemaMismatch(paramName, role, column.Name, "a sized image (add mlContext.Transforms.ResizeImages after LoadImages)", "an image of unknown size");
        return [Channels, type.Height, type.Width];
    }

    /// <summary>
    /// A new <c>MLImage</c> (Rgba32, opaque) from 3×H×W floats in [0, 1], the inverse of <see cref="Read"/>: values outside
    /// the range are clamped. The caller owns the image.
    /// </summary>
    public static MLImage Write(ReadOnlySpan<float> values, int height, int width)
    {
        int plane = height * width;
        var rgba = new byte[plane * 4];
        for (int i = 0; i < plane; i++)
        {
            rgba[4 * i] = ToByte(values[i]);
            rgba[4 * i + 1] = ToByte(values[plane + i]);
            rgba[4 * i + 2] = ToByte(values[2 * plane + i]);
            rgba[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, rgba);
    }

    private static byte ToByte(float value) => float.IsNaN(value) ? (byte)0 : (byte)Math.Clamp(MathF.Round(value * 255f), 0, 255);

    /// <summary>Writes <paramref name="image"/> as C×H×W floats in [0, 1]; its size must be the column's.</summary>
    public static void Read(MLImage image, string columnName, int height, int width, Span<float> destination)
    {
        if (image is null) throw new InvalidOperationException($"Column '{columnName}' has a missing image.");
        if (image.Height != height || image.Width != width)
            throw new InvalidOperationException(
                $"Column '{columnName}' holds a {image.Width}×{image.Height} image where {width}×{height} was expected: resize every image (mlContext.Transforms.ResizeImages).");
        var pixels = image.Pixels;
        int plane = height * width;
        // Rgba32 keeps red at byte 0; Bgra32 keeps blue there.
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        if (!bgra && image.PixelFormat != MLPixelFormat.Rgba32)
            throw new InvalidOperationException($"Column '{columnName}' holds an image in pixel format {image.PixelFormat}; Rgba32 or Bgra32 is expected.");
        for (int i = 0; i < plane; i++)
        {
            int p = 4 * i;
            destination[i] = pixels[bgra ? p + 2 : p] / 255f;
            destination[plane + i] = pixels[p + 1] / 255f;
            destination[2 * plane + i] = pixels[bgra ? p : p + 2] / 255f;
        }
    }
}

/// <summary>Reads a sized image column into C×H×W floats, checking each row's size.</summary>
internal sealed class ImageInputReader(DataViewRow row, DataViewSchema.Column column) : IRowInputReader
{
    private readonly ValueGetter<MLImage> getter = row.GetGetter<MLImage>(column);
    private readonly int height = ((ImageDataViewType)column.Type).Height, width = ((ImageDataViewType)column.Type).Width;
    private MLImage? image;

    public void Read(Span<float> destination)
    {
        getter(ref image!);
        ImageInput.Read(image, column.Name, height, width, destination);
    }
}
