using System.Globalization;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace GenModels.Tests;

/// <summary>
/// The genmodels tool as a user installs it: packed into a local feed, installed with
/// <c>dotnet tool install --tool-path … --add-source …</c>, then run on small CSVs (train, score, generate) and on the
/// mistakes a user makes, checking outputs and exit codes.
/// </summary>
public sealed class CliToolTests(CliToolTests.InstalledTool tool, ITestOutputHelper output) : IClassFixture<CliToolTests.InstalledTool>
{
    /// <summary>Packs and installs the tool once for the class.</summary>
    public sealed class InstalledTool : IDisposable
    {
        public LocalPackageFeed Packages { get; } = new();
        public string Executable { get; }
        public string Work { get; }

        public InstalledTool()
        {
            var log = new BufferedOutput();
            Packages.Pack(log, "src/GenModels.Cli/GenModels.Cli.csproj");
            var tools = Path.Combine(Packages.Folder, "tools");
            LocalPackageFeed.Run(log, "dotnet", Packages.Folder, "tool", "install", "--tool-path", tools, "--add-source", Packages.Feed, "GenModels.Cli", "--version", Packages.Version);
            Executable = Path.Combine(tools, OperatingSystem.IsWindows() ? "genmodels.exe" : "genmodels");
            Work = Directory.CreateDirectory(Path.Combine(Packages.Folder, "work")).FullName;
            WriteRecords(Path.Combine(Work, "records.csv"));
            File.WriteAllText(Path.Combine(Work, "text.csv"), "name,city\nann,paris\nbob,rome\n");
            File.WriteAllText(Path.Combine(Work, "notes.zip"), "not a zip archive");
        }

        public void Dispose() => Packages.Dispose();

        private sealed class BufferedOutput : ITestOutputHelper
        {
            public void WriteLine(string message) { }
            public void WriteLine(string format, params object[] args) { }
        }
    }

    /// <summary>
    /// 300 rows: x2 = 2·x1, x3 = sin(3·x1) and amount = 100 + 10·x1 with a little noise; every 20th row (Label 1) breaks
    /// the first two relations. Plus a text id and a text group column that the tool must pass through and never learn from.
    /// </summary>
    private static void WriteRecords(string path)
    {
        var rnd = new Random(1);
        double Noise() => 0.03 * (rnd.NextDouble() - 0.5);
        using var w = new StreamWriter(path);
        w.WriteLine("id,x1,x2,x3,amount,group,Label");
        for (int i = 0; i < 300; i++)
        {
            double t = rnd.NextDouble();
            bool anomaly = i % 20 == 0;
            double x2 = anomaly ? 2 - 2 * t : 2 * t + Noise(), x3 = anomaly ? 1 - Math.Sin(3 * t) : Math.Sin(3 * t) + Noise();
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"r{i},{t:F4},{x2:F4},{x3:F4},{100 + 10 * t + Noise():F3},{(i % 2 == 0 ? "a" : "b")},{(anomaly ? 1 : 0)}"));
        }
    }

    private (int Code, string Stdout, string Stderr) Genmodels(params string[] args)
    {
        var result = LocalPackageFeed.RunRaw(output, tool.Executable, tool.Work, args);
        output.WriteLine(result.Stdout);
        output.WriteLine(result.Stderr);
        return result;
    }

    private string Path_(string name) => Path.Combine(tool.Work, name);

    private static string[][] ReadCsv(string path) => File.ReadAllLines(path).Select(l => l.Split(',')).ToArray();

    [Fact]
    public void AnomalyTrainReportsAucAndScoreWritesEveryRowWithItsScore()
    {
        var train = Genmodels("anomaly", "train", "--data", "records.csv", "--label-column", "Label", "--output", "detector.zip", "--trainer", "autoencoder", "--threads", "1", "--code", "Detector.cs");
        Assert.True(train.Code == 0, train.Stderr);
        // Progress on stderr (redirected: plain epoch lines), the summary with ROC-AUC on stdout.
        Assert.Contains("epoch 1/", train.Stderr);
        Assert.Contains("left", train.Stderr);
        var auc = double.Parse(train.Stdout.Split('\n').Single(l => l.StartsWith("| ROC-AUC", StringComparison.Ordinal)).Split('|')[2], CultureInfo.InvariantCulture);
        Assert.InRange(auc, 0.9, 1.0);
        Assert.Contains("feature columns", train.Stdout);
        Assert.Contains("4: x1, x2, x3, amount", train.Stdout);   // the text columns and the label are not features
        var code = File.ReadAllText(Path_("Detector.cs"));
        Assert.Contains("CreatePredictionEngine<ModelInput, ModelOutput>", code);
        Assert.Contains("[ColumnName(\"x1\")] public float X1", code);

        var score = Genmodels("anomaly", "score", "--model", "detector.zip", "--data", "records.csv", "--output", "scored.csv", "--label-column", "Label");
        Assert.True(score.Code == 0, score.Stderr);
        var rows = ReadCsv(Path_("scored.csv"));
        Assert.Equal(["id", "x1", "x2", "x3", "amount", "group", "Label", "Score", "PredictedLabel"], rows[0]);
        Assert.Equal(301, rows.Length);
        Assert.Equal("r7", rows[8][0]);
        var scores = rows.Skip(1).Select(r => float.Parse(r[7], CultureInfo.InvariantCulture)).ToArray();
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
        // The planted anomalies score higher than the normal rows on average, and about 5 % of rows are flagged.
        double planted = rows.Skip(1).Where(r => r[6] == "1").Average(r => float.Parse(r[7], CultureInfo.InvariantCulture));
        double normal = rows.Skip(1).Where(r => r[6] == "0").Average(r => float.Parse(r[7], CultureInfo.InvariantCulture));
        Assert.True(planted > 2 * normal, $"planted {planted}, normal {normal}");
        Assert.InRange(rows.Skip(1).Count(r => r[8] == "true"), 5, 40);
        Assert.Contains("ROC-AUC", score.Stdout);
    }

    [Fact]
    public void GanAndDiffusionTrainThenGenerateWriteTheTrainingColumnsInTheirUnits()
    {
        var train = Genmodels("gan", "train", "--data", "records.csv", "--columns", "x1,x2,amount", "--label-column", "group", "--output", "gan.zip", "--epochs", "10", "--threads", "1", "-q");
        Assert.True(train.Code == 0, train.Stderr);
        Assert.Contains("classes", train.Stdout);
        Assert.Contains("GanTransformer)model.LastTransformer", train.Stdout);   // the consumption code, printed

        var generate = Genmodels("generate", "--model", "gan.zip", "--rows", "50", "--label", "a", "--output", "synthetic.csv", "--seed", "3");
        Assert.True(generate.Code == 0, generate.Stderr);
        var rows = ReadCsv(Path_("synthetic.csv"));
        Assert.Equal(["x1", "x2", "amount", "group"], rows[0]);
        Assert.Equal(51, rows.Length);
        Assert.All(rows.Skip(1), r => Assert.Equal("a", r[3]));
        // In the CSV's units (amount spans 100 to 110), not the [0, 1] the network works in.
        var amount = rows.Skip(1).Select(r => float.Parse(r[2], CultureInfo.InvariantCulture)).ToArray();
        Assert.All(amount, v => Assert.InRange(v, 95f, 115f));

        Assert.Equal(0, Genmodels("generate", "--model", "gan.zip", "--rows", "50", "--label", "a", "--output", "again.csv", "--seed", "3").Code);
        Assert.Equal(File.ReadAllText(Path_("synthetic.csv")), File.ReadAllText(Path_("again.csv")));

        // A diffusion model through the same verbs, unconditional.
        var diffusion = Genmodels("diffusion", "train", "--data", "records.csv", "--columns", "x1,amount", "--output", "diffusion.zip", "--epochs", "3", "--threads", "1", "-q");
        Assert.True(diffusion.Code == 0, diffusion.Stderr);
        Assert.Equal(0, Genmodels("generate", "--model", "diffusion.zip", "--rows", "20", "--output", "diffused.csv").Code);
        var diffused = ReadCsv(Path_("diffused.csv"));
        Assert.Equal(["x1", "amount"], diffused[0]);
        Assert.Equal(21, diffused.Length);
        Assert.Contains("--label: 'diffusion.zip' was trained without a label column", Genmodels("generate", "--model", "diffusion.zip", "--label", "a", "--output", "x.csv").Stderr);
    }

    [Fact]
    public void MistakesGetAMessageNamingTheProblemAndExitCode2()
    {
        void Usage(string expected, params string[] args)
        {
            var (code, _, stderr) = Genmodels(args);
            Assert.Equal(2, code);
            Assert.Contains(expected, stderr);
        }
        Usage("'missing.csv' does not exist", "anomaly", "train", "--data", "missing.csv", "--output", "x.zip");
        Usage("'text.csv' has no numeric columns", "anomaly", "train", "--data", "text.csv", "--output", "x.zip");
        Usage("the column 'Lable' is not in 'records.csv'. Its columns are: id, x1, x2, x3, amount, group, Label", "anomaly", "train", "--data", "records.csv", "--label-column", "Lable", "--output", "x.zip");
        Usage("the column 'group' of 'records.csv' is not numeric", "vae", "train", "--data", "records.csv", "--columns", "x1,group", "--output", "x.zip");
        Usage("'notes.zip' is not a model file", "generate", "--model", "notes.zip", "--output", "x.csv");
        Usage("The model file 'nothing.zip' does not exist", "anomaly", "score", "--model", "nothing.zip", "--data", "records.csv", "--output", "x.csv");
        Usage("Option '--output' is required", "anomaly", "train", "--data", "records.csv");
        Usage("Unrecognized command or argument 'trian'", "anomaly", "trian");
        Usage("--epochs must be at least 1", "gan", "train", "--data", "records.csv", "--epochs", "0", "--output", "x.zip");

        // A model of the wrong kind: the message says what the file holds and what the verb needs.
        Assert.Equal(0, Genmodels("vae", "train", "--data", "records.csv", "--ignore-column", "Label", "--output", "vae.zip", "--epochs", "2", "-q", "--code", "Vae.cs").Code);
        Usage("'vae.zip' holds a VAE encoder (made by 'genmodels vae train'); 'genmodels anomaly score' needs an anomaly detector", "anomaly", "score", "--model", "vae.zip", "--data", "records.csv", "--output", "x.csv");
        Usage("needs a GAN generator", "generate", "--model", "vae.zip", "--output", "x.csv");
        Usage("the column 'x1' is not in 'text.csv'", "encode", "--model", "vae.zip", "--data", "text.csv", "--output", "x.csv");
        // A failure while running (the output path is a folder): exit code 1.
        var (failed, _, message) = Genmodels("vae", "train", "--data", "records.csv", "--output", tool.Work, "--epochs", "1", "-q");
        Assert.Equal(1, failed);
        Assert.StartsWith("error: ", message);
        // The VAE works: encode writes the code of every row.
        Assert.Equal(0, Genmodels("encode", "--model", "vae.zip", "--data", "records.csv", "--output", "codes.csv").Code);
        var codes = ReadCsv(Path_("codes.csv"));
        Assert.Equal(["id", "x1", "x2", "x3", "amount", "group", "Label", "Latent0", "Latent1", "ReconstructionError"], codes[0]);
        Assert.Equal(301, codes.Length);
    }

    [Fact]
    public void AnImageFolderTrainsAGanThatWritesPngsADetectorThatScoresEveryImageAndAVae()
    {
        // Two classes (subfolders) of 12 images, 8×8: a bright or a dim 4×4 square at a random column.
        var rnd = new Random(2);
        foreach (var (name, level) in new[] { ("bright", (byte)250), ("dim", (byte)90) })
        {
            var folder = Directory.CreateDirectory(Path_(Path.Combine("images", name))).FullName;
            for (int i = 0; i < 12; i++)
            {
                var rgba = new byte[8 * 8 * 4];
                int x = rnd.Next(0, 5);
                for (int p = 0; p < 64; p++) rgba[p * 4 + 3] = 255;
                for (int y = 2; y < 6; y++)
                    for (int c = x; c < x + 4; c++)
                        for (int k = 0; k < 3; k++) rgba[(y * 8 + c) * 4 + k] = level;
                MLImage.CreateFromPixels(8, 8, MLPixelFormat.Rgba32, rgba).Save(Path.Combine(folder, $"{i}.png"));
            }
        }

        var gan = Genmodels("gan", "train", "--images", "images", "--image-size", "8", "--epochs", "3", "--output", "imagegan.zip", "--threads", "1", "-q");
        Assert.True(gan.Code == 0, gan.Stderr);
        Assert.Contains("bright, dim", gan.Stdout);
        Assert.Contains("24 resized to 8×8 pixels", gan.Stdout);
        var generate = Genmodels("generate", "--model", "imagegan.zip", "--rows", "4", "--output", "generated");
        Assert.True(generate.Code == 0, generate.Stderr);
        var pngs = Directory.GetFiles(Path_("generated"), "*.png").Order().ToArray();
        Assert.Equal(["bright-00000.png", "bright-00002.png", "dim-00001.png", "dim-00003.png"], pngs.Select(p => Path.GetFileName(p)).Order().ToArray());
        Assert.All(pngs, p => { using var image = MLImage.CreateFromFile(p); Assert.Equal((8, 8), (image.Width, image.Height)); });

        var train = Genmodels("anomaly", "train", "--images", "images", "--image-size", "8", "--trainer", "autoencoder", "--epochs", "3", "--output", "imagedetector.zip", "--threads", "1", "-q");
        Assert.True(train.Code == 0, train.Stderr);
        var score = Genmodels("anomaly", "score", "--model", "imagedetector.zip", "--images", "images", "--output", "imagescores.csv");
        Assert.True(score.Code == 0, score.Stderr);
        var rows = ReadCsv(Path_("imagescores.csv"));
        Assert.Equal(["ImagePath", "Folder", "Score", "PredictedLabel"], rows[0]);
        Assert.Equal(25, rows.Length);
        Assert.All(rows.Skip(1), r => Assert.True(File.Exists(r[0]) && float.IsFinite(float.Parse(r[2], CultureInfo.InvariantCulture))));

        // A convolutional VAE: one code per image.
        Assert.Equal(0, Genmodels("vae", "train", "--images", "images", "--image-size", "8", "--epochs", "2", "--output", "imagevae.zip", "--threads", "1", "-q").Code);
        Assert.Equal(0, Genmodels("encode", "--model", "imagevae.zip", "--images", "images", "--output", "imagecodes.csv").Code);
        var codes = ReadCsv(Path_("imagecodes.csv"));
        Assert.Equal(["ImagePath", "Folder", "Latent0", "Latent1", "ReconstructionError"], codes[0]);
        Assert.Equal(25, codes.Length);

        var (code, _, stderr) = Genmodels("anomaly", "score", "--model", "imagedetector.zip", "--data", "records.csv", "--output", "x.csv");
        Assert.Equal(2, code);
        Assert.Contains("was trained on images (8×8); give a folder with --images", stderr);
    }
}
