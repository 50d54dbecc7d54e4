using System.Diagnostics;
using System.Reflection;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>
/// The repository's packages as a user meets them: packed (from the Release build) into a temporary local feed under a
/// version unique to this run (shared by PackageTests, CliToolTests and NotebookTests), and removed again with every copy NuGet restored from it. Also runs the processes the
/// package tests start, with the repository's build settings kept out of their environment.
/// </summary>
public sealed class LocalPackageFeed : IDisposable
{
    /// <summary>A temporary folder for the feed and whatever a test creates beside it.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("genmodels-packages-").FullName;
    /// <summary>The version every package of this feed gets.</summary>
    public string Version { get; } = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
    /// <summary>The feed folder.</summary>
    public string Feed => Path.Combine(Folder, "feed");

    /// <summary>The repository root (from the test assembly's metadata).</summary>
    public static string RepoRoot => typeof(LocalPackageFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>Packs a project or solution of the repository (already built in Release) into <see cref="Feed"/>.</summary>
    public void Pack(ITestOutputHelper? output, string relativePath) =>
        Run(output, "dotnet", RepoRoot, "pack", Path.Combine(RepoRoot, relativePath), "-c", "Release", "--no-build", $"-p:PackageVersion={Version}", "-o", Feed);

    /// <summary>The global packages folder.</summary>
    public static string NuGetCache => Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public void Dispose()
    {
        Directory.Delete(Folder, recursive: true);
        // The packages this feed served are unique to it: leave no trace of them in the global packages folder.
        if (!Directory.Exists(NuGetCache)) return;
        foreach (var id in Directory.GetDirectories(NuGetCache, "genmodels.*"))
        {
            var dir = Path.Combine(id, Version);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs a process and fails the test when it exits with a non-zero code; returns its standard output.</summary>
    public static string Run(ITestOutputHelper? output, string file, string workingDirectory, params string[] args)
    {
        var (code, stdout, stderr) = RunRaw(output, file, workingDirectory, args);
        Assert.True(code == 0, $"{file} {string.Join(" ", args)} failed ({code}):\n{stdout}\n{stderr}");
        return stdout;
    }

    /// <summary>Runs a process (10 minutes at most) and returns its exit code, standard output and standard error.</summary>
    public static (int Code, string Stdout, string Stderr) RunRaw(ITestOutputHelper? output, string file, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        // The repository's own build settings must not leak into the processes.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "VSTEST_HOST_DEBUG" }) start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(600_000), $"{file} {string.Join(" ", args)} did not finish in 10 minutes.");
        output?.WriteLine($"$ {file} {string.Join(" ", args)} → {process.ExitCode}");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
