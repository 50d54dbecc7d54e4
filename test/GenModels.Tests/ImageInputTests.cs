using GenModels.MLNet;
using GenModels.MLNet.Autoencoders;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Xunit;

namespace GenModels.Tests;

/// <summary>Image columns of ImageAnalytics as the estimators' input: layout, scaling, and the errors for unusable images.</summary>
public class ImageInputTests
{
    private const int Height = 4, Width = 6;

    public sealed class ImageRow
    {
        [ImageType(Height, Width)] public MLImage Image { get; set; } = null!;
    }

    public sealed class VectorRow
    {
        [VectorType(3, Height, Width)] public float[] Features { get; set; } = [];
    }

    [Fact]
    public void AGridOfImagesPutsEachPixelWhereItBelongs()
    {
        var folder = Directory.CreateTempSubdirectory("genmodels-grid-").FullName;
        try
        {
            var ml = new MLContext(seed: 1);
            var patterns = Enumerable.Range(0, 3).Select(Pattern).ToArray();
            var path = Path.Combine(folder, "grid.png");
            ImageGrid.Save(path, ml.Data.LoadFromEnumerable(patterns.Select(p => new VectorRow { Features = p.ChannelMajor })), "Features", columns: 2);
            using var grid = MLImage.CreateFromFile(path);
            Assert.Equal(2 * (Width + 1) - 1, grid.Width);   // two images across, one-pixel gap
            Assert.Equal(2 * (Height + 1) - 1, grid.Height); // the third image starts a second row
            var pixels = grid.Pixels.ToArray();
            bool bgra = grid.PixelFormat == MLPixelFormat.Bgra32;
            (byte R, byte G, byte B) At(int x, int y)
            {
                int p = (y * grid.Width + x) * 4;
                return bgra ? (pixels[p + 2], pixels[p + 1], pixels[p]) : (pixels[p], pixels[p + 1], pixels[p + 2]);
            }
            // Pixel (x = 4, y = 2) of image 2 (second row, first column), and of image 1 (first row, second column).
            var (image2, _) = Pattern(2);
            var (image1, _) = Pattern(1);
            Assert.Equal(Rgb(image2, 4, 2), At(4, Height + 1 + 2));
            Assert.Equal(Rgb(image1, 4, 2), At(Width + 1 + 4, 2));
            Assert.Equal(((byte)255, (byte)255, (byte)255), At(Width, 0)); // the gap
            // An image column saves the same picture.
            var fromImages = Path.Combine(folder, "images.png");
            ImageGrid.Save(fromImages, ml.Data.LoadFromEnumerable(patterns.Select(p => new ImageRow { Image = p.Image })), "Image", columns: 2);
            using var again = MLImage.CreateFromFile(fromImages);
            Assert.Equal(grid.Pixels.ToArray(), again.Pixels.ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        static (byte, byte, byte) Rgb(MLImage image, int x, int y)
        {
            var p = image.Pixels;
            int i = (y * image.Width + x) * 4;
            return (p[i], p[i + 1], p[i + 2]); // Pattern makes Rgba32 images
        }
    }

    [Fact]
    public void GeneratorsTrainedOnAnImageColumnGenerateAnImageColumnOfTheSameSize()
    {
        var ml = new MLContext(seed: 1);
        var images = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 40).Select(i => new ImageRow { Image = Pattern(i).Image }));
        var gan = ml.Generative().Gan(new GenModels.MLNet.Gan.GanEstimator.Options
        {
            FeatureColumnName = "Image", NoiseDimension = 4, GeneratorHiddenSizes = [16], DiscriminatorHiddenSizes = [16], Epochs = 1, Seed = 1,
            Output = GenModels.Torch.Gan.GeneratorOutput.Sigmoid,
        }).Fit(images);
        var diffusion = ml.Generative().Diffusion(new GenModels.MLNet.Diffusion.DiffusionEstimator.Options
        {
            FeatureColumnName = "Image", HiddenSizes = [16], EmbeddingDimension = 8, Epochs = 1, Seed = 1, SamplingSteps = 5,
        }).Fit(images);
        var path = Path.Combine(Path.GetTempPath(), $"genmodels-image-gan-{Guid.NewGuid():N}.zip");
        try
        {
            foreach (GeneratorTransformerBase generator in new GeneratorTransformerBase[] { gan, diffusion })
            {
                ml.Model.Save(generator, null, path); // an image-only schema has no columns ML.NET can save beside the model
                var loaded = (GeneratorTransformerBase)ml.Model.Load(path, out _);
                foreach (var model in new[] { generator, loaded })
                {
                    Assert.True(model.FeatureIsImage);
                    var generated = model switch
                    {
                        GenModels.MLNet.Gan.GanTransformer g => g.Generate(3, seed: 2),
                        GenModels.MLNet.Diffusion.DiffusionTransformer d => d.Generate(3, seed: 2),
                        _ => throw new InvalidOperationException(),
                    };
                    var type = Assert.IsType<ImageDataViewType>(generated.Schema["Image"].Type);
                    Assert.Equal((Height, Width), (type.Height, type.Width));
                    var pictures = generated.GetColumn<MLImage>("Image").ToArray();
                    Assert.Equal(3, pictures.Length);
                    Assert.All(pictures, p => Assert.Equal((Width, Height), (p.Width, p.Height)));
                }
                // The same seed gives the same pixels after a save and load.
                Assert.Equal(Pixels(Generate(generator)), Pixels(Generate(loaded)));
            }
        }
        finally
        {
            File.Delete(path);
        }

        static IDataView Generate(GeneratorTransformerBase model) => model is GenModels.MLNet.Gan.GanTransformer g ? g.Generate(2, seed: 5)
            : ((GenModels.MLNet.Diffusion.DiffusionTransformer)model).Generate(2, seed: 5);
        static byte[] Pixels(IDataView data) => data.GetColumn<MLImage>("Image").SelectMany(i => i.Pixels.ToArray()).ToArray();
    }

    public sealed class PathRow
    {
        public string Path { get; set; } = "";
    }

    /// <summary>An asymmetric pattern: every pixel and channel gets its own value, from the row's seed.</summary>
    private static (MLImage Image, float[] ChannelMajor) Pattern(int seed)
    {
        var rgba = new byte[Height * Width * 4];
        var expected = new float[3 * Height * Width];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                int i = y * Width + x;
                byte r = (byte)((seed * 37 + 11 * x + 3 * y) % 256), g = (byte)((seed * 11 + 50 + 7 * y) % 256), b = (byte)((255 - seed * 5 - 13 * x) & 255);
                rgba[4 * i] = r; rgba[4 * i + 1] = g; rgba[4 * i + 2] = b; rgba[4 * i + 3] = 255;
                expected[i] = r / 255f;
                expected[Height * Width + i] = g / 255f;
                expected[2 * Height * Width + i] = b / 255f;
            }
        return (MLImage.CreateFromPixels(Width, Height, MLPixelFormat.Rgba32, rgba), expected);
    }

    [Fact]
    public void AnImageColumnTrainsAndEncodesExactlyLikeItsChannelMajorPixelsInZeroToOne()
    {
        var ml = new MLContext(seed: 1);
        var patterns = Enumerable.Range(0, 40).Select(Pattern).ToArray();
        var images = ml.Data.LoadFromEnumerable(patterns.Select(p => new ImageRow { Image = p.Image }));
        var vectors = ml.Data.LoadFromEnumerable(patterns.Select(p => new VectorRow { Features = p.ChannelMajor }));
        AutoencoderEncodingEstimator.Options Options(string column) => new()
        {
            InputColumnName = column, LatentDimension = 2, Epochs = 2, Seed = 1, ReconstructionErrorColumnName = "Error",
        };
        var fromImages = ml.Transforms.AutoencoderEncode(Options("Image")).Fit(images);
        var fromVectors = ml.Transforms.AutoencoderEncode(Options("Features")).Fit(vectors);
        Assert.Equal(3 * Height * Width, fromImages.InputDimension);
        // Same pixels in the same layout: the same training and the same codes, bit for bit.
        Assert.Equal(Synthetic.Column(fromVectors.Transform(vectors), "Latent"), Synthetic.Column(fromImages.Transform(images), "Latent"));
        Assert.Equal(fromVectors.Transform(vectors).GetColumn<float>("Error"), fromImages.Transform(images).GetColumn<float>("Error"));

        // A PredictionEngine reads an image row too (one row per call: equal to the batch up to float rounding, see README).
        using var engine = ml.Model.CreatePredictionEngine<ImageRow, LatentRow>(fromImages);
        var batched = Synthetic.Column(fromImages.Transform(images), "Latent")[5];
        var single = engine.Predict(new ImageRow { Image = patterns[5].Image }).Latent;
        for (int j = 0; j < batched.Length; j++) Assert.Equal(batched[j], single[j], 1e-6f);
    }

    public sealed class LatentRow
    {
        public float[] Latent { get; set; } = [];
    }

    [Fact]
    public void UnsizedImagesAndImagesOfAnotherSizeAreRejectedNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        // LoadImages gives an image column of unknown size, as in an image-folder workflow before ResizeImages.
        var folder = Directory.CreateTempSubdirectory("genmodels-images-").FullName;
        Pattern(1).Image.Save(Path.Combine(folder, "a.png"));
        var unsized = ml.Transforms.LoadImages("Image", folder, "Path")
            .Fit(ml.Data.LoadFromEnumerable(new[] { new PathRow { Path = "a.png" } })).Transform(ml.Data.LoadFromEnumerable(new[] { new PathRow { Path = "a.png" } }));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ml.Transforms.AutoencoderEncode(new AutoencoderEncodingEstimator.Options { InputColumnName = "Image", LatentDimension = 2, Epochs = 1 }).Fit(unsized));
        Assert.Contains("'Image'", error.Message);
        Assert.Contains("ResizeImages", error.Message);

        var wrongSize = MLImage.CreateFromPixels(3, 3, MLPixelFormat.Rgba32, new byte[36]);
        var mixed = ml.Data.LoadFromEnumerable(new[] { new ImageRow { Image = Pattern(1).Image }, new ImageRow { Image = wrongSize } });
        var readError = Assert.Throws<InvalidOperationException>(() =>
            ml.Transforms.AutoencoderEncode(new AutoencoderEncodingEstimator.Options { InputColumnName = "Image", LatentDimension = 2, Epochs = 1 }).Fit(mixed));
        Assert.Contains("'Image'", readError.Message);
        Assert.Contains("3×3", readError.Message);
        Directory.Delete(folder, recursive: true);
    }
}
