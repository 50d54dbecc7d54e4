using System.Text.Json.Serialization;

namespace GenModels.Torch.Tabular;

/// <summary>Network settings of a <see cref="TabularVae"/>.</summary>
public sealed class TabularVaeOptions
{
    /// <summary>Length of an encoded row.</summary>
    public int DataDimension { get; set; }
    /// <summary>The blocks of an encoded row, in order, covering it exactly.</summary>
    public TabularBlock[] Blocks { get; set; } = [];
    /// <summary>
    /// Index into <see cref="Blocks"/> of a categorical block the model is conditioned on (a conditional VAE: the decoder
    /// also sees that block's one-hot), or null for an unconditional model.
    /// </summary>
    public int? ConditionBlock { get; set; }
    /// <summary>Share of each category of the condition block in the training rows: what an unconditional draw uses.</summary>
    public double[] ConditionFrequencies { get; set; } = [];
    /// <summary>
    /// Indices into <see cref="Blocks"/> of one-hot blocks that <see cref="TabularVae.Sample"/> draws at
    /// <see cref="CategoryTemperature"/>; every other one-hot block is drawn from its softmax as it is. Empty (the default
    /// here, and what models saved before this setting existed read as): every block is drawn as it is.
    /// </summary>
    public int[] SharpenedBlocks { get; set; } = [];
    /// <summary>
    /// Temperature of the draws of <see cref="SharpenedBlocks"/>: a category's probability is taken to the power 1/T and
    /// renormalised. 1 (the default here) draws from the softmax as it is, below 1 favours the likely categories (a uniform
    /// block stays uniform), and 0 takes the most likely category (TVAE's argmax decoding).
    /// </summary>
    public double CategoryTemperature { get; set; } = 1;
    /// <summary>Hidden widths of the encoder; the decoder mirrors them (TVAE: 128, 128).</summary>
    public int[] HiddenSizes { get; set; } = [128, 128];
    /// <summary>Length of the code.</summary>
    public int LatentDimension { get; set; } = 32;
    /// <summary>Weight of the reconstruction terms against the KL term (TVAE's <c>loss_factor</c>: 2).</summary>
    public double LossFactor { get; set; } = 2;

    /// <summary>The condition block, or null.</summary>
    [JsonIgnore]
    public TabularBlock? Condition => ConditionBlock is { } i ? Blocks[i] : null;

    /// <summary>Width of the condition the decoder receives (0 when unconditional).</summary>
    [JsonIgnore]
    public int ConditionDimension => Condition?.Length ?? 0;

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        TabularBlock.CheckCover(Blocks, DataDimension);
        if (ConditionBlock is { } c)
        {
            if (c < 0 || c >= Blocks.Length || !Blocks[c].IsCategorical)
                throw new ArgumentOutOfRangeException(nameof(ConditionBlock), c, "The condition must be a categorical block.");
            if (ConditionFrequencies is null || ConditionFrequencies.Length != Blocks[c].Length || ConditionFrequencies.Any(f => !(f >= 0)) || !(ConditionFrequencies.Sum() > 0))
                throw new ArgumentException("The condition frequencies must be one non-negative share per category, not all zero.", nameof(ConditionFrequencies));
        }
        if (SharpenedBlocks is null || SharpenedBlocks.Any(i => i < 0 || i >= Blocks.Length || !Blocks[i].IsCategorical) || SharpenedBlocks.Distinct().Count() != SharpenedBlocks.Length)
            throw new ArgumentException("The sharpened blocks must be distinct categorical blocks.", nameof(SharpenedBlocks));
        if (!(CategoryTemperature >= 0) || double.IsInfinity(CategoryTemperature))
            throw new ArgumentOutOfRangeException(nameof(CategoryTemperature), CategoryTemperature, "Must be 0 (the most likely category) or a positive number.");
        if (HiddenSizes is null || HiddenSizes.Any(h => h < 1)) throw new ArgumentException("Hidden sizes must be positive.", nameof(HiddenSizes));
        if (LatentDimension < 1) throw new ArgumentOutOfRangeException(nameof(LatentDimension), LatentDimension, "The code needs at least one dimension.");
        if (!(LossFactor > 0) || double.IsInfinity(LossFactor)) throw new ArgumentOutOfRangeException(nameof(LossFactor), LossFactor, "Must be a positive number.");
    }
}
