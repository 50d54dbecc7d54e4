using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Tabular;

/// <summary>
/// A run of encoded values that belong to one table column: a continuous value (length 1, Gaussian likelihood) or a
/// one-hot block of categories (softmax likelihood).
/// </summary>
/// <param name="Start">Index of the block's first value in an encoded row.</param>
/// <param name="Length">Number of values (1 for a continuous value).</param>
/// <param name="IsCategorical">True for a one-hot block.</param>
public sealed record TabularBlock(int Start, int Length, bool IsCategorical)
{
    /// <summary>Throws unless <paramref name="blocks"/> cover an encoded row of <paramref name="dimension"/> values exactly, in order.</summary>
    public static void CheckCover(TabularBlock[] blocks, int dimension)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException("DataDimension", dimension, "An encoded row needs at least one value.");
        if (blocks is null || blocks.Length == 0) throw new ArgumentException("At least one block is needed.", "Blocks");
        int next = 0;
        foreach (var b in blocks)
        {
            if (b.Start != next || b.Length < 1 || (!b.IsCategorical && b.Length != 1))
                throw new ArgumentException($"Block {b} does not continue the encoded row at {next} (continuous blocks have length 1).", "Blocks");
            next += b.Length;
        }
        if (next != dimension) throw new ArgumentException($"The blocks cover {next} values, not {dimension}.", "Blocks");
    }

    /// <summary>
    /// The positions of <paramref name="blocks"/> grouped by block length, shortest first: for each length, every position
    /// of the blocks of that length, block after block. Selecting one group's positions and viewing them as
    /// [rows, blocks, length] handles all those blocks in one operation, so a step costs a few operations per distinct
    /// length rather than per column.
    /// </summary>
    public static (int Length, long[] Positions)[] GroupByLength(IEnumerable<TabularBlock> blocks) =>
        blocks.GroupBy(b => b.Length).OrderBy(g => g.Key)
            .Select(g => (g.Key, g.SelectMany(b => Enumerable.Range(b.Start, b.Length).Select(p => (long)p)).ToArray())).ToArray();
}

/// <summary>
/// A trained tabular generator (<see cref="TabularVae"/> or <see cref="Ctgan"/>): draws encoded rows, optionally all of one
/// category of its condition block.
/// </summary>
public interface ITabularGenerator : IDisposable
{
    /// <summary>The blocks of an encoded row.</summary>
    TabularBlock[] Blocks { get; }
    /// <summary>
    /// Draws <paramref name="count"/> encoded rows. <paramref name="condition"/> (int64 [count]) gives each row's category
    /// of the condition block (null: drawn with the training shares); those rows carry that category.
    /// </summary>
    Tensor Sample(long count, Tensor? condition, Generator noise);
}
