using GenModels.Torch.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace GenModels.Torch.Training;

/// <summary>
/// Rows known to be anomalies (confirmed fraud, failures) used while an encoder/decoder trains on the other rows, in the
/// spirit of Deep SAD (Ruff et al. 2020): the known anomalies are left out of the reconstruction loss and a bounded
/// margin term pushes their reconstruction error above <see cref="Margin"/> times the batch's typical error:
/// <c>Weight · mean over known anomalies of max(0, 1 − e(a) / (Margin · mean e(normal batch)))</c>, with e the mean
/// squared error through the deterministic code and the normal rows' error not differentiated. Each term lies in [0, 1]
/// and vanishes once an anomaly is reconstructed badly enough, so a few labelled rows cannot dominate training.
/// </summary>
public sealed class KnownAnomalies
{
    /// <summary>The error ratio (known anomaly over normal batch) beyond which a known anomaly no longer pulls.</summary>
    public const double Margin = 4.0;
    /// <summary>Most known anomalies drawn per step.</summary>
    public const int RowsPerStep = 64;

    /// <summary>Wraps the known anomalies ([n, D], n ≥ 1); <paramref name="weight"/> multiplies the margin term.</summary>
    public KnownAnomalies(Tensor rows, double weight)
    {
        if (rows.shape[0] < 1) throw new ArgumentException("At least one known anomaly is needed.", nameof(rows));
        if (!(weight > 0) || double.IsInfinity(weight)) throw new ArgumentOutOfRangeException(nameof(weight), weight, "The weight must be a positive number.");
        Rows = rows;
        Weight = weight;
    }

    /// <summary>The known anomalies.</summary>
    public Tensor Rows { get; }
    /// <summary>Weight of the margin term in the training loss.</summary>
    public double Weight { get; }

    /// <summary>The margin term of one step of <paramref name="model"/> on the normal rows <paramref name="batch"/>.</summary>
    public Tensor Loss(IReconstructionModel model, Tensor batch, Generator? generator)
    {
        var rows = Rows.shape[0] <= RowsPerStep ? Rows : Rows.index_select(0, randperm(Rows.shape[0], generator: generator).narrow(0, 0, RowsPerStep));
        Tensor Error(Tensor x) => (x - model.Reconstruct(x)).square().mean(new long[] { 1 });
        var typical = Error(batch).detach().mean().clamp_min(1e-12);
        var ratio = Error(rows) / (Margin * typical);
        return Weight * (1 - ratio).clamp_min(0).mean();
    }
}
