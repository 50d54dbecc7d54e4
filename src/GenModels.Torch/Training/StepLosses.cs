namespace GenModels.Torch.Training;

/// <summary>Named loss values of one step, in a fixed order; the first is the one that is minimised and monitored.</summary>
public sealed class StepLosses
{
    /// <summary>Creates the losses from name/value pairs.</summary>
    public StepLosses(params (string Name, float Value)[] values) => Values = values;

    /// <summary>The name/value pairs.</summary>
    public IReadOnlyList<(string Name, float Value)> Values { get; }

    /// <summary>True when every value is a finite number.</summary>
    public bool IsFinite => Values.All(v => float.IsFinite(v.Value));
}
