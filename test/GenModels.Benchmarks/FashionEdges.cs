// Fashion-MNIST as paired images for image-to-image translation: each 28×28 image padded to 32×32, and its edge map
// (Sobel gradient magnitude, thresholded) as the input to translate from. Shared by the translation benchmark and the
// ImageTranslation example (linked into its project).
namespace GenModels.Benchmarks;

using GenModels.Datasets;

public static class FashionEdges
{
    /// <summary>Height and width of the padded images.</summary>
    public const int Size = 32;
    /// <summary>Sobel magnitude above which a pixel is an edge (pixels in [0, 1]; the magnitude reaches about 4 on a sharp step).</summary>
    public const float Threshold = 0.5f;

    /// <summary>One split: padded images and their edge maps (each Size×Size floats in [0, 1], row by row) and labels.</summary>
    public static (float[][] Images, float[][] Edges, byte[] Labels) Load(string folder, bool train, int? maxCount = null)
    {
        var (pixels, labels, count) = FashionMnist.ReadSplit(folder, train, maxCount);
        var images = new float[count][];
        var edges = new float[count][];
        for (int i = 0; i < count; i++)
        {
            images[i] = Pad(pixels.AsSpan(i * FashionMnist.ImageSize, FashionMnist.ImageSize));
            edges[i] = Edges(images[i]);
        }
        return (images, edges, labels);
    }

    /// <summary>A 28×28 image centred in a 32×32 one with a black border of 2 pixels.</summary>
    public static float[] Pad(ReadOnlySpan<float> image)
    {
        var padded = new float[Size * Size];
        for (int y = 0; y < 28; y++) image.Slice(y * 28, 28).CopyTo(padded.AsSpan((y + 2) * Size + 2, 28));
        return padded;
    }

    /// <summary>1 where the Sobel gradient magnitude exceeds <see cref="Threshold"/>, else 0 (outside the image counts as black).</summary>
    public static float[] Edges(float[] image)
    {
        float At(int x, int y) => x < 0 || y < 0 || x >= Size || y >= Size ? 0 : image[y * Size + x];
        var edges = new float[Size * Size];
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                float gx = At(x + 1, y - 1) + 2 * At(x + 1, y) + At(x + 1, y + 1) - At(x - 1, y - 1) - 2 * At(x - 1, y) - At(x - 1, y + 1);
                float gy = At(x - 1, y + 1) + 2 * At(x, y + 1) + At(x + 1, y + 1) - At(x - 1, y - 1) - 2 * At(x, y - 1) - At(x + 1, y - 1);
                edges[y * Size + x] = MathF.Sqrt(gx * gx + gy * gy) > Threshold ? 1 : 0;
            }
        return edges;
    }
}
