using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>
/// Every notebook under examples/notebooks runs, cell by cell, with .NET Interactive's C# kernel (the one Polyglot
/// Notebooks use) in a separate process (test/GenModels.NotebookRunner), against the packages packed from this build,
/// with small settings (GENMODELS_NOTEBOOK_QUICK=1). A cell that throws or no longer compiles fails the test.
/// </summary>
public class NotebookTests(NotebookTests.PackedFeed feed, ITestOutputHelper output) : IClassFixture<NotebookTests.PackedFeed>
{
    private static string NotebookFolder => Path.Combine(LocalPackages.RepoRoot, "examples", "notebooks");

    public static TheoryData<string> Notebooks()
    {
        var names = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(NotebookFolder, "*.ipynb").Order(StringComparer.Ordinal)) names.Add(Path.GetFileName(file));
        return names;
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebookRunsEveryCellWithTheRealCSharpKernel(string notebook)
    {
        var source = Path.Combine(NotebookFolder, notebook);
        AssertIsCSharpNotebook(source);

        // A copy in a folder of its own: what the notebook writes (its model, pictures) stays out of the repository.
        var folder = Directory.CreateTempSubdirectory("genmodels-notebook-").FullName;
        try
        {
            var copy = Path.Combine(folder, notebook);
            File.Copy(source, copy);
            var runner = typeof(NotebookTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NotebookRunnerPath").Value!;
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(runner);
            start.ArgumentList.Add(copy);
            start.Environment["GENMODELS_NOTEBOOK_QUICK"] = "1";
            start.Environment["GENMODELS_NOTEBOOK_FEED"] = feed.Folder;
            start.Environment["GENMODELS_NOTEBOOK_VERSION"] = feed.Version;
            foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "VSTEST_HOST_DEBUG" }) start.Environment.Remove(name);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            bool exited = process.WaitForExit(300_000);
            if (!exited) process.Kill(entireProcessTree: true);
            output.WriteLine(stdout.Result);
            Assert.True(exited, $"{notebook} did not finish in 5 minutes.");
            Assert.True(process.ExitCode == 0, $"{notebook} failed ({process.ExitCode}):\n{stderr.Result}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TheNotebooksAreSavedWithTheirPictures()
    {
        // GitHub shows the saved outputs: each notebook keeps at least one PNG, none of them large.
        Assert.NotEmpty(Notebooks());
        foreach (var file in Directory.GetFiles(NotebookFolder, "*.ipynb"))
        {
            var pngs = JsonNode.Parse(File.ReadAllText(file))!["cells"]!.AsArray()
                .SelectMany(c => c!["outputs"]?.AsArray() ?? [])
                .Select(o => (string?)o!["data"]?["image/png"])
                .OfType<string>().ToArray();
            Assert.True(pngs.Length > 0, $"{Path.GetFileName(file)} has no saved pictures: run it with --save (see README).");
            Assert.All(pngs, p => Assert.True(p.Length * 3 / 4 <= 150_000, $"{Path.GetFileName(file)} holds a {p.Length * 3 / 4:N0}-byte PNG"));
        }
    }

    private static void AssertIsCSharpNotebook(string path)
    {
        var notebook = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(".net-csharp", (string?)notebook["metadata"]?["kernelspec"]?["name"]);
        var code = notebook["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").ToArray();
        Assert.NotEmpty(code);
        Assert.All(code, c => Assert.Equal("csharp", (string?)c!["metadata"]?["polyglot_notebook"]?["kernelName"]));
    }

    /// <summary>The packages packed once for all the notebooks of one test run.</summary>
    public sealed class PackedFeed : IDisposable
    {
        public string Folder { get; } = Directory.CreateTempSubdirectory("genmodels-notebook-feed-").FullName;
        public string Version { get; } = LocalPackages.UniqueVersion();

        public PackedFeed() => LocalPackages.Pack(Folder, Version);

        public void Dispose()
        {
            Directory.Delete(Folder, recursive: true);
            LocalPackages.RemoveFromCache(Version);
        }
    }
}
