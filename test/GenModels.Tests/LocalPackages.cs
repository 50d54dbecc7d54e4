using System.Diagnostics;
using System.Reflection;

namespace GenModels.Tests;

/// <summary>
/// The repository's packages packed into a local folder with a version no other run uses, as the tests that consume
/// them as a user would (<see cref="PackageTests"/>, <see cref="NotebookTests"/>) need, and removed from the global
/// packages folder afterwards.
/// </summary>
internal static class LocalPackages
{
    /// <summary>The package ids the solution packs (lower case, as the global packages folder names them).</summary>
    public static readonly IReadOnlyList<string> Ids = ["genmodels.mlnet", "genmodels.torch", "genmodels.plots"];

    public static string RepoRoot => typeof(LocalPackages).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>A pre-release version unique to this test run.</summary>
    public static string UniqueVersion() => $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    /// <summary>Packs the solution, already built in Release, into <paramref name="feed"/> at <paramref name="version"/>; throws with the output when it fails.</summary>
    public static void Pack(string feed, string version)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "pack", Path.Combine(RepoRoot, "GenModels.MLNet.sln"), "-c", "Release", "--no-build", $"-p:PackageVersion={version}", "-o", feed })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(600_000)) throw new TimeoutException("dotnet pack did not finish in 10 minutes.");
        if (process.ExitCode != 0) throw new InvalidOperationException($"dotnet pack failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
    }

    /// <summary>Deletes <paramref name="version"/> of the packages from the global packages folder: it was unique to one run.</summary>
    public static void RemoveFromCache(string version)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in Ids)
        {
            var dir = Path.Combine(cache, id, version);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
