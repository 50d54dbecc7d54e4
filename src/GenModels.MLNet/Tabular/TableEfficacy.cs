using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Tabular;

/// <summary>
/// Machine-learning efficacy: how well a model trained on synthetic rows predicts a target column of real held-out rows,
/// beside the same model trained on the real training rows.
/// </summary>
/// <param name="Target">The predicted column.</param>
/// <param name="Metric">"AUC" (a column of two categories), "Accuracy" (more categories; micro accuracy) or "RSquared" (a numeric column).</param>
/// <param name="Synthetic">The metric on the held-out rows of the model trained on synthetic rows.</param>
/// <param name="Real">The metric on the held-out rows of the model trained on the real training rows.</param>
public sealed record MachineLearningEfficacy(string Target, string Metric, double Synthetic, double Real)
{
    /// <summary><see cref="Real"/> − <see cref="Synthetic"/>: what training on synthetic rows costs (in the metric's units).</summary>
    public double Gap => Real - Synthetic;
}

/// <summary>
/// Trains the efficacy models with ML.NET. Features: numbers as Single with missing values replaced by the mean, text
/// one-hot encoded, keys as indicator vectors, Booleans as 0/1; all normalised to mean 0 and variance 1. A categorical
/// target is learned by L-BFGS maximum entropy (multiclass logistic regression), a numeric one by SDCA linear regression.
/// Both tables train the same pipeline with the same settings; the label's categories are those of the real table.
/// </summary>
internal static class TableEfficacy
{
    private const string Label = "GenModelsLabel", Features = "GenModelsFeatures";

    public static MachineLearningEfficacy Measure(TableEncoding encoding, IDataView real, IDataView synthetic, IDataView holdout, string target, int seed)
    {
        var column = encoding[target];
        var ml = new MLContext(seed);
        bool numeric = column.Kind == TableColumnKind.Numeric;
        var targetColumn = real.Schema[target];
        string metric = numeric ? "RSquared" : column.Categories.Count == 2 ? "AUC" : "Accuracy";
        double Score(IDataView train)
        {
            var pipeline = Featurise(ml, encoding, target);
            IEstimator<ITransformer> label = numeric
                ? ml.Transforms.Conversion.ConvertType(Label, target, DataKind.Single)
                : targetColumn.Type is KeyDataViewType
                    ? ml.Transforms.CopyColumns(Label, target)
                    : ml.Transforms.Conversion.MapValueToKey(Label, target, keyData: ml.Transforms.SelectColumns(target).Fit(real).Transform(real));
            var full = label.Append(pipeline);
            IDataView Prepare(IDataView data) => numeric ? ml.Data.FilterRowsByMissingValues(data, target) : data;
            var trainRows = Prepare(train);
            var testRows = Prepare(holdout);
            if (numeric)
            {
                var model = full.Append(ml.Regression.Trainers.Sdca(Label, Features, maximumNumberOfIterations: 100)).Fit(trainRows);
                return ml.Regression.Evaluate(model.Transform(testRows), Label).RSquared;
            }
            var classifier = full.Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(Label, Features)).Fit(trainRows);
            var predictions = classifier.Transform(testRows);
            return metric == "AUC" ? Auc(predictions) : ml.MulticlassClassification.Evaluate(predictions, Label).MicroAccuracy;
        }
        return new MachineLearningEfficacy(target, metric, Score(synthetic), Score(real));
    }

    private static IEstimator<ITransformer> Featurise(MLContext ml, TableEncoding encoding, string target)
    {
        IEstimator<ITransformer> pipeline = new EstimatorChain<ITransformer>();
        var names = new List<string>();
        foreach (var (c, i) in encoding.Columns.Select((c, i) => (c, i)).Where(p => p.c.Name != target))
        {
            string name = $"GenModelsFeature{i}";
            names.Add(name);
            pipeline = c.Type switch
            {
                NumberDataViewType => pipeline.Append(ml.Transforms.Conversion.ConvertType(name, c.Name, DataKind.Single))
                    .Append(ml.Transforms.ReplaceMissingValues(name, replacementMode: Microsoft.ML.Transforms.MissingValueReplacingEstimator.ReplacementMode.Mean)),
                BooleanDataViewType => pipeline.Append(ml.Transforms.Conversion.ConvertType(name, c.Name, DataKind.Single)),
                KeyDataViewType => pipeline.Append(ml.Transforms.Conversion.MapKeyToVector(name, c.Name)),
                _ => pipeline.Append(ml.Transforms.Categorical.OneHotEncoding(name, c.Name)),
            };
        }
        if (names.Count == 0) throw new ArgumentException($"The target '{target}' is the only column: there is nothing to predict it from.", "TargetColumnName");
        return pipeline.Append(ml.Transforms.Concatenate(Features, names.ToArray()))
            .Append(ml.Transforms.NormalizeMeanVariance(Features));
    }

    /// <summary>ROC AUC of the second class's score (Mann–Whitney, ties counted half).</summary>
    private static double Auc(IDataView predictions)
    {
        var scores = new List<(float Score, bool Positive)>();
        using (var cursor = predictions.GetRowCursor(predictions.Schema.Where(c => c.Name is Label or "Score")))
        {
            var label = cursor.GetGetter<uint>(predictions.Schema[Label]);
            var score = cursor.GetGetter<VBuffer<float>>(predictions.Schema["Score"]);
            uint key = 0;
            VBuffer<float> s = default;
            while (cursor.MoveNext())
            {
                label(ref key);
                score(ref s);
                if (key == 0) continue;                        // a category the real training rows never had
                scores.Add((s.GetItemOrDefault(1), key == 2));
            }
        }
        long positives = scores.Count(p => p.Positive), negatives = scores.Count - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        var ordered = scores.OrderBy(p => p.Score).ToArray();
        double rankSum = 0;
        for (int i = 0; i < ordered.Length;)
        {
            int j = i;
            while (j < ordered.Length && ordered[j].Score == ordered[i].Score) j++;
            double rank = (i + j + 1) / 2.0;                   // mean 1-based rank of the tie group
            for (int k = i; k < j; k++) if (ordered[k].Positive) rankSum += rank;
            i = j;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
