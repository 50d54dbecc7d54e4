using System.Diagnostics;
using System.Reflection;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>
/// The packages as a user meets them: packed into a local feed, referenced by fresh console apps outside the repository
/// (no Directory.Build files, no imports, no scripts), one that trains and one that only loads and predicts.
/// </summary>
public class PackageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("genmodels-packages-").FullName;
    private readonly string version = LocalPackages.UniqueVersion();

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        // The packages this test restored are unique to it: leave no trace of them in the global packages folder.
        LocalPackages.RemoveFromCache(version);
    }

    private static string RepoRoot => LocalPackages.RepoRoot;

    private const string TrainerProgram = """
        using GenModels.MLNet;
        using Microsoft.ML;
        using Microsoft.ML.Data;

        var ml = new MLContext(seed: 1);
        var rnd = new Random(1);
        var rows = Enumerable.Range(0, 200).Select(i => { var t = rnd.NextDouble(); return new Row { Features = [(float)t, (float)(t * t), (float)Math.Sin(3 * t), 1 - (float)t] }; }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.VaeEncode(new GenModels.MLNet.Vae.VaeEncodingEstimator.Options { InputColumnName = "Features", OutputColumnName = "Latent", LatentDimension = 2, Epochs = 3, Seed = 1 }).Fit(data);
        ml.Model.Save(model, data.Schema, args[0]);
        File.WriteAllText(args[1], string.Join(",", rows[0].Features.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        var loaded = ml.Model.Load(args[0], out _);
        using var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(loaded);
        Console.WriteLine("LATENT " + string.Join(" ", engine.Predict(rows[0]).Latent.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));

        public class Row { [VectorType(4)] public float[] Features { get; set; } = []; }
        public class Prediction { public float[] Latent { get; set; } = []; }
        """;

    private const string PredictorProgram = """
        using Microsoft.ML;
        using Microsoft.ML.Data;

        var ml = new MLContext();
        var model = ml.Model.Load(args[0], out _);
        using var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
        var row = new Row { Features = File.ReadAllText(args[1]).Split(',').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray() };
        Console.WriteLine("LATENT " + string.Join(" ", engine.Predict(row).Latent.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));

        public class Row { [VectorType(4)] public float[] Features { get; set; } = []; }
        public class Prediction { public float[] Latent { get; set; } = []; }
        """;

    [Fact]
    public void FreshAppsReferencingThePackagesTrainSaveLoadAndPredictWithNoImportsOrScripts()
    {
        var feed = Path.Combine(folder, "feed");
        LocalPackages.Pack(feed, version);
        Assert.True(File.Exists(Path.Combine(feed, $"GenModels.MLNet.{version}.nupkg")));
        Assert.True(File.Exists(Path.Combine(feed, $"GenModels.Torch.{version}.nupkg")));

        // A portable app that trains, saves, loads and predicts.
        var trainer = CreateApp("Trainer", TrainerProgram, feed, runtimeIdentifier: null);
        var model = Path.Combine(folder, "model.zip");
        var row = Path.Combine(folder, "row.csv");
        var trained = Run("dotnet", trainer.Folder, trainer.Dll, model, row);
        Assert.Contains("LATENT ", trained);

        // An app for one platform (the way to ship only Linux x64's natives) that only loads and predicts.
        var predictor = CreateApp("Predictor", PredictorProgram, feed, runtimeIdentifier: "linux-x64");
        var predicted = Run("dotnet", predictor.Folder, predictor.Dll, model, row);
        Assert.Equal(Line(trained, "LATENT "), Line(predicted, "LATENT "));
        long trainerBytes = FolderBytes(trainer.Output), predictorBytes = FolderBytes(predictor.Output);
        output.WriteLine($"build output: portable {trainerBytes / 1e6:F0} MB, linux-x64 only {predictorBytes / 1e6:F0} MB");
        Assert.False(Directory.Exists(Path.Combine(predictor.Output, "runtimes", "win-x64")), "a linux-x64 build should not carry Windows natives");
        Assert.True(predictorBytes < trainerBytes * 0.7, $"linux-x64 only: {predictorBytes:N0} bytes; portable: {trainerBytes:N0} bytes");
    }

    [Fact]
    public void WithoutTheNativeFixTheFirstTorchUseNamesTheRealCause()
    {
        // Only meaningful where the system's libstdc++ predates GCC 13 (Debian 12): elsewhere libtorch loads either way.
        var system = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }.FirstOrDefault(File.Exists);
        if (system is null || File.ReadAllBytes(system).AsSpan().IndexOf("GLIBCXX_3.4.32"u8) >= 0)
        {
            output.WriteLine("This system's libstdc++ provides GLIBCXX_3.4.32: the failure cannot be provoked here.");
            return;
        }
        var feed = Path.Combine(folder, "feed");
        LocalPackages.Pack(feed, version);
        var app = CreateApp("Unfixed", TrainerProgram, feed, runtimeIdentifier: "linux-x64", extraProperties: "<SkipTorchSharpNativeFix>true</SkipTorchSharpNativeFix>");
        var (code, stdout, stderr) = RunRaw("dotnet", app.Folder, app.Dll, Path.Combine(folder, "model.zip"), Path.Combine(folder, "row.csv"));
        output.WriteLine(stderr.Split('\n').FirstOrDefault(l => l.Contains("Unhandled exception")) ?? stderr);
        Assert.NotEqual(0, code);
        Assert.Contains("GLIBCXX_3.4.32", stderr);
        Assert.Contains("GenModels.Torch package", stderr);
        Assert.Contains(system, stderr);
    }

    private static string Line(string text, string prefix) => text.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal)).Trim();

    private sealed record App(string Folder, string Output, string Dll);

    private App CreateApp(string name, string program, string feed, string? runtimeIdentifier, string extraProperties = "")
    {
        var dir = Path.Combine(folder, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        string rid = runtimeIdentifier is null ? "" : $"<RuntimeIdentifier>{runtimeIdentifier}</RuntimeIdentifier>";
        File.WriteAllText(Path.Combine(dir, $"{name}.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                {rid}
                {extraProperties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="GenModels.MLNet" Version="{version}" />
                <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
              </ItemGroup>
            </Project>
            """);
        // The local feed beside the machine's usual sources, as a user adds one.
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        Run("dotnet", dir, "build", "-c", "Release", "-o", Path.Combine(dir, "out"));
        return new App(dir, Path.Combine(dir, "out"), Path.Combine(dir, "out", $"{name}.dll"));
    }

    private string Run(string file, string workingDirectory, params string[] args)
    {
        var (code, stdout, stderr) = RunRaw(file, workingDirectory, args);
        Assert.True(code == 0, $"{file} {string.Join(" ", args)} failed ({code}):\n{stdout}\n{stderr}");
        return stdout;
    }

    private (int Code, string Stdout, string Stderr) RunRaw(string file, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        // The repository's own build settings must not leak into the fresh apps.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "VSTEST_HOST_DEBUG" }) start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(600_000), $"{file} {string.Join(" ", args)} did not finish in 10 minutes.");
        output.WriteLine($"$ {file} {string.Join(" ", args)} → {process.ExitCode}");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static long FolderBytes(string dir) => new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
