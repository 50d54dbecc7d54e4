using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using GenModels.MLNet;
using GenModels.Torch;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace GenModels.Cli;

/// <summary>The options several verbs share, and the steps they share: reading the CSV, the feature pipeline, training settings.</summary>
public static class CommonOptions
{
    public static Option<string> Data(string description = "The CSV file (header line, comma-separated unless --separator says otherwise).") =>
        new("--data", "-d") { Description = description, Required = true };

    public static Option<string> Model(string description) => new("--model", "-m") { Description = description, Required = true };

    public static Option<string> Output(string description, bool required = true) => new("--output", "-o") { Description = description, Required = required };

    public static Option<string?> LabelColumn(string description) => new("--label-column", "-l") { Description = description };

    public static Option<string[]> Columns() => new("--columns")
    {
        Description = "The numeric columns to learn from, comma-separated (default: every numeric column except the label).",
        CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
        AllowMultipleArgumentsPerToken = true,
    };

    public static Option<char> Separator() => new("--separator")
    {
        Description = "The field separator: a character, or 'tab'.",
        DefaultValueFactory = _ => ',',
        CustomParser = r =>
        {
            var text = r.Tokens.Count == 0 ? "," : r.Tokens[0].Value;
            if (text is "tab" or "\\t") return '\t';
            if (text.Length != 1) { r.AddError($"--separator: expected one character or 'tab', got '{text}'."); return ','; }
            return text[0];
        },
    };

    public static Option<int?> Epochs() => AtLeast(new Option<int?>("--epochs") { Description = "Training epochs (default: derived from the row count, see the README)." }, 1);
    public static Option<int?> BatchSize() => AtLeast(new Option<int?>("--batch-size") { Description = "Rows per optimiser step (default: derived from the row count)." }, 1);
    public static Option<int> Seed() => new("--seed") { Description = "Random seed: the same seed and data give the same model.", DefaultValueFactory = _ => 1 };
    public static Option<int?> Threads() => AtLeast(new Option<int?>("--threads") { Description = "libtorch threads (default: every core; 1 is faster on a busy machine)." }, 1);

    /// <summary>Rejects values below <paramref name="minimum"/> when the option is given (a usage error naming it).</summary>
    public static Option<T> AtLeast<T>(Option<T> option, double minimum)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<T>();
            if (value is not null && Convert.ToDouble(value, CultureInfo.InvariantCulture) < minimum)
                result.AddError($"{option.Name} must be at least {minimum.ToString(CultureInfo.InvariantCulture)}, got {value}.");
        });
        return option;
    }

    /// <summary>Rejects values outside (<paramref name="low"/>, <paramref name="high"/>] when the option is given.</summary>
    public static Option<double> InRange(Option<double> option, double low, double high)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<double>();
            if (!(value > low && value <= high))
                result.AddError($"{option.Name} must be in ({low.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}], got {value.ToString(CultureInfo.InvariantCulture)}.");
        });
        return option;
    }
    public static Option<string?> Code() => new("--code") { Description = "Write the C# consumption code to this file instead of printing it." };
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "No progress line." };

    public static Option<string?> Images(string description = "A folder of images (png, jpg, bmp, webp) instead of --data; each subfolder is a class.") =>
        new("--images") { Description = description };

    public static Option<int> ImageSize()
    {
        var option = AtLeast(new Option<int>("--image-size") { Description = "Images are resized to this many pixels square (a multiple of 4: convolutional networks).", DefaultValueFactory = _ => 32 }, 4);
        option.Validators.Add(r => { if (r.GetValueOrDefault<int>() % 4 != 0) r.AddError($"--image-size must be a multiple of 4, got {r.GetValueOrDefault<int>()}."); });
        return option;
    }

    /// <summary>Makes <paramref name="data"/> (a CSV) and <paramref name="images"/> (a folder) alternatives: exactly one must be given.</summary>
    public static void OneOf(Command command, Option<string> data, Option<string?> images)
    {
        data.Required = false;
        command.Validators.Add(r =>
        {
            bool csv = r.GetValue(data) is not null, folder = r.GetValue(images) is not null;
            if (csv == folder) r.AddError(csv ? "Give --data or --images, not both." : "Give --data (a CSV file) or --images (a folder of images).");
        });
    }

    /// <summary>
    /// What a training verb learns from, ready for an estimator: the fitted preparation (the CSV's numeric columns
    /// concatenated and scaled, or the images loaded and resized), the prepared rows and what the manifest records.
    /// </summary>
    public sealed record TrainingInput(TransformerChain<ITransformer> Preparation, IDataView Raw, IDataView Features, string FeatureColumn, string? LabelColumn,
        string Source, string[] FeatureNames, string[] InputColumns, float[] Scale, float[] Offset, int ImageSize, CsvTable? Table, ImageFolder? Folder)
    {
        /// <summary>The manifest's columns and scaling.</summary>
        public ModelManifest Manifest(ModelKind kind, string trainer) => new()
        {
            Kind = kind, Trainer = trainer, FeatureColumns = FeatureNames, CsvColumns = InputColumns, LabelColumn = LabelColumn, Scale = Scale, Offset = Offset, ImageSize = ImageSize,
        };

        /// <summary>"feature columns: 3: a, b, c" or "images: 40 of 32×32 pixels".</summary>
        public void Describe(SummaryTable summary)
        {
            if (Folder is null) summary.Add("feature columns", $"{FeatureNames.Length}: {string.Join(", ", FeatureNames)}");
            else summary.Add("images", $"{Folder.Rows.Count:N0} resized to {ImageSize}×{ImageSize} pixels");
        }
    }

    /// <summary>The CSV's numeric columns (or those of --columns, less the label), scaled to [0, 1] into one vector.</summary>
    public static TrainingInput FromCsv(MLContext ml, CsvTable table, IReadOnlyList<string>? columns, string? label, Func<CsvColumn, DataKind> labelKind, string? exclude = null)
    {
        var labelColumn = label is null ? null : table.Column(label, "--label-column");
        var features = table.FeatureColumns(columns, [labelColumn?.Name, exclude]).Select(c => c.Name).ToArray();
        var types = FeatureTypes(features);
        if (labelColumn is not null) types[labelColumn.Name] = labelKind(labelColumn);
        var view = table.Load(ml, types);
        string featureColumn = Unused("Features", table.Columns.Select(c => c.Name));
        var (prep, normalized, scale, offset) = FitFeatures(ml, view, features, featureColumn);
        return new TrainingInput(new TransformerChain<ITransformer>(prep.ToArray()), view, normalized, featureColumn, labelColumn?.Name, table.Path, features,
            table.Columns.Select(c => c.Name).ToArray(), scale, offset, 0, table, null);
    }

    /// <summary>A folder of images, loaded and resized to <paramref name="size"/>² inside the pipeline; subfolders are classes when <paramref name="classes"/>.</summary>
    public static TrainingInput FromImages(MLContext ml, string path, int size, bool classes)
    {
        var folder = ImageFolder.Open(path);
        var view = folder.Load(ml);
        var prep = ImageFolder.FitImagePipeline(ml, view, size);
        var chain = prep as TransformerChain<ITransformer> ?? new TransformerChain<ITransformer>(((IEnumerable<ITransformer>)prep).ToArray());
        string? label = classes && folder.Classes.Count >= 2 ? ImageFolder.ClassColumn : null;
        return new TrainingInput(chain, view, chain.Transform(view), ImageFolder.ImageColumn, label, folder.Root, [],
            [ImageFolder.PathColumn, ImageFolder.ClassColumn], [], [], size, null, folder);
    }

    /// <summary>Rows to score or encode with a saved model: the view, where it came from, and the columns passed through to the output CSV.</summary>
    public sealed record ScoringInput(IDataView Data, string Source, char Separator, string[] PassThrough, string? LabelColumn);

    /// <summary>
    /// Reads the CSV (<paramref name="data"/>) or image folder (<paramref name="images"/>) a saved model is applied to:
    /// the model's feature columns must be in the CSV (by name), and a model trained on images takes a folder, one trained
    /// on a CSV a CSV (usage errors say which). <paramref name="labelKind"/> types an optional label column.
    /// </summary>
    public static ScoringInput ForScoring(MLContext ml, ModelManifest manifest, string modelPath, string? data, string? images, char separator,
        string? label = null, Func<CsvColumn, CsvTable, DataKind>? labelKind = null)
    {
        if (images is not null)
        {
            if (manifest.ImageSize == 0)
                throw new UsageException($"--images: '{modelPath}' was trained on CSV columns ({string.Join(", ", manifest.FeatureColumns)}); give a CSV with --data.");
            if (label is not null) throw new UsageException("--label-column is for CSVs; an image folder has no label column.");
            var folder = ImageFolder.Open(images);
            return new ScoringInput(folder.Load(ml), folder.Root, ',', [ImageFolder.PathColumn, ImageFolder.ClassColumn], null);
        }
        if (manifest.ImageSize > 0)
            throw new UsageException($"--data: '{modelPath}' was trained on images ({manifest.ImageSize}×{manifest.ImageSize}); give a folder with --images.");
        var table = CsvTable.Open(data!, separator);
        foreach (var f in manifest.FeatureColumns) table.Column(f, "--data (the model was trained on it)");
        var labelColumn = label is null ? null : table.Column(label, "--label-column");
        var types = FeatureTypes(manifest.FeatureColumns);
        if (labelColumn is not null) types[labelColumn.Name] = labelKind!(labelColumn, table);
        return new ScoringInput(table.Load(ml, types), table.Path, table.Separator, table.Columns.Select(c => c.Name).ToArray(), labelColumn?.Name);
    }

    /// <summary>The options every training verb takes.</summary>
    public sealed class Training
    {
        public Option<int?> Epochs { get; } = CommonOptions.Epochs();
        public Option<int?> BatchSize { get; } = CommonOptions.BatchSize();
        public Option<int> Seed { get; } = CommonOptions.Seed();
        public Option<int?> Threads { get; } = CommonOptions.Threads();
        public Option<string?> Code { get; } = CommonOptions.Code();
        public Option<bool> Quiet { get; } = CommonOptions.Quiet();

        public void AddTo(Command command)
        {
            foreach (var o in new Option[] { Epochs, BatchSize, Seed, Threads, Code, Quiet }) command.Options.Add(o);
        }

        /// <summary>Copies the settings into an estimator's options and returns the progress line (null with --quiet).</summary>
        public ConsoleProgress? Apply(ParseResult r, TrainingRunOptions options, string title, CancellationToken cancel)
        {
            options.Epochs = r.GetValue(Epochs);
            options.BatchSize = r.GetValue(BatchSize);
            options.Seed = r.GetValue(Seed);
            options.CancellationToken = cancel;
            var progress = r.GetValue(Quiet) ? null : new ConsoleProgress(title);
            options.Progress = progress;
            return progress;
        }
    }

    /// <summary>Applies --threads to libtorch for the rest of the process.</summary>
    public static void UseThreads(ParseResult r, Option<int?> threads)
    {
        if (r.GetValue(threads) is int n) TorchThreads.Count = n;
    }

    /// <summary>A column name not taken by the CSV: <paramref name="name"/>, else name_1, name_2, …</summary>
    public static string Unused(string name, IEnumerable<string> taken)
    {
        var set = taken.ToHashSet(StringComparer.Ordinal);
        var candidate = name;
        for (int i = 1; set.Contains(candidate); i++) candidate = $"{name}_{i}";
        return candidate;
    }

    /// <summary>Forces feature columns to Single (a column that is empty in a new file would otherwise be read as text).</summary>
    public static Dictionary<string, DataKind> FeatureTypes(IEnumerable<string> features) => features.ToDictionary(f => f, _ => DataKind.Single);

    /// <summary>
    /// The features as the networks see them: the numeric columns concatenated into one vector, each scaled to [0, 1] by
    /// its training minimum and maximum. Returns the fitted pipeline, the transformed data and the affine map
    /// (normalised = (x − offset) × scale) that takes generated rows back to the CSV's units.
    /// </summary>
    public static (TransformerChain<NormalizingTransformer> Pipeline, IDataView Features, float[] Scale, float[] Offset) FitFeatures(
        MLContext ml, IDataView data, IReadOnlyList<string> columns, string featureColumn)
    {
        var pipeline = ml.Transforms.Concatenate(featureColumn, columns.ToArray())
            .Append(ml.Transforms.NormalizeMinMax(featureColumn, fixZero: false))
            .Fit(data);
        var parameters = (NormalizingTransformer.AffineNormalizerModelParameters<ImmutableArray<float>>)pipeline.LastTransformer.GetNormalizerModelParameters(0);
        var scale = parameters.Scale.ToArray();
        var offset = parameters.Offset.IsDefaultOrEmpty ? new float[scale.Length] : parameters.Offset.ToArray();
        return (pipeline, pipeline.Transform(data), scale, offset);
    }

    /// <summary>The first row's numeric values by column, for the consumption code's example input.</summary>
    public static Dictionary<string, float> FirstRow(CsvTable table) =>
        table.Columns.Where(c => c.Index < table.FirstRow.Count && float.TryParse(table.FirstRow[c.Index], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            .ToDictionary(c => c.Name, c => float.Parse(table.FirstRow[c.Index], NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>Prints the consumption code, or writes it to --code.</summary>
    public static void EmitCode(string code, string? path)
    {
        if (path is null)
        {
            Console.WriteLine();
            Console.WriteLine("C# to use the model in an app:");
            Console.WriteLine();
            Console.Write(code);
        }
        else
        {
            File.WriteAllText(path, code);
            Console.WriteLine($"C# consumption code written to {path}");
        }
    }

    /// <summary>The training rows of the summary: epochs, steps, time, final losses; the training warnings go below the table.</summary>
    public static void AddTraining(SummaryTable table, TrainingResult? training)
    {
        if (training is null) return;
        table.Add("epochs", training.StoppedEarly ? $"{training.EpochsRun} (stopped early)" : training.EpochsRun.ToString(CultureInfo.InvariantCulture));
        table.Add("optimiser steps", training.Steps.ToString("N0", CultureInfo.InvariantCulture));
        table.Add("batch size", training.Budget.BatchSize.ToString(CultureInfo.InvariantCulture));
        table.Add("training time", $"{training.Elapsed.TotalSeconds:F1} s");
        if (training.History.Count > 0)
            foreach (var (name, value) in training.History[^1].Losses) table.Add($"final {name}", value.ToString("G5", CultureInfo.InvariantCulture));
        foreach (var warning in training.Warnings) table.Note("warning: " + warning);
    }

    /// <summary>A number for the summary table.</summary>
    public static string F(double value, string format = "F4") => value.ToString(format, CultureInfo.InvariantCulture);
}
