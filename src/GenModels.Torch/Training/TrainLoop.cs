using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Training;

/// <summary>
/// The one training loop of the library: seeded shuffled mini-batches from a resident [rows, …] tensor, one dispose
/// scope per step, epoch-mean losses, optional validation with early stopping (best weights restored), progress reports,
/// cancellation between batches, and a clear error on a non-finite loss.
/// </summary>
public static class TrainLoop
{
    /// <summary>Trains <paramref name="step"/> on the rows of <paramref name="data"/>.</summary>
    public static TrainingResult Run(ITrainStep step, Tensor data, TrainingOptions options)
    {
        options.Validate();
        long rows = data.shape[0];
        if (rows == 0) throw new ArgumentException("There are no training rows.", nameof(data));
        var clock = Stopwatch.StartNew();
        using var generator = new Generator((ulong)options.Seed);

        // Validation split: a seeded permutation, the first part held out.
        long validationRows = (long)Math.Floor(rows * options.ValidationFraction);
        if (options.ValidationFraction > 0 && (validationRows == 0 || validationRows == rows))
            throw new ArgumentOutOfRangeException(nameof(options.ValidationFraction), options.ValidationFraction,
                $"A validation fraction of {options.ValidationFraction} leaves no rows for one side of the split of {rows} rows.");
        Tensor train = data, validation = data;
        using var split = randperm(rows, generator: generator);
        if (validationRows > 0)
        {
            validation = data.index_select(0, split.narrow(0, 0, validationRows));
            train = data.index_select(0, split.narrow(0, validationRows, rows - validationRows));
        }
        long trainRows = train.shape[0];
        int batches = (int)((trainRows + options.BatchSize - 1) / options.BatchSize);
        int reportEvery = Math.Max(1, batches / 20);

        var history = new List<TrainingProgress>();
        double bestValidation = double.PositiveInfinity;
        Dictionary<string, Tensor>? bestWeights = null;
        int epochsWithoutImprovement = 0;
        bool stoppedEarly = false;
        try
        {
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                step.Module.train();
                var sums = new Dictionary<string, double>();
                long seen = 0;
                using (var order = randperm(trainRows, generator: generator))
                {
                    for (int b = 0; b < batches; b++)
                    {
                        options.CancellationToken.ThrowIfCancellationRequested();
                        using var scope = NewDisposeScope();
                        long start = (long)b * options.BatchSize, count = Math.Min(options.BatchSize, trainRows - start);
                        var batch = train.index_select(0, order.narrow(0, start, count));
                        var losses = step.TrainStep(batch);
                        if (!losses.IsFinite)
                            throw new NonFiniteLossException(
                                $"The training loss became non-finite at epoch {epoch}, batch {b + 1} ({Describe(losses)}). " +
                                "Lower the learning rate, or scale the features (for example with NormalizeMinMax).");
                        Accumulate(sums, losses, count);
                        seen += count;
                        if (options.Progress is not null && b + 1 < batches && (b + 1) % reportEvery == 0)
                            options.Progress.Report(new TrainingProgress(epoch, options.Epochs, b + 1, batches, false, Means(sums, seen), null, clock.Elapsed));
                    }
                }

                Dictionary<string, double>? validationLosses = null;
                if (validationRows > 0)
                {
                    validationLosses = Evaluate(step, validation, options.BatchSize);
                    double current = validationLosses.First().Value;
                    if (current < bestValidation)
                    {
                        bestValidation = current;
                        epochsWithoutImprovement = 0;
                        if (options.EarlyStoppingPatience > 0) bestWeights = Snapshot(step.Module, bestWeights);
                    }
                    else epochsWithoutImprovement++;
                }
                var report = new TrainingProgress(epoch, options.Epochs, batches, batches, true, Means(sums, seen), validationLosses, clock.Elapsed);
                history.Add(report);
                options.Progress?.Report(report);

                if (options.EarlyStoppingPatience > 0 && validationRows > 0 && epochsWithoutImprovement >= options.EarlyStoppingPatience && epoch < options.Epochs)
                {
                    stoppedEarly = true;
                    break;
                }
            }
            if (bestWeights is not null) Restore(step.Module, bestWeights);
        }
        finally
        {
            step.Module.eval();
            if (bestWeights is not null) foreach (var t in bestWeights.Values) t.Dispose();
            if (validationRows > 0) { train.Dispose(); validation.Dispose(); }
        }
        return new TrainingResult(history.Count, history, stoppedEarly, clock.Elapsed);
    }

    /// <summary>Mean losses of <paramref name="step"/> over <paramref name="data"/>, in eval mode without gradients.</summary>
    public static Dictionary<string, double> Evaluate(ITrainStep step, Tensor data, int batchSize)
    {
        step.Module.eval();
        using var noGrad = no_grad();
        var sums = new Dictionary<string, double>();
        long rows = data.shape[0];
        for (long start = 0; start < rows; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(batchSize, rows - start);
            Accumulate(sums, step.EvaluateStep(data.narrow(0, start, count)), count);
        }
        return Means(sums, rows);
    }

    private static void Accumulate(Dictionary<string, double> sums, StepLosses losses, long weight)
    {
        foreach (var (name, value) in losses.Values)
            sums[name] = sums.GetValueOrDefault(name) + (double)value * weight;
    }

    private static Dictionary<string, double> Means(Dictionary<string, double> sums, long count) =>
        sums.ToDictionary(kv => kv.Key, kv => kv.Value / Math.Max(1, count));

    private static string Describe(StepLosses losses) => string.Join(", ", losses.Values.Select(v => $"{v.Name} = {v.Value}"));

    private static Dictionary<string, Tensor> Snapshot(nn.Module module, Dictionary<string, Tensor>? previous)
    {
        if (previous is not null) foreach (var t in previous.Values) t.Dispose();
        using var noGrad = no_grad();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void Restore(nn.Module module, Dictionary<string, Tensor> weights)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in module.state_dict()) tensor.copy_(weights[name]);
    }
}
