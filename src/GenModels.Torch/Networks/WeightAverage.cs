using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Networks;

/// <summary>The exponential moving average of a network's weights that the GAN's generator and the diffusion model's denoiser sample with.</summary>
public static class WeightAverage
{
    /// <summary>Copies <paramref name="trained"/>'s weights into <paramref name="average"/> and freezes the average.</summary>
    public static void Start(nn.Module average, nn.Module trained)
    {
        using (no_grad())
            foreach (var (a, p) in average.parameters().Zip(trained.parameters())) a.copy_(p);
        average.eval();
        foreach (var p in average.parameters()) p.requires_grad = false;
    }

    /// <summary>average ← decay·average + (1 − decay)·trained (decay 0 copies).</summary>
    public static void Update(nn.Module average, nn.Module trained, double decay)
    {
        using var noGrad = no_grad();
        foreach (var (a, p) in average.parameters().Zip(trained.parameters()))
        {
            if (decay == 0) a.copy_(p);
            else a.mul_(decay).add_(p, alpha: 1 - decay);
        }
    }
}
