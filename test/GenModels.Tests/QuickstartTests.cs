using GenModels.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace GenModels.Tests;

/// <summary>The README's quickstart, verbatim between the markers, so that it keeps compiling and working.</summary>
public class QuickstartTests
{
    [Fact]
    public void ReadmeQuickstartRunsAndReloadsIdentically()
    {
        var rows = Synthetic.CurvedManifold(200, seed: 31);
        var directory = Directory.CreateTempSubdirectory("genmodels-quickstart-").FullName;
        var current = Environment.CurrentDirectory;
        Environment.CurrentDirectory = directory;
        try
        {
            // README quickstart begins
            var ml = new MLContext(seed: 1);
            IDataView train = ml.Data.LoadFromEnumerable(rows);          // rows with a [VectorType(n)] float[] Features
            var pipeline = ml.Transforms.NormalizeMinMax("Features")
                .Append(ml.Transforms.VaeEncode(outputColumnName: "Latent", inputColumnName: "Features", latentDimension: 2));
            var model = pipeline.Fit(train);                              // progress in ml.Log
            ml.Model.Save(model, train.Schema, "vae.zip");

            var loaded = ml.Model.Load("vae.zip", out var schema);       // another process needs only the package
            IDataView latent = loaded.Transform(train);                   // streamed in batches, same numbers as before saving
            // README quickstart ends

            Assert.Equal(Synthetic.Column(model.Transform(train), "Latent").SelectMany(v => v), Synthetic.Column(latent, "Latent").SelectMany(v => v));
        }
        finally
        {
            Environment.CurrentDirectory = current;
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ReadmeQuickstartMatchesTheTestedCode()
    {
        var readme = File.ReadAllText(FindRepoFile("README.md"));
        var source = File.ReadAllText(FindRepoFile("test/GenModels.Tests/QuickstartTests.cs"));
        int start = source.IndexOf("// README quickstart begins", StringComparison.Ordinal);
        int end = source.IndexOf("// README quickstart ends", StringComparison.Ordinal);
        var tested = source[start..end].Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0);
        var readmeLines = readme.Split('\n').Select(l => l.Trim()).ToHashSet();
        Assert.All(tested, line => Assert.Contains(line, readmeLines));
    }

    private static string FindRepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"{relative} was not found above {AppContext.BaseDirectory}.");
    }
}
