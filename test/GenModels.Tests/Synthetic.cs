using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.Tests;

/// <summary>Small data sets whose structure is known, made by the tests themselves.</summary>
public static class Synthetic
{
    public const int Dimension = 8;

    public sealed class Row
    {
        [VectorType(Dimension)] public float[] Features { get; set; } = [];
        public string Tag { get; set; } = "";
        public float Weight { get; set; }
    }

    /// <summary>
    /// Points on a curved one-dimensional manifold in 8 dimensions: x = A·[sin 3t, cos 3t, t², sin 5t, t] for t in [−1, 1],
    /// with a fixed random mixing A and small noise. One principal component cannot follow the curve; a 1-D code can.
    /// </summary>
    public static Row[] CurvedManifold(int count, int seed, float noise = 0.01f, float offset = 0f)
    {
        var mixing = new Random(1234);
        var a = new float[Dimension, 5];
        for (int i = 0; i < Dimension; i++) for (int j = 0; j < 5; j++) a[i, j] = (float)(mixing.NextDouble() * 2 - 1);
        var rnd = new Random(seed);
        var rows = new Row[count];
        for (int r = 0; r < count; r++)
        {
            double t = rnd.NextDouble() * 2 - 1;
            var basis = new[] { Math.Sin(3 * t), Math.Cos(3 * t), t * t, Math.Sin(5 * t), t };
            var x = new float[Dimension];
            for (int i = 0; i < Dimension; i++)
            {
                double v = 0;
                for (int j = 0; j < 5; j++) v += a[i, j] * basis[j];
                x[i] = (float)(v * 0.5 + offset + noise * Gaussian(rnd));
            }
            rows[r] = new Row { Features = x, Tag = $"row{r}", Weight = r };
        }
        return rows;
    }

    public static IDataView Load(MLContext ml, IEnumerable<Row> rows) => ml.Data.LoadFromEnumerable(rows);

    public static double Gaussian(Random rnd) => Math.Sqrt(-2 * Math.Log(1 - rnd.NextDouble())) * Math.Cos(2 * Math.PI * rnd.NextDouble());

    /// <summary>Reads a vector column into arrays.</summary>
    public static float[][] Column(IDataView data, string name) =>
        data.GetColumn<VBuffer<float>>(name).Select(v => v.DenseValues().ToArray()).ToArray();

    /// <summary>Mean squared error per element of a linear PCA reconstruction with <paramref name="components"/> components.</summary>
    public static double PcaReconstructionError(float[][] rows, int components)
    {
        using var x = TorchSharp.torch.tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });
        using var mean = x.mean(new long[] { 0 }, keepdim: true);
        using var centred = x - mean;
        var (_, _, vh) = TorchSharp.torch.linalg.svd(centred, fullMatrices: false);
        using var basis = vh.narrow(0, 0, components);
        using var reconstruction = centred.matmul(basis.t()).matmul(basis);
        return (centred - reconstruction).square().mean().item<float>();
    }
}
