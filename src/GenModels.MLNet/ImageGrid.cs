using GenModels.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace GenModels.MLNet;

/// <summary>
/// Writes many small images to one picture file, row by row: generated samples per class, reconstructions beside
/// originals, latent walks. Images are C×H×W floats (1 channel = grey, 3 = red, green, blue), as the library's image
/// columns and <c>ExtractPixels</c> lay them out; values between <c>min</c> and <c>max</c> map to 0–255.
/// </summary>
public static class ImageGrid
{
    /// <summary>
    /// Saves <paramref name="images"/> (each C·H·W floats) as a grid of <paramref name="columns"/> images per row, with a
    /// one-pixel white gap, to <paramref name="path"/> (the format follows the extension: png, jpg, webp).
    /// </summary>
    public static void Save(string path, IReadOnlyList<float[]> images, int channels, int height, int width, int columns = 10, float min = 0, float max = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(images);
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images need 1 (grey) or 3 (red, green, blue) channels.");
        if (height < 1 || width < 1) throw new ArgumentOutOfRangeException(height < 1 ? nameof(height) : nameof(width), "Image sizes must be positive.");
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "At least one image per row.");
        if (!(max > min)) throw new ArgumentOutOfRangeException(nameof(max), max, "max must be above min.");
        if (images.Count == 0) throw new ArgumentException("There are no images to write.", nameof(images));
        int size = channels * height * width;
        for (int i = 0; i < images.Count; i++)
            if (images[i] is null || images[i].Length != size)
                throw new ArgumentException($"Image {i} has {images[i]?.Length ?? 0} values; {channels}×{height}×{width} = {size} were expected.", nameof(images));

        int across = Math.Min(columns, images.Count), down = (images.Count + columns - 1) / columns;
        int gridWidth = across * (width + 1) - 1, gridHeight = down * (height + 1) - 1;
        var rgba = new byte[gridWidth * gridHeight * 4];
        Array.Fill(rgba, (byte)255);
        int plane = height * width;
        for (int n = 0; n < images.Count; n++)
        {
            int left = n % columns * (width + 1), top = n / columns * (height + 1);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int p = ((top + y) * gridWidth + left + x) * 4, i = y * width + x;
                    for (int c = 0; c < 3; c++) rgba[p + c] = ToByte(images[n][(channels == 1 ? 0 : c) * plane + i], min, max);
                }
        }
        using var picture = MLImage.CreateFromPixels(gridWidth, gridHeight, MLPixelFormat.Rgba32, rgba);
        picture.Save(path);
    }

    /// <summary>
    /// Saves the images of column <paramref name="columnName"/> of <paramref name="data"/> (at most <paramref name="maxImages"/>)
    /// as a grid: a <c>Vector&lt;Single, C, H, W&gt;</c> column (C = 1 or 3, values in [0, 1]) or a sized image column.
    /// </summary>
    public static void Save(string path, IDataView data, string columnName, int columns = 10, int maxImages = 100)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (maxImages < 1) throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, "At least one image.");
        var column = data.Schema.GetColumnOrNull(columnName) ?? throw Errors.MissingColumn(nameof(data), "image", columnName);
        int[] shape = column.Type switch
        {
            ImageDataViewType => ImageInput.Shape(column, nameof(data), "image"),
            VectorDataViewType { Dimensions: { Length: 3 } d, ItemType: NumberDataViewType n } when n == NumberDataViewType.Single && (d[0] == 1 || d[0] == 3) && d[1] > 0 && d[2] > 0 => [d[0], d[1], d[2]],
            _ => throw Errors.SchemaMismatch(nameof(data), "image", columnName, "Vector<Single, C, H, W> with C = 1 or 3, or a sized image", Errors.Describe(column.Type)),
        };
        int size = shape[0] * shape[1] * shape[2];
        var images = new List<float[]>();
        using (var cursor = data.GetRowCursor([column]))
        {
            var reader = BatchedMapping.FeatureReader(cursor, column, size);
            while (images.Count < maxImages && cursor.MoveNext())
            {
                var image = new float[size];
                reader.Read(image);
                images.Add(image);
            }
        }
        Save(path, images, shape[0], shape[1], shape[2], columns);
    }

    private static byte ToByte(float value, float min, float max) =>
        float.IsNaN(value) ? (byte)0 : (byte)Math.Clamp(MathF.Round((value - min) / (max - min) * 255f), 0, 255);
}
