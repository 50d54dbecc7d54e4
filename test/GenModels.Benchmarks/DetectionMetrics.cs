namespace GenModels.Benchmarks;

/// <summary>Ranking metrics of anomaly scores (higher = more anomalous), defined as scikit-learn defines them.</summary>
public static class DetectionMetrics
{
    /// <summary>Mann–Whitney ROC-AUC: the probability that an anomaly outscores a normal row (ties count half).</summary>
    public static double RocAuc(float[] scores, bool[] anomaly)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) if (anomaly[order[k]]) rankSum += rank;
            i = j + 1;
        }
        long positives = anomaly.Count(a => a), negatives = anomaly.Length - positives;
        return (rankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }

    /// <summary>
    /// Average precision: Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct score thresholds from the highest down, as scikit-learn's
    /// <c>average_precision_score</c> computes it (tied rows enter together).
    /// </summary>
    public static double AveragePrecision(float[] scores, bool[] anomaly)
    {
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ToArray();
        int positives = anomaly.Count(a => a);
        double ap = 0, previousRecall = 0;
        int truePositives = 0, seen = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            for (int k = i; k <= j; k++) { seen++; if (anomaly[order[k]]) truePositives++; }
            double recall = truePositives / (double)positives, precision = truePositives / (double)seen;
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
            i = j + 1;
        }
        return ap;
    }
}
