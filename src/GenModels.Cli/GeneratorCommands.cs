using System.CommandLine;
using GenModels.MLNet;
using GenModels.MLNet.Diffusion;
using GenModels.MLNet.Gan;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.Cli;

/// <summary><c>genmodels gan train</c>, <c>genmodels diffusion train</c> and <c>genmodels generate</c>.</summary>
public static class GeneratorCommands
{
    public static Command CreateGan() => Family(ModelKind.Gan, "gan", "GANs: learn to generate rows like those of a CSV (conditional on a label column when one is given).");

    public static Command CreateDiffusion() => Family(ModelKind.Diffusion, "diffusion", "Diffusion models: learn to generate rows like those of a CSV (conditional on a label column when one is given).");

    private static Command Family(ModelKind kind, string name, string description)
    {
        var family = new Command(name, description);
        family.Subcommands.Add(Train(kind, name));
        return family;
    }

    private static Command Train(ModelKind kind, string name)
    {
        var data = CommonOptions.Data();
        var images = CommonOptions.Images();
        var imageSize = CommonOptions.ImageSize();
        var label = CommonOptions.LabelColumn("A column of classes (text or numbers): the model learns each class and 'generate --label' asks for one.");
        var columns = CommonOptions.Columns();
        var separator = CommonOptions.Separator();
        var output = CommonOptions.Output("The model file to write (.zip).");
        var training = new CommonOptions.Training();
        var command = new Command("train", $"Train a {(kind == ModelKind.Gan ? "GAN" : "diffusion model")} on the numeric columns of a CSV, or on a folder of images.")
            { data, images, imageSize, label, columns, separator, output };
        training.AddTo(command);
        CommonOptions.OneOf(command, data, images);
        command.SetAction(Program.Run((r, cancel) =>
        {
            CommonOptions.UseThreads(r, training.Threads);
            var ml = new MLContext(r.GetValue(training.Seed));
            if (r.GetValue(images) is not null && r.GetValue(label) is not null)
                throw new UsageException("--label-column is for CSVs; with --images, each subfolder is a class.");
            var input = r.GetValue(images) is string folder
                ? CommonOptions.FromImages(ml, folder, r.GetValue(imageSize), classes: true)
                : CommonOptions.FromCsv(ml, CsvTable.Open(r.GetValue(data)!, r.GetValue(separator)), r.GetValue(columns), r.GetValue(label),
                    _ => DataKind.String);   // classes by their text, numbers included

            GeneratorTransformerBase generator;
            ConsoleProgress? progress = null;
            try
            {
                if (kind == ModelKind.Gan)
                {
                    var options = new GanEstimator.Options { FeatureColumnName = input.FeatureColumn, LabelColumnName = input.LabelColumn };
                    progress = training.Apply(r, options, name, cancel);
                    generator = ml.Generative().Gan(options).Fit(input.Features);
                }
                else
                {
                    var options = new DiffusionEstimator.Options { FeatureColumnName = input.FeatureColumn, LabelColumnName = input.LabelColumn };
                    progress = training.Apply(r, options, name, cancel);
                    generator = ml.Generative().Diffusion(options).Fit(input.Features);
                }
            }
            finally { progress?.Finish(); }
            var model = input.Preparation.Append<ITransformer>(generator);

            var manifest = input.Manifest(kind, name);
            manifest.Classes = generator.ClassNames.ToArray();
            manifest.OutputColumns = [input.FeatureColumn];
            var path = r.GetValue(output)!;
            manifest.Save(ml, model, input.Raw.Schema, path);

            long rows = input.Features.GetRowCount() ?? CountRows(input.Features);
            var summary = new SummaryTable($"{(kind == ModelKind.Gan ? "GAN" : "Diffusion model")} trained on {input.Source}, saved to {path}");
            input.Describe(summary);
            summary.Add("rows", rows.ToString("N0"));
            if (generator.IsConditional) summary.Add("classes", string.Join(", ", generator.ClassNames));
            if (input.ImageSize == 0)
            {
                // How close the samples are to the training rows, in the normalised units the model learns in.
                int sample = (int)Math.Min(rows, 2000);
                var evaluation = ml.Generative().Evaluate(input.Features, Generate(generator, sample, seed: 1, label: null),
                    new GeneratorEvaluationOptions { FeatureColumnName = input.FeatureColumn, MaxRows = sample, KernelBlockSize = Math.Min(1000, Math.Max(2, sample / 2)), Seed = 1 });
                summary.Add($"precision ({sample:N0} samples)", CommonOptions.F(evaluation.Precision))
                    .Add($"recall ({sample:N0} samples)", CommonOptions.F(evaluation.Recall))
                    .Add("Fréchet distance (scaled units)", CommonOptions.F(evaluation.FrechetDistance));
            }
            CommonOptions.AddTraining(summary, kind == ModelKind.Gan ? ((GanTransformer)generator).Training : ((DiffusionTransformer)generator).Training);
            summary.Print();
            CommonOptions.EmitCode(ConsumptionCode.ForGenerator(manifest, path, input.FeatureColumn), r.GetValue(training.Code));
            return ExitCodes.Success;
        }));
        return command;
    }

    public static Command CreateGenerate()
    {
        var model = CommonOptions.Model("A model written by 'genmodels gan train' or 'genmodels diffusion train'.");
        var rows = CommonOptions.AtLeast(new Option<long>("--rows", "-n") { Description = "How many rows to generate.", DefaultValueFactory = _ => 1000 }, 0);
        var output = CommonOptions.Output("The CSV to write, with the training file's column names and units; for an image model, the folder to write PNGs into.");
        var label = new Option<string?>("--label") { Description = "Generate only this class (a conditional model); default: every class in turn." };
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var command = new Command("generate", "Generate synthetic rows from a saved GAN or diffusion model into a CSV.") { model, rows, output, label, seed, threads };
        command.SetAction(Program.Run((r, cancel) =>
        {
            CommonOptions.UseThreads(r, threads);
            var modelPath = r.GetValue(model)!;
            var manifest = ModelManifest.Read(modelPath, "genmodels generate", ModelKind.Gan, ModelKind.Diffusion);
            var wanted = r.GetValue(label);
            if (wanted is not null && manifest.Classes.Length == 0)
                throw new UsageException($"--label: '{modelPath}' was trained without a label column, so it cannot generate a class.");
            if (wanted is not null && !manifest.Classes.Contains(wanted))
                throw new UsageException($"--label: '{wanted}' is not a class of '{modelPath}'. Its classes are: {string.Join(", ", manifest.Classes)}.");
            var ml = new MLContext();
            var loaded = ml.Model.Load(modelPath, out _);
            var generator = ((IEnumerable<ITransformer>)loaded).OfType<GeneratorTransformerBase>().Last();
            var generated = Generate(generator, r.GetValue(rows), r.GetValue(seed), wanted);
            var outputPath = r.GetValue(output)!;
            if (manifest.ImageSize > 0)
            {
                if (File.Exists(outputPath)) throw new UsageException($"--output: '{outputPath}' is a file; an image model writes PNGs into a folder.");
                long images = ImageFolder.SavePngs(generated, manifest.OutputColumns[0], generator.IsConditional ? generator.LabelColumnName : null, outputPath);
                var table = new SummaryTable($"Generated {images:N0} images with {modelPath}, written to {outputPath}")
                    .Add("images", images.ToString("N0"))
                    .Add("size", $"{manifest.ImageSize}×{manifest.ImageSize} pixels")
                    .Add("seed", r.GetValue(seed).ToString());
                if (wanted is not null) table.Add("class", wanted);
                table.Print();
                return ExitCodes.Success;
            }
            // The training file's order: features back in their units, the label as text.
            var featureColumn = manifest.OutputColumns[0];
            var columns = manifest.CsvColumns.Select(c =>
            {
                int i = Array.IndexOf(manifest.FeatureColumns, c);
                if (i >= 0) return new CsvOutputColumn(c, featureColumn, i, manifest.Scale[i] == 0 ? float.PositiveInfinity : manifest.Scale[i], manifest.Offset[i]);
                return c == manifest.LabelColumn && generator.IsConditional ? new CsvOutputColumn(c, generator.LabelColumnName!) : null;
            }).OfType<CsvOutputColumn>().ToArray();
            long written = CsvWriter.Write(generated, columns, outputPath);
            var summary = new SummaryTable($"Generated {written:N0} rows with {modelPath}, written to {outputPath}")
                .Add("rows", written.ToString("N0"))
                .Add("columns", string.Join(", ", columns.Select(c => c.Header)))
                .Add("seed", r.GetValue(seed).ToString());
            if (wanted is not null) summary.Add("class", wanted);
            summary.Print();
            return ExitCodes.Success;
        }));
        return command;
    }

    private static IDataView Generate(GeneratorTransformerBase generator, long rows, int seed, string? label) => generator switch
    {
        GanTransformer gan => gan.Generate(rows, seed, label),
        DiffusionTransformer diffusion => diffusion.Generate(rows, seed, label),
        _ => throw new InvalidOperationException($"{generator.GetType().Name} is not a generator the tool knows."),
    };

    private static long CountRows(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }
}
