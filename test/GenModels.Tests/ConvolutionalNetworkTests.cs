using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Autoencoders;
using GenModels.MLNet.Vae;
using GenModels.Torch.Networks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Xunit;

namespace GenModels.Tests;

/// <summary>
/// Convolutional encoders and decoders for image columns: chosen from the column's shape, learning an image family that a
/// linear code cannot, image reconstructions, latent traversal, saving, and the errors.
/// </summary>
public class ConvolutionalNetworkTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int Side = 16, Square = 4;
    private readonly string folder = Directory.CreateTempSubdirectory("genmodels-conv-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public sealed class SquareRow
    {
        [VectorType(1, Side, Side)] public float[] Features { get; set; } = [];
    }

    public sealed class FlatRow
    {
        [VectorType(Side * Side)] public float[] Features { get; set; } = [];
    }

    public sealed class ImageRow
    {
        [ImageType(Side, Side)] public MLImage Image { get; set; } = null!;
    }

    /// <summary>16×16 images of one bright 4×4 square on black, at a random position: a family with two factors (x, y).</summary>
    private static float[][] Squares(int count, int seed, bool fixedRow = false)
    {
        var rnd = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            int x = rnd.Next(Side - Square + 1), y = fixedRow ? (Side - Square) / 2 : rnd.Next(Side - Square + 1);
            return SquareAt(x, y);
        }).ToArray();
    }

    private static float[] SquareAt(int x, int y)
    {
        var pixels = new float[Side * Side];
        for (int dy = 0; dy < Square; dy++)
            for (int dx = 0; dx < Square; dx++)
                pixels[(y + dy) * Side + x + dx] = 1f;
        return pixels;
    }

    private static MLImage ToImage(float[] gray)
    {
        var rgba = new byte[Side * Side * 4];
        for (int i = 0; i < gray.Length; i++)
        {
            byte v = (byte)(gray[i] * 255);
            rgba[4 * i] = v; rgba[4 * i + 1] = v; rgba[4 * i + 2] = v; rgba[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(Side, Side, MLPixelFormat.Rgba32, rgba);
    }

    private static double MeanSquaredError(float[][] a, float[][] b) =>
        a.Zip(b).Average(p => p.First.Zip(p.Second).Average(v => (double)(v.First - v.Second) * (v.First - v.Second)));

    [Fact]
    public void AConvolutionalAutoencoderReconstructsMovingSquaresFarBetterThanPcaWithTheSameCodeSize()
    {
        const int code = 2;
        var ml = new MLContext(seed: 1);
        var train = Squares(600, seed: 1);
        var test = Squares(200, seed: 2);
        var model = ml.Transforms.AutoencoderEncode(new AutoencoderEncodingEstimator.Options
        {
            LatentDimension = code, ConvolutionChannels = 8, HiddenSizes = [64], Likelihood = ReconstructionLikelihood.Bernoulli,
            Epochs = 60, BatchSize = 32, LearningRate = 3e-3, Seed = 1, NumberOfThreads = 1, ReconstructionColumnName = "Reconstruction",
        }).Fit(ml.Data.LoadFromEnumerable(train.Select(p => new SquareRow { Features = p })));
        Assert.Equal(NetworkArchitecture.Convolutional, model.Model.Options.Architecture);

        var reconstructed = Synthetic.Column(model.Transform(ml.Data.LoadFromEnumerable(test.Select(p => new SquareRow { Features = p }))), "Reconstruction");
        double autoencoder = MeanSquaredError(test, reconstructed);
        // PCA of the same rank, fitted on the training images, applied to the test images.
        double pca = PcaTestError(train, test, code);
        output.WriteLine($"test MSE: conv autoencoder {autoencoder:G4}, rank-{code} PCA {pca:G4} (ratio {autoencoder / pca:F3})");
        Assert.True(autoencoder < 0.4 * pca, $"conv autoencoder MSE {autoencoder:G4}, rank-{code} PCA MSE {pca:G4}");
    }

    private static double PcaTestError(float[][] train, float[][] test, int rank)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var x = TorchSharp.torch.tensor(train.SelectMany(r => r).ToArray(), new long[] { train.Length, train[0].Length });
        var mean = x.mean(new long[] { 0 }, keepdim: true);
        var (_, _, vh) = TorchSharp.torch.linalg.svd(x - mean, fullMatrices: false);
        var basis = vh.narrow(0, 0, rank);
        var t = TorchSharp.torch.tensor(test.SelectMany(r => r).ToArray(), new long[] { test.Length, test[0].Length }) - mean;
        return (t - t.matmul(basis.t()).matmul(basis)).square().mean().item<float>();
    }

    [Theory]
    [InlineData(1, 28, 28)]
    [InlineData(3, 32, 32)]
    [InlineData(3, 16, 24)]
    public void ConvolutionalNetworksTakeAndGiveFlatRowsForImageSidesDivisibleByFour(int channels, int height, int width)
    {
        int d = channels * height * width;
        var options = new GenModels.Torch.Vae.VaeOptions
        {
            InputDimension = d, LatentDimension = 3, HiddenSizes = [8], Architecture = NetworkArchitecture.Convolutional,
            ImageShape = [channels, height, width], ConvolutionChannels = 2,
        };
        using var vae = new GenModels.Torch.Vae.VariationalAutoencoder(options);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var x = TorchSharp.torch.rand(5, d);
        var (mean, logVar) = vae.EncodeDistribution(x);
        Assert.Equal([5L, 3L], mean.shape);
        Assert.Equal([5L, 3L], logVar.shape);
        Assert.Equal([5L, (long)d], vae.Reconstruct(x).shape);
        Assert.Equal([5L], vae.NegativeElbo(x).shape);
        using var ae = new GenModels.Torch.Autoencoders.Autoencoder(new GenModels.Torch.Autoencoders.AutoencoderOptions
        {
            InputDimension = d, LatentDimension = 3, HiddenSizes = [8], Architecture = NetworkArchitecture.Convolutional,
            ImageShape = [channels, height, width], ConvolutionChannels = 2,
        });
        Assert.Equal([5L, (long)d], ae.Reconstruct(x).shape);
    }

    [Fact]
    public void ConvolutionalNetworkOptionsRejectImageShapesTheyCannotTake()
    {
        GenModels.Torch.Vae.VaeOptions Options(int[]? shape) => new()
        {
            InputDimension = 3 * 6 * 8, LatentDimension = 2, Architecture = NetworkArchitecture.Convolutional, ImageShape = shape,
        };
        Assert.Equal("ImageShape", Assert.Throws<ArgumentOutOfRangeException>(() => Options([3, 6, 8]).Validate()).ParamName); // 6 is not divisible by 4
        Assert.Equal("ImageShape", Assert.Throws<ArgumentOutOfRangeException>(() => Options(null).Validate()).ParamName);
        Assert.Equal("ImageShape", Assert.Throws<ArgumentOutOfRangeException>(() => Options([3, 8, 8]).Validate()).ParamName); // 192 values, not 144
    }

    [Fact]
    public void TheArchitectureFollowsTheColumnShapeAndCanBeOverridden()
    {
        var ml = new MLContext(seed: 1);
        var squares = Squares(64, seed: 3);
        var shaped = ml.Data.LoadFromEnumerable(squares.Select(p => new SquareRow { Features = p }));
        var flat = ml.Data.LoadFromEnumerable(squares.Select(p => new FlatRow { Features = p }));
        var images = ml.Data.LoadFromEnumerable(squares.Select(p => new ImageRow { Image = ToImage(p) }));
        VaeEncodingEstimator.Options Options(string column, NetworkArchitecture? architecture = null) => new()
        {
            InputColumnName = column, LatentDimension = 2, ConvolutionChannels = 4, HiddenSizes = [16], Epochs = 1, Seed = 1,
            NumberOfThreads = 1, Architecture = architecture,
        };
        Assert.Equal(NetworkArchitecture.Convolutional, ArchitectureOf(Options("Features"), shaped));
        Assert.Equal(NetworkArchitecture.Mlp, ArchitectureOf(Options("Features"), flat));
        Assert.Equal(NetworkArchitecture.Convolutional, ArchitectureOf(Options("Image"), images));
        Assert.Equal(NetworkArchitecture.Mlp, ArchitectureOf(Options("Image", NetworkArchitecture.Mlp), images));
        using (var fromImages = ml.Transforms.VaeEncode(Options("Image")).Fit(images))
            Assert.Equal([3, Side, Side], fromImages.Model.Options.ImageShape!);
        // The detectors choose the same way.
        using var detector = ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options
        {
            LatentDimension = 2, ConvolutionChannels = 4, HiddenSizes = [16], Epochs = 1, Seed = 1, NumberOfThreads = 1,
        }).Fit(shaped);
        Assert.Equal(NetworkArchitecture.Convolutional, ReconstructionNetworksOptions(detector.Model).Architecture);

        NetworkArchitecture ArchitectureOf(VaeEncodingEstimator.Options options, IDataView data)
        {
            using var model = ml.Transforms.VaeEncode(options).Fit(data);
            return model.Model.Options.Architecture;
        }
    }

    private static ReconstructionNetworkOptions ReconstructionNetworksOptions(IReconstructionModel model) => model switch
    {
        GenModels.Torch.Vae.VariationalAutoencoder vae => vae.Options,
        GenModels.Torch.Autoencoders.Autoencoder ae => ae.Options,
        _ => throw new InvalidOperationException(),
    };

    [Theory]
    [InlineData(ReconstructionLikelihood.Gaussian)]
    [InlineData(ReconstructionLikelihood.Bernoulli)]
    public void AConvolutionalVaeOnAnImageColumnReconstructsImagesAndServesAPredictionEngine(ReconstructionLikelihood likelihood)
    {
        var ml = new MLContext(seed: 1);
        var squares = Squares(64, seed: 4);
        var images = ml.Data.LoadFromEnumerable(squares.Select(p => new ImageRow { Image = ToImage(p) }));
        var estimator = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options
        {
            InputColumnName = "Image", LatentDimension = 2, ConvolutionChannels = 4, HiddenSizes = [16], Likelihood = likelihood, Epochs = 2, Seed = 1,
            NumberOfThreads = 1, ReconstructionColumnName = "Reconstruction", ReconstructionErrorColumnName = "Error",
        });
        var shape = estimator.GetOutputSchema(BadInputTests.Shape(images.Schema));
        Assert.IsType<ImageDataViewType>(shape.Single(c => c.Name == "Reconstruction").ItemType);
        using var model = estimator.Fit(images);
        var scored = model.Transform(images);
        var type = Assert.IsType<ImageDataViewType>(scored.Schema["Reconstruction"].Type);
        Assert.Equal((Side, Side), (type.Height, type.Width));
        var reconstructions = scored.GetColumn<MLImage>("Reconstruction").ToArray();
        Assert.Equal(squares.Length, reconstructions.Length);
        Assert.All(scored.GetColumn<float>("Error"), e => Assert.True(float.IsFinite(e)));

        using var engine = ml.Model.CreatePredictionEngine<ImageRow, ImagePrediction>(model);
        var prediction = engine.Predict(new ImageRow { Image = ToImage(squares[3]) });
        Assert.Equal(2, prediction.Latent.Length);
        Assert.Equal((Side, Side), (prediction.Reconstruction.Width, prediction.Reconstruction.Height));
        // One row per call: the same pixels as the batch, up to float rounding before they become bytes (see README).
        var batched = reconstructions[3].Pixels.ToArray();
        var single = prediction.Reconstruction.Pixels.ToArray();
        Assert.True(batched.Zip(single).All(p => Math.Abs(p.First - p.Second) <= 1));

        // Saved and loaded, the model still reconstructs images, pixel for pixel.
        var path = Path.Combine(folder, $"image-vae-{likelihood}.zip");
        ml.Model.Save(model, null, path); // an image-only schema has no columns ML.NET can save beside the model
        var loaded = ml.Model.Load(path, out _).Transform(images);
        Assert.IsType<ImageDataViewType>(loaded.Schema["Reconstruction"].Type);
        Assert.Equal(reconstructions.SelectMany(i => i.Pixels.ToArray()), loaded.GetColumn<MLImage>("Reconstruction").SelectMany(i => i.Pixels.ToArray()));
        Assert.Equal(PersistenceTests.Bits(scored, "Latent"), PersistenceTests.Bits(loaded, "Latent"));
    }

    public sealed class ImagePrediction
    {
        public float[] Latent { get; set; } = [];
        [ImageType(Side, Side)] public MLImage Reconstruction { get; set; } = null!;
    }

    [Fact]
    public void ConvolutionalModelsSavedAndLoadedInAnotherProcessGiveIdenticalOutputs()
    {
        var ml = new MLContext(seed: 1);
        var squares = Squares(80, seed: 5);
        var data = ml.Data.LoadFromEnumerable(squares.Select(p => new SquareRow { Features = p }));
        var vae = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options
        {
            LatentDimension = 2, ConvolutionChannels = 4, HiddenSizes = [16], Likelihood = ReconstructionLikelihood.Bernoulli, Epochs = 2, Seed = 1,
            NumberOfThreads = 1, ReconstructionColumnName = "Reconstruction",
        }).Fit(data);
        var detector = ml.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionTrainer.Options
        {
            LatentDimension = 2, ConvolutionChannels = 4, HiddenSizes = [16], Epochs = 2, Seed = 1, NumberOfThreads = 1,
        }).Fit(data);
        var csv = Path.Combine(folder, "input.csv");
        File.WriteAllLines(csv, squares.Select(r => string.Join(",", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
        foreach (var (name, model, column) in new (string, ITransformer, string)[] { ("vae", vae, "Reconstruction"), ("vae", vae, "Latent"), ("detector", detector, "Score") })
        {
            var path = Path.Combine(folder, name + ".zip");
            ml.Model.Save(model, data.Schema, path);
            var result = Path.Combine(folder, column + ".txt");
            LoadProbe.Run(path, csv, Side * Side, column, result);
            Assert.Equal(PersistenceTests.Bits(model.Transform(data), column), File.ReadAllLines(result));
        }
        Assert.Equal(NetworkArchitecture.Convolutional, ((VaeEncodingTransformer)ml.Model.Load(Path.Combine(folder, "vae.zip"), out _)).Model.Options.Architecture);
    }

    [Fact]
    public void LatentTraversalDecodesTheSweptCodesAndFollowsTheFactorItLearned()
    {
        var ml = new MLContext(seed: 1);
        // One factor: the square moves along one row only.
        var squares = Squares(400, seed: 6, fixedRow: true);
        var data = ml.Data.LoadFromEnumerable(squares.Select(p => new SquareRow { Features = p }));
        using var vae = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options
        {
            LatentDimension = 1, ConvolutionChannels = 8, HiddenSizes = [32], Likelihood = ReconstructionLikelihood.Bernoulli,
            Epochs = 150, BatchSize = 32, LearningRate = 3e-3, Seed = 1, NumberOfThreads = 1,
        }).Fit(data);
        var start = SquareAt(6, (Side - Square) / 2);
        var rows = vae.LatentTraversal(start, dimension: 0, from: -2.5f, to: 2.5f, steps: 9);
        Assert.Equal(9, rows.Length);
        Assert.All(rows, r => Assert.Equal(Side * Side, r.Length));

        // The rows are the decoder's mean at the swept codes.
        using (var noGrad = TorchSharp.torch.no_grad())
        using (var codes = TorchSharp.torch.linspace(-2.5, 2.5, 9).unsqueeze(1))
        using (var decoded = vae.Model.Decode(codes))
        {
            for (int i = 0; i < 9; i++)
            {
                var expected = decoded[i].data<float>().ToArray();
                for (int j = 0; j < expected.Length; j++) Assert.Equal(expected[j], rows[i][j], 1e-5f);
            }
        }
        // Along the sweep the square's centre of mass moves one way: the coordinate encodes its position.
        var centres = rows.Select(CentreX).ToArray();
        var steps = centres.Zip(centres.Skip(1), (a, b) => b - a).ToArray();
        Assert.True(steps.All(d => d > 0) || steps.All(d => d < 0), $"centres along the sweep: {string.Join(", ", centres.Select(c => c.ToString("F2")))}");
        Assert.True(Math.Abs(centres[^1] - centres[0]) > 4, $"the sweep moved the square by {Math.Abs(centres[^1] - centres[0]):F2} pixels");

        // The IDataView overload starts from the first row of the input column.
        var fromData = vae.LatentTraversal(ml.Data.LoadFromEnumerable(new[] { new SquareRow { Features = start } }), 0, -2.5f, 2.5f, 9);
        Assert.Equal(rows, fromData);
    }

    private static double CentreX(float[] pixels)
    {
        double mass = 0, moment = 0;
        for (int i = 0; i < pixels.Length; i++) { mass += pixels[i]; moment += pixels[i] * (i % Side); }
        return moment / mass;
    }

    [Fact]
    public void LatentTraversalRejectsBadArgumentsNamingThem()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Squares(32, seed: 7).Select(p => new SquareRow { Features = p }));
        using var vae = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options
        {
            LatentDimension = 2, ConvolutionChannels = 4, HiddenSizes = [16], Epochs = 1, Seed = 1, NumberOfThreads = 1,
        }).Fit(data);
        var row = SquareAt(0, 0);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => vae.LatentTraversal(new float[3], 0, -1, 1, 5)).ParamName);
        Assert.Equal("dimension", Assert.Throws<ArgumentOutOfRangeException>(() => vae.LatentTraversal(row, 2, -1, 1, 5)).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => vae.LatentTraversal(row, 0, -1, 1, 1)).ParamName);
        Assert.Equal("to", Assert.Throws<ArgumentOutOfRangeException>(() => vae.LatentTraversal(row, 0, -1, float.NaN, 5)).ParamName);
    }

    public sealed class OddRow
    {
        [VectorType(1, 6, 6)] public float[] Features { get; set; } = new float[36];
    }

    public sealed class TwoChannelRow
    {
        [VectorType(2, 8, 8)] public float[] Features { get; set; } = new float[128];
    }

    [Theory]
    [InlineData("1×6×6", "divisible by 4")]
    [InlineData("2×8×8", "1, 3 or 4 channels")]
    public void ConvolutionalNetworksForAColumnTheyCannotTakeAreRejectedNamingTheColumn(string shape, string reason)
    {
        var ml = new MLContext(seed: 1);
        var data = shape == "1×6×6"
            ? ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(_ => new OddRow()))
            : ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(_ => new TwoChannelRow()));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.AutoencoderEncode(new AutoencoderEncodingEstimator.Options
        {
            LatentDimension = 2, Architecture = NetworkArchitecture.Convolutional, Epochs = 1,
        }).Fit(data));
        Assert.Contains("'Features'", error.Message);
        Assert.Contains(reason, error.Message);
        // Left to choose, the estimator trains an MLP on such a column.
        using var model = ml.Transforms.AutoencoderEncode(new AutoencoderEncodingEstimator.Options { LatentDimension = 2, Epochs = 1, Seed = 1 }).Fit(data);
        Assert.Equal(NetworkArchitecture.Mlp, model.Model.Options.Architecture);
    }

    [Theory]
    [InlineData("vae", "Latent,LogVar,Reconstruction,Error")]
    [InlineData("detector", "Score,PredictedLabel")]
    public void ConvolutionalModelsExportToOnnxAndComputeTheLibrarysOutputsInOnnxRuntime(string kind, string columns)
    {
        var ml = new MLContext(seed: 1);
        var squares = Squares(200, seed: 8);
        var data = ml.Data.LoadFromEnumerable(squares.Select(p => new SquareRow { Features = p }));
        ITransformer model = kind == "vae"
            ? ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options
            {
                LatentDimension = 2, ConvolutionChannels = 4, HiddenSizes = [16], Likelihood = ReconstructionLikelihood.Bernoulli, Epochs = 2, Seed = 1,
                NumberOfThreads = 1, LogVarianceColumnName = "LogVar", ReconstructionColumnName = "Reconstruction", ReconstructionErrorColumnName = "Error",
            }).Fit(data)
            : ml.AnomalyDetection.Trainers.Autoencoder(new AutoencoderAnomalyDetectionTrainer.Options
            {
                LatentDimension = 2, ConvolutionChannels = 4, HiddenSizes = [16], Activation = Activation.LeakyReLU, Epochs = 2, Seed = 1, NumberOfThreads = 1,
            }).Fit(data);
        var path = Path.Combine(folder, kind + ".onnx");
        using (var stream = File.Create(path)) ml.Model.ConvertToOnnx(model, data, stream);
        var expected = model.Transform(data);

        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        var dims = session.InputMetadata["Features"].Dimensions.Select(d => d < 0 ? squares.Length : d).ToArray();
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(squares.SelectMany(r => r).ToArray(), dims);
        using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("Features", input)]);
        foreach (var column in columns.Split(','))
        {
            var result = results.Single(r => r.Name == column + ".output");
            if (expected.Schema[column].Type is BooleanDataViewType)
            {
                Assert.Equal(expected.GetColumn<bool>(column).ToArray(), result.AsEnumerable<bool>().ToArray());
                continue;
            }
            var want = expected.Schema[column].Type is VectorDataViewType
                ? expected.GetColumn<VBuffer<float>>(column).SelectMany(v => v.DenseValues()).ToArray()
                : expected.GetColumn<float>(column).ToArray();
            var onnx = result.AsEnumerable<float>().ToArray();
            Assert.Equal(want.Length, onnx.Length);
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(want[i] - onnx[i]) <= 1e-4 * Math.Max(1, Math.Abs(want[i])), $"{column}[{i}]: library {want[i]}, ONNX Runtime {onnx[i]}");
        }
    }
}
