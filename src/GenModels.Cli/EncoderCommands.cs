using System.CommandLine;
using GenModels.MLNet;
using GenModels.MLNet.Vae;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.Cli;

/// <summary><c>genmodels vae train</c> and <c>genmodels encode</c>.</summary>
public static class EncoderCommands
{
    public static Command CreateVae()
    {
        var vae = new Command("vae", "Variational autoencoders: learn a small code for each row of a CSV.");
        vae.Subcommands.Add(Train());
        return vae;
    }

    private static Command Train()
    {
        var data = CommonOptions.Data();
        var columns = CommonOptions.Columns();
        var ignore = new Option<string?>("--ignore-column") { Description = "A numeric column that is not a feature (an id or a label)." };
        var separator = CommonOptions.Separator();
        var output = CommonOptions.Output("The model file to write (.zip).");
        var latent = CommonOptions.AtLeast(new Option<int>("--latent-dim") { Description = "Size of the code.", DefaultValueFactory = _ => TrainingRunOptions.Defaults.LatentDimension }, 1);
        var beta = CommonOptions.InRange(new Option<double>("--beta") { Description = "Weight of the KL term: 1 is the standard VAE, above 1 a β-VAE.", DefaultValueFactory = _ => TrainingRunOptions.Defaults.Beta }, 0, double.MaxValue);
        var training = new CommonOptions.Training();
        var images = CommonOptions.Images("A folder of images (png, jpg, bmp, webp) instead of --data: a convolutional VAE learns a code per image.");
        var imageSize = CommonOptions.ImageSize();
        var command = new Command("train", "Train a VAE encoder on the numeric columns of a CSV, or on a folder of images.") { data, images, imageSize, columns, ignore, separator, output, latent, beta };
        training.AddTo(command);
        CommonOptions.OneOf(command, data, images);
        command.SetAction(Program.Run((r, cancel) =>
        {
            CommonOptions.UseThreads(r, training.Threads);
            var ml = new MLContext(r.GetValue(training.Seed));
            var table = r.GetValue(data) is string csv ? CsvTable.Open(csv, r.GetValue(separator)) : null;
            var input = table is null
                ? CommonOptions.FromImages(ml, r.GetValue(images)!, r.GetValue(imageSize), classes: false)
                : CommonOptions.FromCsv(ml, table, r.GetValue(columns), label: null, _ => DataKind.Single,
                    exclude: r.GetValue(ignore) is string i ? table.Column(i, "--ignore-column").Name : null);
            var taken = input.InputColumns;
            var options = new VaeEncodingEstimator.Options
            {
                InputColumnName = input.FeatureColumn,
                OutputColumnName = CommonOptions.Unused("Latent", taken),
                ReconstructionErrorColumnName = CommonOptions.Unused("ReconstructionError", taken),
                LatentDimension = r.GetValue(latent),
                Beta = r.GetValue(beta),
            };
            var progress = training.Apply(r, options, "vae", cancel);
            VaeEncodingTransformer vae;
            try { vae = ml.Transforms.VaeEncode(options).Fit(input.Features); }
            finally { progress?.Finish(); }
            var model = input.Preparation.Append<ITransformer>(vae);

            var manifest = input.Manifest(ModelKind.Vae, "vae");
            manifest.LatentDimension = options.LatentDimension;
            manifest.OutputColumns = [options.OutputColumnName, options.ReconstructionErrorColumnName];
            var path = r.GetValue(output)!;
            manifest.Save(ml, model, input.Raw.Schema, path);

            var encoded = model.Transform(input.Raw);
            double sum = 0; long rows = 0;
            using (var cursor = encoded.GetRowCursor([encoded.Schema[options.ReconstructionErrorColumnName]]))
            {
                var getter = cursor.GetGetter<float>(encoded.Schema[options.ReconstructionErrorColumnName]);
                float e = 0;
                while (cursor.MoveNext()) { getter(ref e); sum += e; rows++; }
            }
            var summary = new SummaryTable($"VAE trained on {input.Source}, saved to {path}");
            input.Describe(summary);
            summary.Add("rows", rows.ToString("N0"))
                .Add("latent dimension", options.LatentDimension.ToString())
                .Add("mean reconstruction error (MSE, scaled units)", CommonOptions.F(sum / Math.Max(1, rows), "G5"));
            CommonOptions.AddTraining(summary, vae.Training);
            summary.Print();
            CommonOptions.EmitCode(ConsumptionCode.ForPredictor(manifest, path, table is null ? input.Source : Path.GetFileName(table.Path),
                table is null ? new Dictionary<string, float>() : CommonOptions.FirstRow(table),
                [(options.OutputColumnName, "float[]", "The posterior mean: the row's code."), (options.ReconstructionErrorColumnName, "float", "Mean squared reconstruction error (scaled units).")],
                input.Folder?.Rows[0].ImagePath), r.GetValue(training.Code));
            return ExitCodes.Success;
        }));
        return command;
    }

    public static Command CreateEncode()
    {
        var model = CommonOptions.Model("A model written by 'genmodels vae train'.");
        var data = CommonOptions.Data("The CSV to encode: it needs the model's feature columns, by name, in any order.");
        var output = CommonOptions.Output("The CSV to write: the input's columns plus Latent0…Latent{k-1} and ReconstructionError.");
        var separator = CommonOptions.Separator();
        var threads = CommonOptions.Threads();
        var images = CommonOptions.Images("A folder of images to encode instead of --data (for a VAE trained with --images).");
        var command = new Command("encode", "Encode the rows of a CSV (or a folder of images) with a saved VAE: each row's code and reconstruction error.") { model, data, images, output, separator, threads };
        CommonOptions.OneOf(command, data, images);
        command.SetAction(Program.Run((r, cancel) =>
        {
            CommonOptions.UseThreads(r, threads);
            var modelPath = r.GetValue(model)!;
            var manifest = ModelManifest.Read(modelPath, "genmodels encode", ModelKind.Vae);
            var ml = new MLContext();
            var input = CommonOptions.ForScoring(ml, manifest, modelPath, r.GetValue(data), r.GetValue(images), r.GetValue(separator));
            var loaded = ml.Model.Load(modelPath, out _);
            var vae = ((IEnumerable<ITransformer>)loaded).OfType<VaeEncodingTransformer>().Last();
            var encoded = loaded.Transform(input.Data);
            // The VAE's output columns, as named at training: the code (a vector) and the reconstruction error.
            string latentColumn = manifest.OutputColumns[0], errorColumn = manifest.OutputColumns[1];
            var columns = input.PassThrough.Select(c => new CsvOutputColumn(c, c))
                .Concat(Enumerable.Range(0, vae.LatentDimension).Select(k => new CsvOutputColumn($"{latentColumn}{k}", latentColumn, k)))
                .Append(new CsvOutputColumn(errorColumn, errorColumn)).ToArray();
            var outputPath = r.GetValue(output)!;
            long rows = CsvWriter.Write(encoded, columns, outputPath, input.Separator);
            new SummaryTable($"Encoded {input.Source} with {modelPath}, written to {outputPath}")
                .Add("rows", rows.ToString("N0"))
                .Add("latent dimension", vae.LatentDimension.ToString())
                .Print();
            return ExitCodes.Success;
        }));
        return command;
    }
}
