using System.CommandLine;
using GenModels.MLNet;
using GenModels.MLNet.Vae;
using Microsoft.ML;

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
        var command = new Command("train", "Train a VAE encoder on the numeric columns of a CSV.") { data, columns, ignore, separator, output, latent, beta };
        training.AddTo(command);
        command.SetAction(Program.Run((r, cancel) =>
        {
            CommonOptions.UseThreads(r, training.Threads);
            var table = CsvTable.Open(r.GetValue(data)!, r.GetValue(separator));
            var ignored = r.GetValue(ignore) is string i ? table.Column(i, "--ignore-column").Name : null;
            var features = table.FeatureColumns(r.GetValue(columns), [ignored]).Select(c => c.Name).ToArray();
            var ml = new MLContext(r.GetValue(training.Seed));
            var view = table.Load(ml, CommonOptions.FeatureTypes(features));
            var taken = table.Columns.Select(c => c.Name).ToArray();
            string featureColumn = CommonOptions.Unused("Features", taken);
            var (prep, normalized, scale, offset) = CommonOptions.FitFeatures(ml, view, features, featureColumn);
            var options = new VaeEncodingEstimator.Options
            {
                InputColumnName = featureColumn,
                OutputColumnName = CommonOptions.Unused("Latent", taken),
                ReconstructionErrorColumnName = CommonOptions.Unused("ReconstructionError", taken),
                LatentDimension = r.GetValue(latent),
                Beta = r.GetValue(beta),
            };
            var progress = training.Apply(r, options, "vae", cancel);
            VaeEncodingTransformer vae;
            try { vae = ml.Transforms.VaeEncode(options).Fit(normalized); }
            finally { progress?.Finish(); }
            var model = prep.Append(vae);

            var manifest = new ModelManifest
            {
                Kind = ModelKind.Vae, Trainer = "vae", FeatureColumns = features, CsvColumns = taken, Scale = scale, Offset = offset, LatentDimension = options.LatentDimension,
                OutputColumns = [options.OutputColumnName, options.ReconstructionErrorColumnName],
            };
            var path = r.GetValue(output)!;
            manifest.Save(ml, model, view.Schema, path);

            var encoded = model.Transform(view);
            double sum = 0; long rows = 0;
            using (var cursor = encoded.GetRowCursor([encoded.Schema[options.ReconstructionErrorColumnName]]))
            {
                var getter = cursor.GetGetter<float>(encoded.Schema[options.ReconstructionErrorColumnName]);
                float e = 0;
                while (cursor.MoveNext()) { getter(ref e); sum += e; rows++; }
            }
            var summary = new SummaryTable($"VAE trained on {table.Path}, saved to {path}")
                .Add("feature columns", $"{features.Length}: {string.Join(", ", features)}")
                .Add("rows", rows.ToString("N0"))
                .Add("latent dimension", options.LatentDimension.ToString())
                .Add("mean reconstruction error (MSE, scaled units)", CommonOptions.F(sum / Math.Max(1, rows), "G5"));
            CommonOptions.AddTraining(summary, vae.Training);
            summary.Print();
            CommonOptions.EmitCode(ConsumptionCode.ForPredictor(manifest, path, Path.GetFileName(table.Path), CommonOptions.FirstRow(table),
                [(options.OutputColumnName, "float[]", "The posterior mean: the row's code."), (options.ReconstructionErrorColumnName, "float", "Mean squared reconstruction error (scaled units).")]),
                r.GetValue(training.Code));
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
        var command = new Command("encode", "Encode the rows of a CSV with a saved VAE: each row's code and reconstruction error.") { model, data, output, separator, threads };
        command.SetAction(Program.Run((r, cancel) =>
        {
            CommonOptions.UseThreads(r, threads);
            var modelPath = r.GetValue(model)!;
            var manifest = ModelManifest.Read(modelPath, "genmodels encode", ModelKind.Vae);
            var table = CsvTable.Open(r.GetValue(data)!, r.GetValue(separator));
            foreach (var f in manifest.FeatureColumns) table.Column(f, "--data (the model was trained on it)");
            var ml = new MLContext();
            var view = table.Load(ml, CommonOptions.FeatureTypes(manifest.FeatureColumns));
            var loaded = ml.Model.Load(modelPath, out _);
            var vae = ((IEnumerable<ITransformer>)loaded).OfType<VaeEncodingTransformer>().Last();
            var encoded = loaded.Transform(view);
            // The VAE's output columns, as named at training: the code (a vector) and the reconstruction error.
            string latentColumn = manifest.OutputColumns[0], errorColumn = manifest.OutputColumns[1];
            var columns = table.Columns.Select(c => new CsvOutputColumn(c.Name, c.Name))
                .Concat(Enumerable.Range(0, vae.LatentDimension).Select(k => new CsvOutputColumn($"{latentColumn}{k}", latentColumn, k)))
                .Append(new CsvOutputColumn(errorColumn, errorColumn)).ToArray();
            var outputPath = r.GetValue(output)!;
            long rows = CsvWriter.Write(encoded, columns, outputPath, table.Separator);
            new SummaryTable($"Encoded {table.Path} with {modelPath}, written to {outputPath}")
                .Add("rows", rows.ToString("N0"))
                .Add("latent dimension", vae.LatentDimension.ToString())
                .Print();
            return ExitCodes.Success;
        }));
        return command;
    }
}
