using GenModels.MLNet.Data;
using GenModels.Torch;
using GenModels.Torch.Evaluation;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace GenModels.MLNet.Diffusion;

/// <summary>Options of <c>mlContext.Generative().Evaluate(...)</c>: what to compare, on which features, with how many rows.</summary>
public sealed class GeneratorEvaluationOptions
{
    /// <summary>The vector column to compare (after <see cref="Featurizer"/>, when one is given): a known-size vector of Single.</summary>
    public string FeatureColumnName = "Features";
    /// <summary>
    /// An optional fitted transform applied to both data sets before comparing, to measure in a feature space of your
    /// choice: a classifier's hidden layer, a VAE's latent mean (<c>VaeEncode</c>), a normaliser.
    /// </summary>
    public ITransformer? Featurizer;
    /// <summary>Rows drawn (seeded, uniformly, while the data streams) from each data set when it holds more (at least 10).</summary>
    public int MaxRows = 5000;
    /// <summary>Blocks of the kernel distance.</summary>
    public int KernelBlocks = 10;
    /// <summary>Rows per block of the kernel distance (capped by the sample sizes).</summary>
    public int KernelBlockSize = 1000;
    /// <summary>k of the k-nearest-neighbour manifolds of precision and recall.</summary>
    public int NearestNeighbours = 3;
    /// <summary>Seed of the row sampling and of the kernel distance's blocks.</summary>
    public int Seed;
    /// <summary>
    /// For a conditional generator: a fitted classifier (trained on real rows) applied to the generated rows. With it,
    /// <see cref="GeneratorEvaluation.ClassAccuracy"/> holds its accuracy per requested class ("GAN-test").
    /// </summary>
    public ITransformer? Classifier;
    /// <summary>The generated rows' class column (the generator's label column).</summary>
    public string LabelColumnName = "Label";
    /// <summary>The classifier's output column of predicted classes.</summary>
    public string PredictedLabelColumnName = "PredictedLabel";

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(FeatureColumnName)) throw new ArgumentException("A column name is required.", nameof(FeatureColumnName));
        if (MaxRows < 10) throw new ArgumentOutOfRangeException(nameof(MaxRows), MaxRows, "Compare at least 10 rows of each data set.");
        if (KernelBlocks < 1) throw new ArgumentOutOfRangeException(nameof(KernelBlocks), KernelBlocks, "At least one block is needed.");
        if (KernelBlockSize < 2) throw new ArgumentOutOfRangeException(nameof(KernelBlockSize), KernelBlockSize, "A block needs at least 2 rows.");
        if (NearestNeighbours < 1) throw new ArgumentOutOfRangeException(nameof(NearestNeighbours), NearestNeighbours, "k must be at least 1.");
    }
}

/// <summary>How close generated rows are to real ones.</summary>
/// <param name="RealRows">Real rows compared.</param>
/// <param name="GeneratedRows">Generated rows compared.</param>
/// <param name="FrechetDistance">Fréchet distance between Gaussians fitted to both (0 = same mean and covariance).</param>
/// <param name="KernelDistance">Kernel inception-style distance: unbiased MMD² with a cubic kernel, mean over blocks (about 0 for the same distribution).</param>
/// <param name="KernelDistanceStandardDeviation">Its standard deviation over blocks.</param>
/// <param name="KernelBlockSize">Rows per block of the kernel distance.</param>
/// <param name="Precision">Share of generated rows inside the real rows' k-NN manifold: are the samples realistic?</param>
/// <param name="Recall">Share of real rows inside the generated rows' k-NN manifold: is every part of the data produced?</param>
/// <param name="ClassAccuracy">With a classifier: its accuracy on the generated rows of each requested class; else empty.</param>
public sealed record GeneratorEvaluation(int RealRows, int GeneratedRows, double FrechetDistance, double KernelDistance,
    double KernelDistanceStandardDeviation, int KernelBlockSize, double Precision, double Recall, IReadOnlyDictionary<string, double> ClassAccuracy)
{
    /// <summary>Mean of <see cref="ClassAccuracy"/> over classes (NaN without a classifier).</summary>
    public double MeanClassAccuracy => ClassAccuracy.Count == 0 ? double.NaN : ClassAccuracy.Values.Average();
}

/// <summary>Compares generated rows with real ones: the one evaluation of every generator of the library, or of any data view.</summary>
internal static class GeneratorEvaluator
{
    public static GeneratorEvaluation Evaluate(IDataView real, IDataView generated, GeneratorEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TorchRuntime.EnsureLoaded();
        var realFeatures = options.Featurizer?.Transform(real) ?? real;
        var generatedFeatures = options.Featurizer?.Transform(generated) ?? generated;
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)options.Seed);
        var x = Read(realFeatures, options, "real", options.Seed);
        var y = Read(generatedFeatures, options, "generated", options.Seed + 1);
        if (x.shape[1] != y.shape[1])
            throw new ArgumentException($"Column '{options.FeatureColumnName}' has {x.shape[1]} values per real row but {y.shape[1]} per generated row.", nameof(generated));
        var (kid, kidSd) = DistributionMetrics.KernelDistance(x, y, options.KernelBlocks, options.KernelBlockSize, generator);
        var (precision, recall) = DistributionMetrics.PrecisionRecall(x, y, options.NearestNeighbours);
        return new GeneratorEvaluation((int)x.shape[0], (int)y.shape[0], DistributionMetrics.FrechetDistance(x, y), kid, kidSd,
            (int)Math.Min(options.KernelBlockSize, Math.Min(x.shape[0], y.shape[0])), precision, recall,
            options.Classifier is null ? new Dictionary<string, double>() : ClassAccuracy(options.Classifier.Transform(generated), options));
    }

    /// <summary>A seeded sample of at most MaxRows rows of the feature column, streamed (only the sample is held).</summary>
    private static Tensor Read(IDataView data, GeneratorEvaluationOptions options, string which, int seed)
    {
        int dimension = TrainingData.CheckVectorColumn(data.Schema, options.FeatureColumnName);
        var (values, rows) = TrainingData.SampleVectors(data, options.FeatureColumnName, dimension, options.MaxRows, seed);
        if (rows < 2) throw new ArgumentException($"The {which} data has {rows} row(s); comparing distributions needs at least 2.", which);
        return TorchSharp.torch.tensor(values, [rows, (long)dimension]);
    }

    /// <summary>Accuracy of the classifier's predicted class against the requested class, per requested class.</summary>
    private static Dictionary<string, double> ClassAccuracy(IDataView classified, GeneratorEvaluationOptions options)
    {
        var requested = Labels(classified, options.LabelColumnName, "label");
        var predicted = Labels(classified, options.PredictedLabelColumnName, "predicted label");
        return requested.Zip(predicted).GroupBy(p => p.First).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(p => p.First == p.Second) / (double)g.Count());
    }

    /// <summary>A class column as text: text itself, or a key's value (its key values, else its number).</summary>
    private static List<string> Labels(IDataView data, string columnName, string role)
    {
        var column = data.Schema.GetColumnOrNull(columnName) ?? throw Errors.MissingColumn("data", role, columnName);
        var result = new List<string>();
        using var cursor = data.GetRowCursor([column]);
        if (column.Type is TextDataViewType)
        {
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> value = default;
            while (cursor.MoveNext()) { getter(ref value); result.Add(value.ToString()); }
        }
        else if (column.Type is KeyDataViewType)
        {
            string[]? names = null;
            if (column.HasKeyValues())
            {
                VBuffer<ReadOnlyMemory<char>> keyValues = default;
                column.GetKeyValues(ref keyValues);
                names = keyValues.DenseValues().Select(v => v.ToString()).ToArray();
            }
            var getter = cursor.GetGetter<uint>(column);
            uint key = 0;
            while (cursor.MoveNext())
            {
                getter(ref key);
                result.Add(key == 0 ? "" : names is not null && key <= names.Length ? names[key - 1] : key.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        else throw Errors.SchemaMismatch("data", role, columnName, "Text or Key", Errors.Describe(column.Type));
        return result;
    }
}
