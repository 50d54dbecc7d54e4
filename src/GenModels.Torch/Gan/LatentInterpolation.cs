using static TorchSharp.torch;

namespace GenModels.Torch.Gan;

/// <summary>How to move between two latent points.</summary>
public enum InterpolationKind
{
    /// <summary>A straight line: (1 − t)·a + t·b.</summary>
    Linear,
    /// <summary>Along the great circle (slerp): keeps the norm typical of Gaussian samples, where linear paths pass through the low-density centre.</summary>
    Spherical,
}

/// <summary>Paths between latent points, to see the output change.</summary>
public static class LatentInterpolation
{
    /// <summary><paramref name="steps"/> points from <paramref name="from"/> to <paramref name="to"/> (both [d]), endpoints included: [steps, d].</summary>
    public static Tensor Path(Tensor from, Tensor to, int steps, InterpolationKind kind)
    {
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "At least the two endpoints are needed.");
        if (!from.shape.SequenceEqual(to.shape) || from.ndim != 1) throw new ArgumentException("Both endpoints must be vectors of the same length.", nameof(to));
        var t = linspace(0, 1, steps, dtype: from.dtype).unsqueeze(1);
        if (kind == InterpolationKind.Linear) return (1 - t) * from.unsqueeze(0) + t * to.unsqueeze(0);
        double cosine = (from.dot(to) / (from.norm() * to.norm())).clamp(-1, 1).item<float>();
        double omega = Math.Acos(cosine);
        if (omega < 1e-6) return (1 - t) * from.unsqueeze(0) + t * to.unsqueeze(0); // (anti)parallel: slerp degenerates to a line
        var sin = Math.Sin(omega);
        var path = ((1 - t) * omega).sin() / sin * from.unsqueeze(0) + (t * omega).sin() / sin * to.unsqueeze(0);
        path[0] = from;          // exact endpoints, free of rounding in the sines
        path[steps - 1] = to;
        return path;
    }
}
