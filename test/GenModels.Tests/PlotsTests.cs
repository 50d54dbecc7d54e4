using GenModels.Plots;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace GenModels.Tests;

/// <summary>The plotting helper draws real pictures, and ImageAnalytics keeps working in the same process.</summary>
public class PlotsTests
{
    private static readonly Random Rnd = new(1);

    [Fact]
    public void EachPlotIsAPngOfTheAskedSizeWithSomethingDrawnOnIt()
    {
        var epochs = Enumerable.Range(0, 12).Select(e => (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["loss"] = 10.0 / (e + 1), ["kl"] = 1 + e * 0.1 });
        float[] x = Normal(300), y = Normal(300);
        var labels = Enumerable.Range(0, 300).Select(i => $"class {i % 3}").ToArray();
        var scores = Enumerable.Range(0, 200).Select(i => (float)(Rnd.NextDouble() + (i < 20 ? 0.8 : 0))).ToArray();
        var outliers = Enumerable.Range(0, 200).Select(i => i < 20).ToArray();
        var pictures = new (string Name, byte[] Png, int Width, int Height)[]
        {
            ("loss", Plot.LossCurves(epochs, width: 500, height: 300), 500, 300),
            ("scatter", Plot.Scatter(x, y, labels, "latent space"), Plot.DefaultWidth, Plot.DefaultHeight),
            ("roc", Plot.Roc(scores, outliers), Plot.DefaultHeight, Plot.DefaultHeight),
            ("histogram", Plot.Histogram(new Dictionary<string, IReadOnlyList<float>> { ["normal"] = scores[20..], ["outlier"] = scores[..20] }, bins: 20, markers: new Dictionary<string, float> { ["threshold"] = 0.9f }), Plot.DefaultWidth, Plot.DefaultHeight),
        };
        foreach (var (name, png, width, height) in pictures)
        {
            using var image = MLImage.CreateFromStream(new MemoryStream(png));
            Assert.True(image.Width == width && image.Height == height, $"{name}: {image.Width}×{image.Height}, expected {width}×{height}");
            // Coloured pixels (lines, markers, bars), not only white background and grey text.
            Assert.True(ColouredShare(image) > 0.002, $"{name}: only {ColouredShare(image):P2} of the pixels are coloured");
        }
    }

    [Fact]
    public void RocAreaMatchesTheRankStatistic()
    {
        // Perfect, reversed and half-tied rankings.
        Assert.Equal(1.0, Plot.RocCurve([0.9f, 0.8f, 0.1f, 0.2f], [true, true, false, false]).Auc, 12);
        Assert.Equal(0.0, Plot.RocCurve([0.1f, 0.2f, 0.9f, 0.8f], [true, true, false, false]).Auc, 12);
        Assert.Equal(0.5, Plot.RocCurve([0.5f, 0.5f, 0.5f, 0.5f], [true, false, true, false]).Auc, 12);
        // One positive above one of two negatives: 1 of 2 pairs ordered.
        var (fpr, tpr, auc) = Plot.RocCurve([0.5f, 0.7f, 0.3f], [true, false, false]);
        Assert.Equal(0.5, auc, 12);
        Assert.Equal([0, 0.5, 0.5, 1], fpr);
        Assert.Equal([0, 0, 1, 1], tpr);
        Assert.Throws<ArgumentException>(() => Plot.RocCurve([0.1f, 0.2f], [false, false]));
    }

    [Fact]
    public void ImageGridPutsEachImageInItsCellAndImageAnalyticsStillReadsItInTheSameProcess()
    {
        // Two rows of three 4×5 grey images; image n is uniformly n/5. Scale 3, gap 2, no labels.
        var images = Enumerable.Range(0, 6).Select(n => Enumerable.Repeat(n / 5f, 4 * 5).ToArray()).ToArray();
        var png = Plot.ImageGrid(images, channels: 1, height: 4, width: 5, columns: 3, scale: 3);
        var folder = Directory.CreateTempSubdirectory("genmodels-plots-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(folder, "grid.png"), png);
            // The ImageAnalytics pipeline (SkiaSharp 2.88) decodes what OxyPlot's SkiaSharp wrote: no version clash.
            var ml = new MLContext(seed: 1);
            var rows = ml.Data.LoadFromEnumerable(new[] { new PathRow { Path = "grid.png" } });
            const int Width = 3 * 15 + 2 * 2, Height = 2 * 12 + 2;
            var pixels = ml.Transforms.LoadImages("Image", folder, "Path")
                .Append(ml.Transforms.ResizeImages("Image", Width, Height))
                .Append(ml.Transforms.ExtractPixels("Pixels", "Image", scaleImage: 1 / 255f))
                .Fit(rows).Transform(rows).GetColumn<float[]>("Pixels").Single();
            float At(int x, int y) => pixels[y * Width + x]; // red plane
            for (int n = 0; n < 6; n++)
            {
                int left = n % 3 * (15 + 2), top = n / 3 * (12 + 2);
                Assert.Equal(n / 5f, At(left + 7, top + 6), 2);
            }
            Assert.Equal(1f, At(15, 0), 3);   // the gap right of the first image is white
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        Assert.Throws<ArgumentException>(() => Plot.ImageGrid([new float[19]], 1, 4, 5));
        var labelled = Plot.ImageGrid(images, 1, 4, 5, columns: 3, rowLabels: ["first", "second"]);
        using var withLabels = MLImage.CreateFromStream(new MemoryStream(labelled));
        Assert.True(withLabels.Width > 3 * 10 + 2 * 2, "row labels widen the picture");
    }

    private sealed class PathRow { public string Path { get; set; } = ""; }

    private static float[] Normal(int n) => Enumerable.Range(0, n).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - Rnd.NextDouble())) * Math.Cos(2 * Math.PI * Rnd.NextDouble()))).ToArray();

    private static double ColouredShare(MLImage image)
    {
        var bytes = image.Pixels; // Bgra32 or Rgba32: four bytes a pixel either way
        int coloured = 0;
        for (int p = 0; p < bytes.Length; p += 4)
        {
            int a = bytes[p], b = bytes[p + 1], c = bytes[p + 2];
            if (Math.Max(a, Math.Max(b, c)) - Math.Min(a, Math.Min(b, c)) > 40) coloured++;
        }
        return coloured / (bytes.Length / 4.0);
    }
}
