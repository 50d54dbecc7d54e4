using System.Diagnostics;
using System.Reflection;
using Xunit;

namespace GenModels.Tests;

/// <summary>Runs test/GenModels.LoadProbe, a separate process that loads a saved model without naming the library's types.</summary>
public static class LoadProbe
{
    public static string Run(params object[] args) => Run(new Dictionary<string, string>(), args);

    /// <summary>Runs the probe with extra environment variables (such as GENMODELS_PROBE_PAD, bytes allocated before loading).</summary>
    public static string Run(IReadOnlyDictionary<string, string> environment, params object[] args)
    {
        var probe = typeof(LoadProbe).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LoadProbePath").Value!;
        Assert.True(File.Exists(probe), $"The load probe was not built at {probe}.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(probe);
        foreach (var a in args) start.ArgumentList.Add(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "The load probe did not finish in 2 minutes.");
        Assert.True(process.ExitCode == 0, $"The load probe failed ({process.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }
}
