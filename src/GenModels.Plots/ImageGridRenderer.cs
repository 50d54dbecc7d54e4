using SkiaSharp;

namespace GenModels.Plots;

/// <summary>Draws the checked images of <see cref="Plot.ImageGrid"/> with SkiaSharp (2.88, as OxyPlot and ImageAnalytics use).</summary>
internal static class ImageGridRenderer
{
    private const int Gap = 2;
    private const float LabelTextSize = 12;

    public static byte[] Render(IReadOnlyList<float[]> images, int channels, int height, int width, int columns, int scale,
        IReadOnlyList<string>? rowLabels, float min, float max)
    {
        int across = Math.Min(columns, images.Count), down = (images.Count + columns - 1) / columns;
        int cellWidth = width * scale, cellHeight = height * scale;
        using var font = new SKPaint { Color = SKColors.Black, TextSize = LabelTextSize, IsAntialias = true, Typeface = SKTypeface.Default };
        int labelWidth = rowLabels is null || rowLabels.Count == 0 ? 0 : (int)Math.Ceiling(rowLabels.Max(l => font.MeasureText(l ?? ""))) + 8;
        int pictureWidth = labelWidth + across * (cellWidth + Gap) - Gap, pictureHeight = down * (cellHeight + Gap) - Gap;

        // 1. Pixels: each image value scaled to 0–255 and repeated scale×scale times, on a white background.
        var pixels = new SKColor[pictureWidth * pictureHeight];
        Array.Fill(pixels, SKColors.White);
        int plane = height * width;
        for (int n = 0; n < images.Count; n++)
        {
            int left = labelWidth + n % columns * (cellWidth + Gap), top = n / columns * (cellHeight + Gap);
            var image = images[n];
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int i = y * width + x;
                    byte r = ToByte(image[i], min, max);
                    var color = channels == 1 ? new SKColor(r, r, r) : new SKColor(r, ToByte(image[plane + i], min, max), ToByte(image[2 * plane + i], min, max));
                    for (int dy = 0; dy < scale; dy++)
                        Array.Fill(pixels, color, (top + y * scale + dy) * pictureWidth + left + x * scale, scale);
                }
        }
        using var bitmap = new SKBitmap(pictureWidth, pictureHeight, SKColorType.Rgba8888, SKAlphaType.Opaque) { Pixels = pixels };

        // 2. Row labels, vertically centred on their row.
        if (labelWidth > 0)
        {
            using var canvas = new SKCanvas(bitmap);
            for (int row = 0; row < Math.Min(down, rowLabels!.Count); row++)
                canvas.DrawText(rowLabels[row] ?? "", 2, row * (cellHeight + Gap) + cellHeight / 2f + LabelTextSize / 3, font);
        }
        using var picture = SKImage.FromBitmap(bitmap);
        using var png = picture.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static byte ToByte(float value, float min, float max) =>
        float.IsFinite(value) ? (byte)Math.Round(Math.Clamp((value - min) / (max - min), 0, 1) * 255) : (byte)0;
}
