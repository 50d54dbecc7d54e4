namespace GenModels.MLNet.Tabular;

/// <summary>One mode of a numeric column under mode-specific normalisation: a Gaussian component of the column's values.</summary>
/// <param name="Weight">Share of the training values the component holds.</param>
/// <param name="Mean">The component's mean.</param>
/// <param name="StandardDeviation">The component's standard deviation (at least a small floor, so a point mass such as a run of zeros has one).</param>
public sealed record NumericMode(double Weight, double Mean, double StandardDeviation);

/// <summary>
/// A one-dimensional Gaussian mixture fitted by EM: the modes of CTGAN's mode-specific normalisation. CTGAN fits a
/// variational Bayesian mixture whose prior switches unneeded components off; this is plain maximum-likelihood EM instead.
/// Every component count from 1 to <c>maxModes</c> is fitted (components start at quantiles) on up to
/// <see cref="SelectionValues"/> values, and the count with the smallest BIC is kept, so that two clear modes stay two
/// rather than being cut into ten; that count is refitted on up to <see cref="MaxValues"/> values, components holding
/// less than <see cref="MinWeight"/> of the values are dropped and the rest refitted. It is deterministic: the seed only
/// picks which values are used on a long column.
/// </summary>
internal static class ModeMixture
{
    /// <summary>Components with a smaller share are dropped (CTGAN's weight threshold).</summary>
    public const double MinWeight = 0.005;
    /// <summary>Values used for the fit; longer columns are subsampled (seeded).</summary>
    public const int MaxValues = 20_000;
    /// <summary>Values used to choose the component count.</summary>
    public const int SelectionValues = 4_000;
    private const int Iterations = 100, RefitIterations = 20;

    /// <summary>Fits up to <paramref name="maxModes"/> modes to <paramref name="values"/> (present values only, at least one).</summary>
    public static NumericMode[] Fit(IReadOnlyList<double> values, int maxModes, int seed)
    {
        var x = Subsample(values, MaxValues, seed);
        Array.Sort(x);
        double mean = x.Average();
        double std = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / x.Length);
        // The floor keeps a point mass (many equal values) from collapsing to σ = 0: a thousandth of the column's spread.
        double floor = Math.Max(1e-3 * std, 1e-9 * Math.Max(1, Math.Abs(mean)));
        int distinct = 1;
        for (int i = 1; i < x.Length; i++) if (x[i] != x[i - 1]) distinct++;
        int most = Math.Min(maxModes, distinct);
        if (most == 1 || std <= floor) return [new NumericMode(1, mean, Math.Max(std, floor))];

        // The component count: smallest BIC = −2 log L + (3k − 1) ln n over k = 1 … most, on a subsample.
        var selection = x.Length <= SelectionValues ? x : Subsample(x, SelectionValues, seed + 1);
        int k = 1;
        double best = double.PositiveInfinity;
        for (int candidate = 1; candidate <= most; candidate++)
        {
            var (cw, cmu, csigma) = Start(selection, candidate, std, floor);
            double bic = -2 * Em(selection, cw, cmu, csigma, floor, Iterations) + (3 * candidate - 1) * Math.Log(selection.Length);
            if (bic < best) { best = bic; k = candidate; }
        }

        var (w, mu, sigma) = Start(x, k, std, floor);
        Em(x, w, mu, sigma, floor, Iterations);

        var kept = Enumerable.Range(0, w.Length).Where(j => w[j] >= MinWeight).ToArray();
        if (kept.Length < w.Length)
        {
            w = kept.Select(j => w[j]).ToArray();
            mu = kept.Select(j => mu[j]).ToArray();
            sigma = kept.Select(j => sigma[j]).ToArray();
            double total = w.Sum();
            for (int j = 0; j < w.Length; j++) w[j] /= total;
            Em(x, w, mu, sigma, floor, RefitIterations);
        }
        return Enumerable.Range(0, w.Length).OrderBy(j => mu[j]).Select(j => new NumericMode(w[j], mu[j], sigma[j])).ToArray();
    }

    /// <summary>The index of the mode most likely to have produced <paramref name="x"/> (largest weight × density).</summary>
    public static int MostLikely(IReadOnlyList<NumericMode> modes, double x)
    {
        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int j = 0; j < modes.Count; j++)
        {
            var m = modes[j];
            double z = (x - m.Mean) / m.StandardDeviation;
            double score = Math.Log(m.Weight) - Math.Log(m.StandardDeviation) - 0.5 * z * z;
            if (score > bestScore) { bestScore = score; best = j; }
        }
        return best;
    }

    /// <summary>Start of EM with <paramref name="k"/> components: means at evenly spaced quantiles of the sorted <paramref name="x"/>, equal shares, each σ a k-th of the column's.</summary>
    private static (double[] W, double[] Mu, double[] Sigma) Start(double[] x, int k, double std, double floor)
    {
        var sorted = x.Order().ToArray();
        return (Enumerable.Repeat(1.0 / k, k).ToArray(),
            Enumerable.Range(0, k).Select(j => sorted[(int)((j + 0.5) * sorted.Length / k)]).ToArray(),
            Enumerable.Repeat(Math.Max(std / k, floor), k).ToArray());
    }

    private static double[] Subsample(IReadOnlyList<double> values, int count, int seed)
    {
        if (values.Count <= count) return values.ToArray();
        var random = new Random(seed);
        var result = new double[count];
        for (int i = 0; i < count; i++) result[i] = values[random.Next(values.Count)];
        return result;
    }

    /// <summary>EM in place: responsibilities in log space, then weights, means and σ (floored) from them. Returns the last log-likelihood.</summary>
    private static double Em(double[] x, double[] w, double[] mu, double[] sigma, double floor, int iterations)
    {
        int n = x.Length, k = w.Length;
        var sums = new double[k];
        var sumsX = new double[k];
        var sumsXX = new double[k];
        var logP = new double[k];
        double previous = double.NegativeInfinity;
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            Array.Clear(sums); Array.Clear(sumsX); Array.Clear(sumsXX);
            double logLikelihood = 0;
            for (int i = 0; i < n; i++)
            {
                double largest = double.NegativeInfinity;
                for (int j = 0; j < k; j++)
                {
                    double z = (x[i] - mu[j]) / sigma[j];
                    logP[j] = Math.Log(w[j]) - Math.Log(sigma[j]) - 0.5 * z * z;
                    if (logP[j] > largest) largest = logP[j];
                }
                double total = 0;
                for (int j = 0; j < k; j++) { logP[j] = Math.Exp(logP[j] - largest); total += logP[j]; }
                logLikelihood += largest + Math.Log(total);
                for (int j = 0; j < k; j++)
                {
                    double r = logP[j] / total;
                    sums[j] += r; sumsX[j] += r * x[i]; sumsXX[j] += r * x[i] * x[i];
                }
            }
            for (int j = 0; j < k; j++)
            {
                w[j] = Math.Max(sums[j] / n, 1e-12);
                if (sums[j] < 1e-9) continue;          // an empty component keeps its place; pruning drops it
                mu[j] = sumsX[j] / sums[j];
                sigma[j] = Math.Sqrt(Math.Max(sumsXX[j] / sums[j] - mu[j] * mu[j], 0)) is var s && s > floor ? s : floor;
            }
            if (logLikelihood - previous < 1e-7 * n) return logLikelihood;
            previous = logLikelihood;
        }
        return previous;
    }
}
