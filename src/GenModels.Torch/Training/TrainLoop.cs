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
        var (validationFraction, patience, stoppingDerived) = TrainingBudget.ResolveEarlyStopping(rows, options);
        long validationRows = (long)Math.Floor(rows * validationFraction);
        if (validationFraction > 0 && (validationRows == 0 || validationRows == rows))
            throw new ArgumentOutOfRangeException(nameof(options.ValidationFraction), validationFraction,
                $"A validation fraction of {validationFraction} leaves no rows for one side of the split of {rows} rows.");
        Tensor train = data, validation = data;
        using var split = randperm(rows, generator: generator);
        if (validationRows > 0)
        {
            validation = data.index_select(0, split.narrow(0, 0, validationRows));
            train = data.index_select(0, split.narrow(0, validationRows, rows - validationRows));
        }
        long trainRows = train.shape[0];
        var budget = TrainingBudget.Resolve(trainRows, options.Epochs, options.BatchSize, options.TargetSteps) with
        {
            ValidationFraction = validationFraction, EarlyStoppingPatience = patience, EarlyStoppingDerived = stoppingDerived,
        };
        int batchSize = budget.BatchSize, epochs = budget.Epochs;
        int batches = (int)((trainRows + batchSize - 1) / batchSize);
        int reportEvery = Math.Max(1, batches / 20);
        var convergence = new ConvergenceWatch((long)epochs * batches);
        step.BeginTraining((long)epochs * batches);

        var history = new List<TrainingProgress>();
        double bestValidation = double.PositiveInfinity;
        Dictionary<string, Tensor>? bestWeights = null;
        int epochsWithoutImprovement = 0;
        bool stoppedEarly = false;
        try
        {
            for (int epoch = 1; epoch <= epochs; epoch++)
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
                        long start = (long)b * batchSize, count = Math.Min(batchSize, trainRows - start);
                        var batch = train.index_select(0, order.narrow(0, start, count));
                        var losses = step.TrainStep(batch);
                        if (!losses.IsFinite)
                            throw new NonFiniteLossException(
                                $"The training loss became non-finite at epoch {epoch}, batch {b + 1} ({Describe(losses)}). " +
                                "Lower the learning rate, or scale the features (for example with NormalizeMinMax).");
                        Accumulate(sums, losses, count);
                        convergence.Add(losses.Values[0].Value);
                        seen += count;
                        if (options.Progress is not null && b + 1 < batches && (b + 1) % reportEvery == 0)
                            options.Progress.Report(new TrainingProgress(epoch, epochs, b + 1, batches, false, Means(sums, seen), null, clock.Elapsed));
                    }
                }

                Dictionary<string, double>? validationLosses = null;
                if (validationRows > 0)
                {
                    validationLosses = Evaluate(step, validation, batchSize);
                    double current = validationLosses.First().Value;
                    // While the objective still changes on purpose (a KL warm-up), its losses are not compared.
                    if (!step.IsWarmingUp && current < bestValidation)
                    {
                        bestValidation = current;
                        epochsWithoutImprovement = 0;
                        if (patience > 0) bestWeights = Snapshot(step.Module, bestWeights);
                    }
                    else if (!step.IsWarmingUp) epochsWithoutImprovement++;
                }
                var report = new TrainingProgress(epoch, epochs, batches, batches, true, Means(sums, seen), validationLosses, clock.Elapsed);
                history.Add(report);
                options.Progress?.Report(report);

                if (patience > 0 && validationRows > 0 && epochsWithoutImprovement >= patience && epoch < epochs)
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
        var warnings = new List<string>();
        if (options.WarnIfUnconverged && !stoppedEarly && convergence.StillFalling(out double share))
            warnings.Add($"Training ended far from converged: the loss fell by {share:P0} of its total decrease over the last tenth of the steps. " +
                         (budget.EpochsDerived ? "Set Epochs above the derived " : "Raise Epochs above ") + $"{epochs} (or the learning rate) so that the loss levels off.");
        return new TrainingResult(history.Count, history, stoppedEarly, clock.Elapsed)
        {
            Budget = budget, Steps = convergence.Steps, Warnings = warnings,
        };
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

    /// <summary>
    /// Mean loss of each tenth of the planned steps; training is "far from converged" when the last tenth still lowered the
    /// loss by more than <see cref="UnconvergedShare"/> of the whole run's decrease (a loss that levels off lowers it by a
    /// few percent there; one still falling in a straight line, by about 11 %).
    /// </summary>
    private sealed class ConvergenceWatch(long plannedSteps)
    {
        /// <summary>Share of the total decrease still made in the last tenth of the steps that triggers the warning.</summary>
        public const double UnconvergedShare = 0.08;
        private readonly double[] sums = new double[10];
        private readonly long[] counts = new long[10];

        public long Steps { get; private set; }

        public void Add(float loss)
        {
            int segment = (int)Math.Min(9, Steps * 10 / Math.Max(1, plannedSteps));
            sums[segment] += loss;
            counts[segment]++;
            Steps++;
        }

        public bool StillFalling(out double share)
        {
            share = 0;
            if (Steps < 100 || counts.Any(c => c == 0)) return false; // too few steps to judge
            double first = sums[0] / counts[0], ninth = sums[8] / counts[8], last = sums[9] / counts[9];
            double total = first - last;
            if (!(total > 0)) return false;
            share = (ninth - last) / total;
            return share > UnconvergedShare;
        }
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
