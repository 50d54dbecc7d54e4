using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>
/// Every notebook under examples/notebooks runs, cell by cell, with .NET Interactive's C# kernel (the one Polyglot
/// Notebooks use) in a separate process (test/GenModels.NotebookRunner), against the packages packed from this build
/// (a nuget.config beside the notebook names the folder; the runner puts the packed version into the #r lines),
/// with small settings (GENMODELS_NOTEBOOK_QUICK=1) and one libtorch thread (GENMODELS_NOTEBOOK_THREADS=1). A cell that throws or no longer compiles fails the test.
/// </summary>
public class NotebookTests(NotebookTests.PackedFeed feed, ITestOutputHelper output) : IClassFixture<NotebookTests.PackedFeed>
{
    private static string NotebookFolder => Path.Combine(LocalPackageFeed.RepoRoot, "examples", "notebooks");

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
            // The packed feed as a package source beside the notebook, as examples/notebooks/nuget.config adds artifacts/packages.
            File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="genmodels-test" value="{feed.Folder}" />
                  </packageSources>
                </configuration>
                """);
            var (code, stdout, stderr) = RunNotebook(copy);
            output.WriteLine(stdout);
            Assert.True(code == 0, $"{notebook} failed ({code}):\n{stderr}");
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

    [Fact]
    public void ACellThatFailsStopsTheRunAndIsNamed()
    {
        // The runner must be able to fail: a cell that throws ends the run with exit code 1, and later cells do not run.
        var folder = Directory.CreateTempSubdirectory("genmodels-notebook-").FullName;
        try
        {
            var path = Path.Combine(folder, "broken.ipynb");
            File.WriteAllText(path, BrokenNotebook);
            var (code, _, stderr) = RunNotebook(path);
            Assert.Equal(1, code);
            Assert.Contains("Cell 2 of broken.ipynb failed", stderr);
            Assert.Contains("broken on purpose", stderr);
            Assert.False(File.Exists(Path.Combine(folder, "after.txt")), "the cell after the failure ran");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private const string BrokenNotebook = """
        {
          "cells": [
            { "cell_type": "markdown", "metadata": {}, "source": ["# Broken"] },
            { "cell_type": "code", "execution_count": null, "metadata": { "polyglot_notebook": { "kernelName": "csharp" } }, "outputs": [], "source": ["var x = 1;"] },
            { "cell_type": "code", "execution_count": null, "metadata": { "polyglot_notebook": { "kernelName": "csharp" } }, "outputs": [], "source": ["throw new InvalidOperationException(\"broken on purpose\");"] },
            { "cell_type": "code", "execution_count": null, "metadata": { "polyglot_notebook": { "kernelName": "csharp" } }, "outputs": [], "source": ["System.IO.File.WriteAllText(\"after.txt\", \"ran\");"] }
          ],
          "metadata": { "kernelspec": { "display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp" } },
          "nbformat": 4,
          "nbformat_minor": 5
        }
        """;

    /// <summary>Runs the notebook at <paramref name="path"/> with the runner, in its folder, with the test settings and the packed version.</summary>
    private (int Code, string Stdout, string Stderr) RunNotebook(string path)
    {
        var runner = typeof(NotebookTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NotebookRunnerPath").Value!;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(path)!, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(runner);
        start.ArgumentList.Add(path);
        start.Environment["GENMODELS_NOTEBOOK_QUICK"] = "1";
        start.Environment["GENMODELS_NOTEBOOK_THREADS"] = "1";   // the suite shares the cores with other work
        start.Environment["GENMODELS_NOTEBOOK_VERSION"] = feed.Version;
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "VSTEST_HOST_DEBUG" }) start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(600_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(path)} did not finish in 10 minutes:\n{stdout.Result}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
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
        private readonly LocalPackageFeed packages = new();
        public string Folder => packages.Feed;
        public string Version => packages.Version;

        public PackedFeed()
        {
            foreach (var project in new[] { "src/GenModels.Torch/GenModels.Torch.csproj", "src/GenModels.MLNet/GenModels.MLNet.csproj", "src/GenModels.Plots/GenModels.Plots.csproj", "src/GenModels.Datasets/GenModels.Datasets.csproj" })
                packages.Pack(null, project);
        }

        public void Dispose() => packages.Dispose();
    }
}
