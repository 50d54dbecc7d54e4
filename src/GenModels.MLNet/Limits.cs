namespace GenModels.MLNet;

/// <summary>
/// The library's upper bounds on counts that size memory: checked when options are set and again when a saved model is
/// read, so a mistyped setting or a damaged file gives a clear error instead of an out-of-memory failure or a hang.
/// </summary>
internal static class Limits
{
    /// <summary>Rows per network call when transforming or generating.</summary>
    public const int MaxTransformBatchSize = 65_536;
    /// <summary>Posterior or importance samples per row.</summary>
    public const int MaxSamples = 10_000;
    /// <summary>Columns one transformer adds.</summary>
    public const int MaxOutputColumns = 16;
    /// <summary>Classes of a conditional model.</summary>
    public const int MaxClasses = 1_000_000;
    /// <summary>Dimensions of a tensor-shaped column (C, H, W, …).</summary>
    public const int MaxRank = 8;

    /// <summary>Throws unless 1 ≤ <paramref name="batchSize"/> ≤ <see cref="MaxTransformBatchSize"/>.</summary>
    public static void CheckTransformBatchSize(int batchSize, string paramName)
    {
        if (batchSize < 1 || batchSize > MaxTransformBatchSize)
            throw new ArgumentOutOfRangeException(paramName, batchSize,
                $"The transform batch size must be between 1 and {MaxTransformBatchSize:N0} rows per network call.");
    }

    /// <summary>Throws unless 1 ≤ <paramref name="samples"/> ≤ <see cref="MaxSamples"/>.</summary>
    public static void CheckSamples(int samples, string paramName)
    {
        if (samples < 1 || samples > MaxSamples)
            throw new ArgumentOutOfRangeException(paramName, samples, $"The number of samples per row must be between 1 and {MaxSamples:N0}.");
    }
}
