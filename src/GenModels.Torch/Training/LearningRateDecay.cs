using TorchSharp;

namespace GenModels.Torch.Training;

/// <summary>
/// The linear learning-rate decay the adversarial models share (CycleGAN's policy, applied per step instead of per
/// epoch): the rate stays at its base value for the first part of the steps the training loop plans, then falls linearly
/// towards zero.
/// </summary>
public static class LearningRateDecay
{
    /// <summary>
    /// The learning-rate factor at step <paramref name="step"/> of <paramref name="totalSteps"/>: 1 until
    /// <paramref name="decayStart"/>·total, then falling linearly to 1/(decay steps + 1) at the last step. A decay start of 1
    /// keeps the factor at 1.
    /// </summary>
    public static double Factor(long step, long totalSteps, double decayStart)
    {
        long start = (long)Math.Floor(decayStart * totalSteps);
        return 1 - Math.Clamp(step - start, 0, totalSteps - start) / (double)(totalSteps - start + 1);
    }

    /// <summary>Sets every parameter group of <paramref name="optimizer"/> to <paramref name="baseRate"/>·<paramref name="factor"/>.</summary>
    public static void Apply(torch.optim.Optimizer optimizer, double baseRate, double factor)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = baseRate * factor;
    }
}
