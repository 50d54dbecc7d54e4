using static TorchSharp.torch;

namespace GenModels.Torch.Evaluation;

/// <summary>
/// Distances between a sample of real rows and a sample of generated rows ([n, d] tensors), computed in double precision:
/// Fréchet distance, kernel inception-style distance (KID) and k-nearest-neighbour precision and recall.
/// </summary>
public static class DistributionMetrics
{
    /// <summary>
    /// The Fréchet distance between Gaussians fitted to the two samples: ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) (Heusel et al.
    /// 2017, FID when the rows are Inception features). 0 for identical distributions, up to sampling noise.
    /// </summary>
    public static double FrechetDistance(Tensor real, Tensor generated)
    {
        using var scope = NewDisposeScope();
        var (mean1, cov1) = MeanAndCovariance(real);
        var (mean2, cov2) = MeanAndCovariance(generated);
        // Tr((Σ₁Σ₂)^½) = Σ √λ of the symmetric √Σ₁·Σ₂·√Σ₁, which eigh handles stably (Σ₁Σ₂ itself is not symmetric).
        var root1 = SymmetricSquareRoot(cov1);
        var middle = root1.matmul(cov2).matmul(root1);
        middle = (middle + middle.t()) / 2;
        var traceRoot = linalg.eigvalsh(middle).clamp_min(0).sqrt().sum();
        var distance = (mean1 - mean2).square().sum() + cov1.trace() + cov2.trace() - 2 * traceRoot;
        return Math.Max(0, distance.item<double>());
    }

    /// <summary>
    /// The kernel inception-style distance (Bińkowski et al. 2018): the unbiased MMD² with the cubic polynomial kernel
    /// k(x, y) = (x·y/d + 1)³, averaged over <paramref name="blocks"/> random blocks of <paramref name="blockSize"/> rows from
    /// each sample, with the standard deviation over blocks. Unbiased: about 0 (and possibly slightly negative) for
    /// identical distributions.
    /// </summary>
    public static (double Mean, double StandardDeviation) KernelDistance(Tensor real, Tensor generated, int blocks, int blockSize, Generator generator)
    {
        if (blocks < 1) throw new ArgumentOutOfRangeException(nameof(blocks), blocks, "At least one block is needed.");
        using var scope = NewDisposeScope();
        var x = real.to_type(ScalarType.Float64);
        var y = generated.to_type(ScalarType.Float64);
        int m = (int)Math.Min(blockSize, Math.Min(x.shape[0], y.shape[0]));
        if (m < 2) throw new ArgumentException("The kernel distance needs at least 2 rows in each sample.");
        long d = x.shape[1];
        var values = new double[blocks];
        for (int b = 0; b < blocks; b++)
        {
            using var blockScope = NewDisposeScope();
            var xb = x.index_select(0, randperm(x.shape[0], generator: generator).narrow(0, 0, m));
            var yb = y.index_select(0, randperm(y.shape[0], generator: generator).narrow(0, 0, m));
            Tensor Kernel(Tensor a, Tensor c) => (a.matmul(c.t()) / d + 1).pow(3);
            var kxx = Kernel(xb, xb);
            var kyy = Kernel(yb, yb);
            var kxy = Kernel(xb, yb);
            double offDiagonal = m * (m - 1.0);
            values[b] = ((kxx.sum() - kxx.diagonal().sum()) / offDiagonal + (kyy.sum() - kyy.diagonal().sum()) / offDiagonal
                - 2 * kxy.sum() / ((double)m * m)).item<double>();
        }
        double mean = values.Average();
        double sd = blocks > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (blocks - 1)) : 0;
        return (mean, sd);
    }

    /// <summary>
    /// Improved precision and recall (Kynkäänniemi et al. 2019). Each sample's manifold is the union of balls around its
    /// rows whose radius is the distance to the k-th nearest neighbour in the same sample. Precision is the share of
    /// generated rows inside the real manifold (are samples realistic?); recall is the share of real rows inside the
    /// generated manifold (is every part of the data produced?).
    /// </summary>
    public static (double Precision, double Recall) PrecisionRecall(Tensor real, Tensor generated, int k = 3)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        using var scope = NewDisposeScope();
        var x = real.to_type(ScalarType.Float64);
        var y = generated.to_type(ScalarType.Float64);
        if (x.shape[0] <= k || y.shape[0] <= k) throw new ArgumentException($"Precision and recall with k = {k} need more than {k} rows in each sample.");
        var realRadii = KthNeighbourDistance(x, k);
        var generatedRadii = KthNeighbourDistance(y, k);
        return (ShareInside(y, x, realRadii), ShareInside(x, y, generatedRadii));
    }

    private static (Tensor Mean, Tensor Covariance) MeanAndCovariance(Tensor rows)
    {
        var x = rows.to_type(ScalarType.Float64);
        long n = x.shape[0];
        if (n < 2) throw new ArgumentException("The Fréchet distance needs at least 2 rows in each sample.");
        var mean = x.mean([0]);
        var centred = x - mean;
        return (mean, centred.t().matmul(centred) / (n - 1));
    }

    private static Tensor SymmetricSquareRoot(Tensor matrix)
    {
        var (values, vectors) = linalg.eigh(matrix);
        return vectors.matmul(diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
    }

    /// <summary>For each row, the distance to its k-th nearest other row in the same sample (computed in chunks).</summary>
    private static Tensor KthNeighbourDistance(Tensor x, int k)
    {
        long n = x.shape[0];
        var radii = empty(n, dtype: ScalarType.Float64);
        const long chunk = 1024;
        for (long start = 0; start < n; start += chunk)
        {
            using var s = NewDisposeScope();
            long count = Math.Min(chunk, n - start);
            var distances = cdist(x.narrow(0, start, count), x);
            // The smallest distance is the row itself (0), so the k-th neighbour is the (k + 1)-th smallest.
            radii.narrow(0, start, count).copy_(distances.topk(k + 1, dim: 1, largest: false).values.select(1, k));
        }
        return radii;
    }

    /// <summary>The share of <paramref name="queries"/> within radius[j] of some row j of <paramref name="reference"/>.</summary>
    private static double ShareInside(Tensor queries, Tensor reference, Tensor radius)
    {
        long n = queries.shape[0], inside = 0;
        const long chunk = 1024;
        for (long start = 0; start < n; start += chunk)
        {
            using var s = NewDisposeScope();
            long count = Math.Min(chunk, n - start);
            var distances = cdist(queries.narrow(0, start, count), reference);
            inside += distances.le(radius.unsqueeze(0)).any(1).sum().item<long>();
        }
        return (double)inside / n;
    }
}
