using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using GenModels.MLNet;
using GenModels.Datasets;
using GenModels.MLNet.Vae;
using GenModels.Torch.Networks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using static TorchSharp.torch;

namespace GenModels.Tests;

public class FashionMnistTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("genmodels-fmnist-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static byte[] Idx(int rank, int[] dims, byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            void Int(int v) => gzip.Write([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
            Int(0x0800 | rank);
            foreach (var d in dims) Int(d);
            gzip.Write(data);
        }
        return buffer.ToArray();
    }

    private static Dictionary<string, byte[]> TinyDataSet()
    {
        var images = Enumerable.Range(0, 3 * 784).Select(i => (byte)(i % 256)).ToArray();
        return new()
        {
            ["train-images-idx3-ubyte.gz"] = Idx(3, [3, 28, 28], images),
            ["train-labels-idx1-ubyte.gz"] = Idx(1, [3], [9, 0, 4]),
            ["t10k-images-idx3-ubyte.gz"] = Idx(3, [1, 28, 28], images[..784]),
            ["t10k-labels-idx1-ubyte.gz"] = Idx(1, [1], [7]),
        };
    }

    /// <summary>Serves <paramref name="files"/> over HTTP on the loopback interface, as the official site would.</summary>
    private static (HttpListener Listener, Uri BaseUri) Serve(Dictionary<string, byte[]> files)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var listener = new HttpListener();
        var prefix = $"http://127.0.0.1:{port}/fmnist/";
        listener.Prefixes.Add(prefix);
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); } catch { return; }
                var name = context.Request.Url!.Segments[^1];
                if (files.TryGetValue(name, out var bytes)) { context.Response.StatusCode = 200; await context.Response.OutputStream.WriteAsync(bytes); }
                else context.Response.StatusCode = 404;
                context.Response.Close();
            }
        });
        return (listener, new Uri(prefix));
    }

    [Fact]
    public async Task DownloadFetchesTheFourFilesOverHttpAndTheyRead()
    {
        var (listener, baseUri) = Serve(TinyDataSet());
        using var _ = listener;
        var target = Path.Combine(folder, "downloaded");
        await FashionMnist.DownloadAsync(target, baseUri);
        Assert.Equal(target, FashionMnist.Locate(target));
        var (pixels, labels, count) = FashionMnist.ReadSplit(target, train: true);
        Assert.Equal(3, count);
        Assert.Equal(new byte[] { 9, 0, 4 }, labels);
        Assert.Equal(255 / 255f, pixels[255]);
        var data = FashionMnist.Load(new MLContext(1), target, train: false);
        Assert.Equal(new[] { "Sneaker" }, data.GetColumn<string>("Label"));
    }

    [Fact]
    public async Task BrokenDownloadIsRejectedAndLeavesNoFile()
    {
        var files = TinyDataSet();
        files["train-labels-idx1-ubyte.gz"] = files["train-labels-idx1-ubyte.gz"][..10];
        var (listener, baseUri) = Serve(files);
        using var _ = listener;
        var target = Path.Combine(folder, "broken");
        await Assert.ThrowsAsync<InvalidDataException>(() => FashionMnist.DownloadAsync(target, baseUri));
        Assert.False(File.Exists(Path.Combine(target, "train-labels-idx1-ubyte.gz")));
        Assert.Empty(Directory.GetFiles(target, "*.download"));
        files = TinyDataSet();
        files.Remove("t10k-images-idx3-ubyte.gz");
        var (listener404, base404) = Serve(files);
        using var __ = listener404;
        await Assert.ThrowsAsync<HttpRequestException>(() => FashionMnist.DownloadAsync(Path.Combine(folder, "missing"), base404));
    }

    /// <summary>Real data: the test command installs Debian's dataset-fashion-mnist (or set FASHION_MNIST_DIR).</summary>
    [Fact]
    public void VaeOnRealFashionMnistLearnsAFarBetterDensityThanItStartedWith()
    {
        var source = FashionMnist.Locate() ?? throw new InvalidOperationException(
            "Fashion-MNIST was not found: run the README's test command (it installs dataset-fashion-mnist) or set FASHION_MNIST_DIR.");
        var ml = new MLContext(seed: 1);
        var train = FashionMnist.Load(ml, source, train: true, maxCount: 6000);
        var options = new VaeEncodingEstimator.Options
        {
            LatentDimension = 20, HiddenSizes = [400], Likelihood = ReconstructionLikelihood.Bernoulli, Epochs = 3, Seed = 1,
        };
        options.Epochs = 1;
        options.LearningRate = 1e-12; // one epoch that barely moves the weights: the starting point's density
        using var initial = ml.Transforms.VaeEncode(options).Fit(train);
        options.LearningRate = 1e-3;
        options.Epochs = 3;
        using var trained = ml.Transforms.VaeEncode(options).Fit(train);
        var (pixels, _, count) = FashionMnist.ReadSplit(source, train: false, maxCount: 2000);
        using var test = tensor(pixels, new long[] { count, FashionMnist.ImageSize });
        using var noGrad = no_grad();
        double before = initial.Model.NegativeElbo(test).mean().item<float>();
        double after = trained.Model.NegativeElbo(test).mean().item<float>();
        Assert.True(after < 0.7 * before && after < 350, $"test −ELBO went from {before:F1} to {after:F1} nats");
    }
}
