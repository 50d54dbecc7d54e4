using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.Datasets;

/// <summary>
/// Fashion-MNIST (Zalando, MIT licence): 70,000 grey 28×28 images of clothing in 10 classes, read from the original IDX
/// files. <see cref="Locate"/> finds a local copy (for example Debian's <c>dataset-fashion-mnist</c> package);
/// <see cref="DownloadAsync"/> fetches the official files.
/// </summary>
public static class FashionMnist
{
    /// <summary>Pixels per image.</summary>
    public const int ImageSize = 28 * 28;

    /// <summary>Class names, by label index.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Where the official files are served.</summary>
    public static readonly Uri OfficialBaseUri = new("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package puts the files.</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The four file names of the data set.</summary>
    public static readonly IReadOnlyList<string> FileNames =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    /// <summary>Per-user download folder used when no other copy exists.</summary>
    public static string DefaultDownloadFolder =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "GenModels", "fashion-mnist");

    /// <summary>
    /// The first folder holding all four files: <paramref name="folder"/>, the <c>FASHION_MNIST_DIR</c> environment variable,
    /// Debian's package folder, then <see cref="DefaultDownloadFolder"/>; null when none has them.
    /// </summary>
    public static string? Locate(string? folder = null)
    {
        var candidates = new[] { folder, Environment.GetEnvironmentVariable("FASHION_MNIST_DIR"), DebianFolder, DefaultDownloadFolder };
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && FileNames.All(f => File.Exists(Path.Combine(c, f))));
    }

    /// <summary>
    /// Downloads the four files from <paramref name="baseUri"/> (default: the official site) into <paramref name="folder"/>,
    /// checking each is a well-formed IDX file of the expected shape before it is moved into place. Returns the folder.
    /// </summary>
    public static async Task<string> DownloadAsync(string? folder = null, Uri? baseUri = null, HttpClient? client = null,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        folder ??= DefaultDownloadFolder;
        baseUri ??= OfficialBaseUri;
        Directory.CreateDirectory(folder);
        var http = client ?? new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        try
        {
            foreach (var name in FileNames)
            {
                var target = Path.Combine(folder, name);
                if (File.Exists(target)) continue;
                var uri = new Uri(baseUri, name);
                progress?.Report($"Downloading {uri}");
                var temporary = target + ".download";
                try
                {
                    using (var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false))
                    {
                        if (!response.IsSuccessStatusCode)
                            throw new HttpRequestException($"Downloading {uri} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
                        await using var file = File.Create(temporary);
                        await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                    }
                    ReadIdx(temporary, name.Contains("images") ? 3 : 1); // reject a truncated or wrong download
                    File.Move(temporary, target, overwrite: true);
                }
                finally
                {
                    if (File.Exists(temporary)) File.Delete(temporary);
                }
            }
        }
        finally
        {
            if (client is null) http.Dispose();
        }
        return folder;
    }

    /// <summary>Images as [count × 784] floats in [0, 1] and labels 0–9 of one split.</summary>
    public static (float[] Pixels, byte[] Labels, int Count) ReadSplit(string folder, bool train, int? maxCount = null)
    {
        string prefix = train ? "train" : "t10k";
        var (images, imageDims) = ReadIdx(Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), 3);
        var (labels, labelDims) = ReadIdx(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"), 1);
        if (imageDims[1] * imageDims[2] != ImageSize || imageDims[0] != labelDims[0])
            throw new InvalidDataException($"The {prefix} files in '{folder}' do not hold matching 28×28 images and labels.");
        int count = Math.Min(imageDims[0], maxCount ?? int.MaxValue);
        var pixels = new float[count * ImageSize];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = images[i] / 255f;
        return (pixels, labels[..count], count);
    }

    /// <summary>
    /// One split as an <see cref="IDataView"/>: <c>Features</c> (Vector&lt;Single, 784&gt; in [0, 1], or Vector&lt;Single, 1, 28, 28&gt;
    /// when <paramref name="asImage"/>), <c>Label</c> (class name) and <c>LabelIndex</c> (Single 0–9).
    /// </summary>
    public static IDataView Load(MLContext mlContext, string folder, bool train, int? maxCount = null, bool asImage = false)
    {
        var (pixels, labels, count) = ReadSplit(folder, train, maxCount);
        if (asImage)
            return mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(i => new ImageTensorRow
            {
                Features = pixels.AsSpan(i * ImageSize, ImageSize).ToArray(),
                Label = ClassNames[labels[i]],
                LabelIndex = labels[i],
            }).ToArray());
        var rows = Enumerable.Range(0, count).Select(i => new ImageRow
        {
            Features = pixels.AsSpan(i * ImageSize, ImageSize).ToArray(),
            Label = ClassNames[labels[i]],
            LabelIndex = labels[i],
        });
        return mlContext.Data.LoadFromEnumerable(rows.ToArray());
    }

    /// <summary>A row of <see cref="Load"/>.</summary>
    public sealed class ImageRow
    {
        /// <summary>784 pixel intensities in [0, 1], row by row.</summary>
        [VectorType(ImageSize)] public float[] Features { get; set; } = [];
        /// <summary>Class name.</summary>
        public string Label { get; set; } = "";
        /// <summary>Class index 0–9.</summary>
        public float LabelIndex { get; set; }
    }

    /// <summary>A row of <see cref="Load"/> with <c>asImage</c>: the pixels shaped as one channel of 28×28.</summary>
    public sealed class ImageTensorRow
    {
        /// <summary>784 pixel intensities in [0, 1], as Vector&lt;Single, 1, 28, 28&gt;.</summary>
        [VectorType(1, 28, 28)] public float[] Features { get; set; } = [];
        /// <summary>Class name.</summary>
        public string Label { get; set; } = "";
        /// <summary>Class index 0–9.</summary>
        public float LabelIndex { get; set; }
    }

    /// <summary>Reads a gzip-compressed IDX file of unsigned bytes with <paramref name="rank"/> dimensions.</summary>
    public static (byte[] Data, int[] Dimensions) ReadIdx(string path, int rank)
    {
        try
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var reader = new BinaryReader(gzip);
            int magic = ReadBigEndian(reader);
            if (magic != (0x0800 | rank))
                throw new InvalidDataException($"'{path}' is not an IDX file of unsigned bytes with {rank} dimension(s) (magic 0x{magic:x8}).");
            var dims = Enumerable.Range(0, rank).Select(_ => ReadBigEndian(reader)).ToArray();
            long size = dims.Aggregate(1L, (a, d) => a * d);
            if (dims.Any(d => d <= 0) || size > Array.MaxLength) throw new InvalidDataException($"'{path}' has invalid dimensions {string.Join("×", dims)}.");
            var data = reader.ReadBytes((int)size);
            if (data.Length != size) throw new InvalidDataException($"'{path}' is truncated: {data.Length} of {size} bytes.");
            return (data, dims);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException && e.Message.IndexOf(path, StringComparison.Ordinal) < 0)
        {
            throw new InvalidDataException($"'{path}' is not a readable gzip IDX file: {e.Message}", e);
        }
    }

    private static int ReadBigEndian(BinaryReader reader)
    {
        var b = reader.ReadBytes(4);
        if (b.Length < 4) throw new EndOfStreamException("The IDX header is truncated.");
        return (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    }
}
