using GenModels.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GenModels.Torch.Tabular;

/// <summary>
/// CTGAN (Xu et al. 2019, "Modeling Tabular Data using Conditional GAN"): a Wasserstein GAN with gradient penalty over
/// an encoded table row. The generator gets noise plus a conditional vector (one category of one categorical column) and
/// outputs tanh values for continuous entries and Gumbel-softmax one-hots for categorical blocks; the discriminator judges
/// <see cref="CtganOptions.Pac"/> rows at once (PacGAN), each with its conditional vector.
/// </summary>
public sealed class Ctgan : nn.Module<Tensor, Tensor>, ITabularGenerator
{
    private readonly Sequential generator;      // [z, cond] → raw values and logits
    private readonly Sequential discriminator;  // pac × [row, cond] → one score
    private readonly long[] offsets;            // where each conditional block starts in the conditional vector
    // Blocks of one length are handled together ([rows, blocks, length] views), so a step costs a few operations per
    // distinct block length rather than per column: continuous positions, then each length's positions, and the inverse.
    private readonly long[] continuous, inverse;
    private readonly (int Length, long[] Positions)[] lengthGroups;
    // The same for the conditional blocks: each group's positions, and for conditional block j its group and place in it.
    private readonly (int Length, long[] Positions)[] conditionalGroups;
    private readonly long[] conditionalGroupOf, conditionalPlace, conditionalOrder;

    /// <summary>Builds both networks from <paramref name="options"/> (validated here); the module starts in eval mode.</summary>
    public Ctgan(CtganOptions options) : base(nameof(Ctgan))
    {
        options.Validate();
        Options = options;
        int conditionDimension = options.ConditionDimension;
        generator = nn.Sequential();
        long width = options.NoiseDimension + conditionDimension;
        for (int i = 0; i < options.GeneratorHiddenSizes.Length; i++)
        {
            generator.append($"residual{i}", new Residual($"residual{i}", width, options.GeneratorHiddenSizes[i])); // width → width + h
            width += options.GeneratorHiddenSizes[i];
        }
        generator.append("output", nn.Linear(width, options.DataDimension));
        discriminator = nn.Sequential();
        width = (long)(options.DataDimension + conditionDimension) * options.Pac;
        for (int i = 0; i < options.DiscriminatorHiddenSizes.Length; i++)
        {
            discriminator.append($"linear{i}", nn.Linear(width, options.DiscriminatorHiddenSizes[i]));
            discriminator.append($"act{i}", nn.LeakyReLU(0.2));
            discriminator.append($"dropout{i}", nn.Dropout(0.5));
            width = options.DiscriminatorHiddenSizes[i];
        }
        discriminator.append("score", nn.Linear(width, 1));
        long offset = 0;
        offsets = options.ConditionalBlocks.Select(i => { long o = offset; offset += options.Blocks[i].Length; return o; }).ToArray();
        continuous = options.Blocks.Where(b => !b.IsCategorical).Select(b => (long)b.Start).ToArray();
        lengthGroups = TabularBlock.GroupByLength(options.Blocks.Where(b => b.IsCategorical));
        var order = continuous.Concat(lengthGroups.SelectMany(g => g.Positions)).ToArray();
        inverse = new long[order.Length];
        for (int j = 0; j < order.Length; j++) inverse[order[j]] = j;
        var conditional = options.ConditionalBlocks.Select(i => options.Blocks[i]).ToArray();
        conditionalGroups = TabularBlock.GroupByLength(conditional);
        var lengths = conditionalGroups.Select(g => g.Length).ToList();
        conditionalGroupOf = conditional.Select(b => (long)lengths.IndexOf(b.Length)).ToArray();
        conditionalPlace = conditional.Select((b, j) => (long)conditional.Take(j).Count(o => o.Length == b.Length)).ToArray();
        // Position of conditional block j among the groups' blocks laid side by side (the order Categories returns).
        conditionalOrder = conditional.Select((b, j) => conditionalGroups.TakeWhile(g => g.Length != b.Length).Sum(g => (long)g.Positions.Length / g.Length) + conditionalPlace[j]).ToArray();
        RegisterComponents();
        eval();
    }

    /// <summary>The options the networks were built from.</summary>
    public CtganOptions Options { get; }

    /// <inheritdoc />
    public TabularBlock[] Blocks => Options.Blocks;

    /// <summary>Generator output for [z, conditional vector]: raw values and logits (see <see cref="Activate"/>).</summary>
    public override Tensor forward(Tensor input) => generator.forward(input);

    /// <summary>The discriminator's scores for rows [n·pac, data + condition]: one per group of <see cref="CtganOptions.Pac"/> rows.</summary>
    public Tensor Critic(Tensor rows) => discriminator.forward(rows.view(-1, rows.shape[1] * Options.Pac)).squeeze(-1);

    /// <summary>tanh (bounded) or identity on continuous values, a Gumbel-softmax at <see cref="CtganOptions.Temperature"/> on each one-hot block.</summary>
    public Tensor Activate(Tensor raw, Generator noise) =>
        Assemble(raw, x => Options.BoundedContinuous ? x.tanh() : x, x => softmax((x + Gumbel(x.shape, noise)) / Options.Temperature, -1));

    /// <summary>
    /// The row with <paramref name="onContinuous"/> applied to its continuous values and <paramref name="onBlocks"/> to its
    /// one-hot blocks as [rows, blocks, length] views (one call per distinct length), back in the row's order.
    /// </summary>
    private Tensor Assemble(Tensor raw, Func<Tensor, Tensor> onContinuous, Func<Tensor, Tensor> onBlocks)
    {
        long n = raw.shape[0];
        var parts = new List<Tensor>();
        if (continuous.Length > 0)
        {
            using var index = tensor(continuous);
            parts.Add(onContinuous(raw.index_select(1, index)));
        }
        foreach (var (length, positions) in lengthGroups)
        {
            using var index = tensor(positions);
            parts.Add(onBlocks(raw.index_select(1, index).view(n, -1, length)).reshape(n, -1));
        }
        using var back = tensor(inverse);
        return cat(parts.ToArray(), 1).index_select(1, back);
    }

    /// <summary>The category (int64 [rows, conditional blocks]) each row holds in each conditional block.</summary>
    public Tensor Categories(Tensor rows)
    {
        long n = rows.shape[0];
        var parts = conditionalGroups.Select(g =>
        {
            using var index = tensor(g.Positions);
            return rows.index_select(1, index).view(n, -1, g.Length).argmax(-1);
        }).ToArray();
        using var order = tensor(conditionalOrder);
        return cat(parts, 1).index_select(1, order);
    }

    /// <summary>Per row, the cross-entropy between its logits of conditional block <paramref name="column"/> and <paramref name="category"/> (int64 [rows] each).</summary>
    public Tensor ConditionCrossEntropy(Tensor raw, Tensor column, Tensor category)
    {
        long n = raw.shape[0];
        using var groupOf = tensor(conditionalGroupOf);
        using var place = tensor(conditionalPlace);
        var rowGroup = groupOf.index_select(0, column);
        var rowPlace = place.index_select(0, column);
        var total = zeros(n);
        for (int g = 0; g < conditionalGroups.Length; g++)
        {
            var (length, positions) = conditionalGroups[g];
            using var index = tensor(positions);
            var logProbabilities = nn.functional.log_softmax(raw.index_select(1, index).view(n, -1, length), -1).reshape(n, -1);
            var mine = rowGroup.eq(g);
            var at = where(mine, rowPlace * length + category, zeros_like(category));
            total = total - logProbabilities.gather(1, at.unsqueeze(1)).squeeze(1) * mine.to_type(ScalarType.Float32);
        }
        return total;
    }

    /// <summary>One-hot conditional vectors [n, ConditionDimension] for category <paramref name="category"/> of conditional block number <paramref name="column"/> (both int64 [n]).</summary>
    public Tensor ConditionVector(Tensor column, Tensor category)
    {
        using var offset = tensor(offsets);
        return nn.functional.one_hot(offset.index_select(0, column) + category, Options.ConditionDimension).to_type(ScalarType.Float32);
    }

    /// <summary>
    /// Draws <paramref name="count"/> encoded rows: continuous values from the generator, each one-hot block sampled from
    /// its softmax. With <paramref name="condition"/> every row's conditional vector selects that category of the
    /// condition block, and the block carries it; otherwise each row conditions on a random categorical column and one
    /// of its categories drawn with the training shares (CTGAN's unconditional sampling).
    /// </summary>
    public Tensor Sample(long count, Tensor? condition, Generator noise)
    {
        using var noGrad = no_grad();
        var z = randn(count, Options.NoiseDimension, generator: noise);
        Tensor input = z;
        if (Options.ConditionalBlocks.Length > 0)
        {
            Tensor column, category;
            if (condition is not null && Options.ConditionBlock is { } c)
            {
                column = full(count, Array.IndexOf(Options.ConditionalBlocks, c), dtype: ScalarType.Int64);
                category = condition;
            }
            else
            {
                column = randint(0, Options.ConditionalBlocks.Length, [count], generator: noise);
                using var shares = tensor(Padded(Options.CategoryFrequencies));
                category = multinomial(shares.index_select(0, column), 1, generator: noise).squeeze(1);
            }
            input = cat([z, ConditionVector(column, category)], 1);
        }
        // Each one-hot block: the argmax of Gumbel-perturbed logits, which is a draw from the block's softmax.
        var rows = Assemble(generator.forward(input), x => Options.BoundedContinuous ? x.tanh() : x,
            x => nn.functional.one_hot((x + Gumbel(x.shape, noise)).argmax(-1), x.shape[2]).to_type(ScalarType.Float32));
        if (condition is not null && Options.ConditionBlock is { } cb)
        {
            var b = Options.Blocks[cb];
            rows.narrow(1, b.Start, b.Length).copy_(nn.functional.one_hot(condition, b.Length).to_type(ScalarType.Float32));
        }
        return rows;
    }

    /// <summary>Standard Gumbel noise −log(−log U).</summary>
    private static Tensor Gumbel(long[] shape, Generator noise) => -(-(rand(shape, generator: noise).clamp(1e-10, 1.0)).log()).clamp_min(1e-10).log();

    /// <summary>The category shares as one [blocks, widest] matrix, zero-padded.</summary>
    internal static float[,] Padded(double[][] shares)
    {
        var result = new float[shares.Length, shares.Max(s => s.Length)];
        for (int j = 0; j < shares.Length; j++)
            for (int k = 0; k < shares[j].Length; k++) result[j, k] = (float)shares[j][k];
        return result;
    }

    /// <summary>CTGAN's residual layer: [x, ReLU(BatchNorm(Linear(x)))].</summary>
    private sealed class Residual : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc;
        private readonly BatchNorm1d bn;

        public Residual(string name, long input, long output) : base(name)
        {
            fc = nn.Linear(input, output);
            bn = nn.BatchNorm1d(output);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => cat([nn.functional.relu(bn.forward(fc.forward(x))), x], 1);
    }
}

/// <summary>
/// One CTGAN step with training-by-sampling. The loop's batch gives the real rows; each row picks one categorical column
/// at random and its category there becomes its condition, and the rows are then redrawn (with replacement) so that
/// categories come with the log of their frequency rather than the frequency itself: rare categories are seen and
/// learned. Then the critic step (WGAN-GP on packed rows) and the generator step (fool the critic and honour the condition).
/// </summary>
public sealed class CtganStep : ITrainStep
{
    private readonly Ctgan model;
    private readonly optim.Optimizer generatorOptimizer;
    private readonly optim.Optimizer discriminatorOptimizer;
    private readonly Generator noise;
    private readonly Generator evaluationNoise = new(12345);
    private readonly Tensor resampling;   // [blocks, widest]: log-frequency share / frequency share of each category

    /// <summary>Adam at <paramref name="learningRate"/> with β = (0.5, 0.9) and weight decay 1e-6 for both networks (CTGAN's).</summary>
    public CtganStep(Ctgan model, double learningRate, Generator noise)
    {
        this.model = model;
        this.noise = noise;
        var o = model.Options;
        var generatorParameters = model.named_parameters().Where(p => p.name.StartsWith("generator.", StringComparison.Ordinal)).Select(p => p.parameter);
        var discriminatorParameters = model.named_parameters().Where(p => p.name.StartsWith("discriminator.", StringComparison.Ordinal)).Select(p => p.parameter);
        generatorOptimizer = optim.Adam(generatorParameters, learningRate, beta1: 0.5, beta2: 0.9, weight_decay: 1e-6);
        discriminatorOptimizer = optim.Adam(discriminatorParameters, learningRate, beta1: 0.5, beta2: 0.9, weight_decay: 1e-6);
        var ratios = o.CategoryFrequencies.Select(f =>
        {
            var logs = f.Select(v => Math.Log(v + 1e-6) - Math.Log(1e-6)).ToArray();   // CTGAN: log(count + 1), as shares
            double total = logs.Sum();
            return f.Select((v, k) => v > 0 ? logs[k] / total / v : 0).ToArray();
        }).ToArray();
        resampling = ratios.Length == 0 ? zeros(new long[] { 0 }) : tensor(Ctgan.Padded(ratios));
    }

    /// <inheritdoc />
    public nn.Module Module => model;

    /// <inheritdoc />
    public StepLosses TrainStep(Tensor batch)
    {
        var o = model.Options;
        var (real, condition, column, category) = Conditions(batch);                            // 1. conditions, rows redrawn by log-frequency
        long m = real.shape[0];
        using var shuffle = randperm(m, generator: noise);
        var fakeCondition = condition.index_select(0, shuffle);                                 //    fakes get the same conditions, shuffled
        var fakeColumn = column.index_select(0, shuffle);
        var fakeCategory = category.index_select(0, shuffle);

        var fake = model.Activate(model.forward(Input(m, fakeCondition)), noise);               // 2. generate
        var realRows = cat([real, condition], 1);
        var fakeRows = cat([fake.detach(), fakeCondition], 1);
        var dLoss = model.Critic(fakeRows).mean() - model.Critic(realRows).mean();              // 3. Wasserstein critic loss
        var penalty = GradientPenalty(realRows, fakeRows);
        discriminatorOptimizer.zero_grad(); (dLoss + penalty).backward(); discriminatorOptimizer.step(); // 4. update the critic only

        var raw = model.forward(Input(m, fakeCondition));                                       // 5. generate again
        var adversarial = -model.Critic(cat([model.Activate(raw, noise), fakeCondition], 1)).mean();
        var conditionLoss = ConditionLoss(raw, fakeColumn, fakeCategory);                       // 6. the chosen category must come out
        var gLoss = adversarial + conditionLoss;
        generatorOptimizer.zero_grad(); gLoss.backward(); generatorOptimizer.step();           // 7. update the generator only
        return new StepLosses(("d_loss", dLoss.item<float>()), ("g_loss", adversarial.item<float>()),
            ("condition_loss", conditionLoss.item<float>()), ("gradient_penalty", penalty.item<float>()));
    }

    /// <inheritdoc />
    public StepLosses EvaluateStep(Tensor batch)
    {
        var (real, condition, column, category) = Conditions(batch, evaluationNoise);
        long m = real.shape[0];
        var raw = model.forward(Input(m, condition, evaluationNoise));
        var fakeScore = model.Critic(cat([model.Activate(raw, evaluationNoise), condition], 1)).mean();
        var dLoss = fakeScore - model.Critic(cat([real, condition], 1)).mean();
        var conditionLoss = ConditionLoss(raw, column, category);
        return new StepLosses(("d_loss", dLoss.item<float>()), ("g_loss", -fakeScore.item<float>()), ("condition_loss", conditionLoss.item<float>()));
    }

    /// <summary>
    /// Picks a random categorical column per row (its category is the row's condition) and redraws the rows with weights
    /// log-share / share of their condition, as many as the batch rounded up to whole packs. Without categorical columns
    /// the rows are only redrawn uniformly to whole packs.
    /// </summary>
    private (Tensor Real, Tensor Condition, Tensor Column, Tensor Category) Conditions(Tensor batch, Generator? rng = null)
    {
        rng ??= noise;
        var o = model.Options;
        long n = batch.shape[0], m = (n + o.Pac - 1) / o.Pac * o.Pac;
        int columns = o.ConditionalBlocks.Length;
        if (columns == 0)
        {
            var uniform = m == n ? arange(n) : multinomial(ones(n), m, replacement: true, generator: rng);
            var none = zeros(new long[] { m, 0 });
            return (batch.index_select(0, uniform), none, zeros(m, dtype: ScalarType.Int64), zeros(m, dtype: ScalarType.Int64));
        }
        var column = randint(0, columns, [n], generator: rng);
        var category = model.Categories(batch).gather(1, column.unsqueeze(1)).squeeze(1);
        var weights = resampling.index_select(0, column).gather(1, category.unsqueeze(1)).squeeze(1);
        var picked = multinomial(weights, m, replacement: true, generator: rng);
        column = column.index_select(0, picked);
        category = category.index_select(0, picked);
        return (batch.index_select(0, picked), model.ConditionVector(column, category), column, category);
    }

    private Tensor Input(long rows, Tensor condition, Generator? rng = null) =>
        cat([randn(rows, model.Options.NoiseDimension, generator: rng ?? noise), condition], 1);

    /// <summary>Mean over rows of the cross-entropy between the generator's logits of each row's chosen column and its chosen category.</summary>
    private Tensor ConditionLoss(Tensor raw, Tensor column, Tensor category)
    {
        if (model.Options.ConditionalBlocks.Length == 0) return zeros(1).squeeze();
        return model.ConditionCrossEntropy(raw, column, category).mean();
    }

    /// <summary>WGAN-GP: λ · mean over packs of (‖∇ D(x̂)‖ − 1)² at points x̂ between real and fake packs.</summary>
    private Tensor GradientPenalty(Tensor real, Tensor fake)
    {
        var o = model.Options;
        if (o.GradientPenalty == 0) return zeros(1).squeeze();
        long packs = real.shape[0] / o.Pac, width = real.shape[1];
        var alpha = rand([packs, 1, 1], generator: noise).expand(packs, o.Pac, width).reshape(-1, width);
        var between = (alpha * real + (1 - alpha) * fake).requires_grad_(true);
        var gradient = autograd.grad([model.Critic(between).sum()], [between], retain_graph: true, create_graph: true)[0];
        return o.GradientPenalty * (gradient.view(-1, o.Pac * width).norm(1, keepdim: false, p: 2) - 1).square().mean();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        generatorOptimizer.Dispose();
        discriminatorOptimizer.Dispose();
        evaluationNoise.Dispose();
        resampling.Dispose();
    }
}

/// <summary>Builds and trains a <see cref="Ctgan"/> in one call.</summary>
public static class CtganTraining
{
    /// <summary>Trains networks of <paramref name="options"/> on encoded rows <paramref name="data"/> ([rows, DataDimension]).</summary>
    public static (Ctgan Model, TrainingResult Result) Fit(Tensor data, CtganOptions options, TrainingOptions training)
    {
        options.Validate();
        if (data.ndim != 2 || data.shape[1] != options.DataDimension)
            throw new ArgumentException($"Expected encoded rows of shape [rows, {options.DataDimension}], got [{string.Join(", ", data.shape)}].", nameof(data));
        return ModelTraining.Fit(data, training, () => new Ctgan(options), (model, noise) => new CtganStep(model, training.LearningRate, noise));
    }
}
