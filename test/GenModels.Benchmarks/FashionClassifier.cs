// The judge of the Fashion-MNIST image benchmarks (translation, diffusion): a small fixed-seed CNN classifier on 32×32
// images whose accuracy scores generated or translated images and whose hidden activations are the features of the
// Fréchet and kernel distances.
namespace GenModels.Benchmarks;

using static TorchSharp.torch;

/// <summary>
/// The judge of the image benchmarks: two convolutions (32 and 64 channels, 3×3, each followed by ReLU and 2×2 max
/// pooling), a 128-unit hidden layer whose activations are the features of the Fréchet distance, and 10 class logits.
/// </summary>
public sealed class FashionClassifier : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> features;
    private readonly nn.Module<Tensor, Tensor> head;
    private const int Size = FashionEdges.Size;

    private FashionClassifier() : base(nameof(FashionClassifier))
    {
        features = nn.Sequential(
            ("conv1", nn.Conv2d(1, 32, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),   // 32×16×16
            ("conv2", nn.Conv2d(32, 64, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),  // 64×8×8
            ("flatten", nn.Flatten()), ("hidden", nn.Linear(64 * 8 * 8, 128)), ("relu3", nn.ReLU()));       // 128
        head = nn.Linear(128, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.forward(features.forward(x));

    /// <summary>Trains on <paramref name="images"/> with Adam (1e-3), batches of 64, seeded weights and order.</summary>
    public static FashionClassifier Train(float[][] images, byte[] labels, int epochs, int seed)
    {
        var model = GenModels.Torch.Networks.TorchRandom.Seeded(seed, () => new FashionClassifier());
        using var x = Stack(images);
        using var y = tensor(labels.Select(l => (long)l).ToArray());
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        using var generator = new Generator((ulong)seed);
        model.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            using var order = randperm(images.Length, generator: generator);
            for (int start = 0; start < images.Length; start += 64)
            {
                using var scope = NewDisposeScope();
                var index = order.narrow(0, start, Math.Min(64, images.Length - start));
                var loss = nn.functional.cross_entropy(model.forward(x.index_select(0, index)), y.index_select(0, index));
                optimizer.zero_grad(); loss.backward(); optimizer.step();
            }
        }
        model.eval();
        return model;
    }

    /// <summary>The share of <paramref name="images"/> classified as <paramref name="labels"/>.</summary>
    public double Accuracy(float[][] images, byte[] labels)
    {
        long correct = 0;
        Batches(images, (start, x) => correct += head.forward(features.forward(x)).argmax(1).eq(tensor(labels[start..(start + (int)x.shape[0])].Select(l => (long)l).ToArray())).sum().item<long>());
        return (double)correct / images.Length;
    }

    /// <summary>The 128 hidden activations of each image, [n, 128].</summary>
    public Tensor Features(float[][] images)
    {
        var result = empty(images.Length, 128);
        Batches(images, (start, x) => result.narrow(0, start, x.shape[0]).copy_(features.forward(x)));
        return result;
    }

    private void Batches(float[][] images, Action<int, Tensor> use)
    {
        using var noGrad = no_grad();
        for (int start = 0; start < images.Length; start += 500)
        {
            using var scope = NewDisposeScope();
            use(start, Stack(images[start..Math.Min(images.Length, start + 500)]));
        }
    }

    private static Tensor Stack(float[][] images) => tensor(images.SelectMany(i => i).ToArray(), [images.Length, 1, Size, Size]);
}
