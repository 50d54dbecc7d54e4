using System.Text.Json.Serialization;

namespace GenModels.Torch.Tabular;

/// <summary>Network settings of a <see cref="Ctgan"/>; the defaults are CTGAN's published ones.</summary>
public sealed class CtganOptions
{
    /// <summary>Length of an encoded row.</summary>
    public int DataDimension { get; set; }
    /// <summary>The blocks of an encoded row, in order, covering it exactly.</summary>
    public TabularBlock[] Blocks { get; set; } = [];
    /// <summary>
    /// Indices into <see cref="Blocks"/> of the one-hot blocks that make up the conditional vector: the table's categorical
    /// columns (not the modes or missing flags of numbers). Empty: the generator is unconditional.
    /// </summary>
    public int[] ConditionalBlocks { get; set; } = [];
    /// <summary>For each of <see cref="ConditionalBlocks"/>, the share of each category in the training rows.</summary>
    public double[][] CategoryFrequencies { get; set; } = [];
    /// <summary>
    /// Index into <see cref="Blocks"/> of the block that <see cref="Ctgan.Sample"/>'s condition selects (one of
    /// <see cref="ConditionalBlocks"/>), or null.
    /// </summary>
    public int? ConditionBlock { get; set; }
    /// <summary>Length of the generator's noise (CTGAN's embedding_dim: 128).</summary>
    public int NoiseDimension { get; set; } = 128;
    /// <summary>Widths of the generator's residual layers (CTGAN: 256, 256).</summary>
    public int[] GeneratorHiddenSizes { get; set; } = [256, 256];
    /// <summary>Widths of the discriminator's hidden layers (CTGAN: 256, 256).</summary>
    public int[] DiscriminatorHiddenSizes { get; set; } = [256, 256];
    /// <summary>
    /// Rows the discriminator judges together (PacGAN), which makes mode collapse visible to it. CTGAN's paper packs 10;
    /// the default is 1 by measurement: on five small real tables (348 to 5,000 training rows) a pack of 1 gave the best
    /// pair trends on four and the best machine-learning efficacy on three, and 10 the worst on most (README, "CTGAN's pack size").
    /// </summary>
    public int Pac { get; set; } = 1;
    /// <summary>Weight of the WGAN-GP gradient penalty (10).</summary>
    public double GradientPenalty { get; set; } = 10;
    /// <summary>Temperature of the Gumbel-softmax outputs of one-hot blocks (CTGAN: 0.2).</summary>
    public double Temperature { get; set; } = 0.2;
    /// <summary>
    /// True when continuous values lie in [−1, 1] (mode-specific α): the generator squashes them with tanh. False for
    /// standardised values, which it outputs as they are.
    /// </summary>
    public bool BoundedContinuous { get; set; } = true;

    /// <summary>Length of the conditional vector: the sum of the conditional blocks' lengths.</summary>
    [JsonIgnore]
    public int ConditionDimension => ConditionalBlocks.Sum(i => Blocks[i].Length);

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        TabularBlock.CheckCover(Blocks, DataDimension);
        if (ConditionalBlocks is null || ConditionalBlocks.Any(i => i < 0 || i >= Blocks.Length || !Blocks[i].IsCategorical) || ConditionalBlocks.Distinct().Count() != ConditionalBlocks.Length)
            throw new ArgumentException("The conditional blocks must be distinct categorical blocks.", nameof(ConditionalBlocks));
        if (CategoryFrequencies is null || CategoryFrequencies.Length != ConditionalBlocks.Length
            || CategoryFrequencies.Select((f, j) => f is null || f.Length != Blocks[ConditionalBlocks[j]].Length || f.Any(v => !(v >= 0)) || !(f.Sum() > 0)).Any(bad => bad))
            throw new ArgumentException("Each conditional block needs one non-negative share per category, not all zero.", nameof(CategoryFrequencies));
        if (ConditionBlock is { } c && !ConditionalBlocks.Contains(c))
            throw new ArgumentOutOfRangeException(nameof(ConditionBlock), c, "The condition must be one of the conditional blocks.");
        if (NoiseDimension < 1) throw new ArgumentOutOfRangeException(nameof(NoiseDimension), NoiseDimension, "The noise needs at least one dimension.");
        if (GeneratorHiddenSizes is null || GeneratorHiddenSizes.Any(h => h < 1)) throw new ArgumentException("Hidden sizes must be positive.", nameof(GeneratorHiddenSizes));
        if (DiscriminatorHiddenSizes is null || DiscriminatorHiddenSizes.Any(h => h < 1)) throw new ArgumentException("Hidden sizes must be positive.", nameof(DiscriminatorHiddenSizes));
        if (Pac < 1 || Pac > 1_000) throw new ArgumentOutOfRangeException(nameof(Pac), Pac, "Between 1 and 1,000 rows per discriminator sample.");
        if (!(GradientPenalty >= 0) || double.IsInfinity(GradientPenalty)) throw new ArgumentOutOfRangeException(nameof(GradientPenalty), GradientPenalty, "Must be a non-negative number.");
        if (!(Temperature > 0) || double.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Must be a positive number.");
    }
}
