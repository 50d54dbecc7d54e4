using System.CommandLine;
using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.Cli;

/// <summary><c>genmodels anomaly train</c> and <c>genmodels anomaly score</c>.</summary>
public static class AnomalyCommands
{
    public static Command Create()
    {
        var anomaly = new Command("anomaly", "Anomaly detection on the numeric columns of a CSV with a VAE or an autoencoder.");
        anomaly.Subcommands.Add(Train());
        anomaly.Subcommands.Add(Score());
        return anomaly;
    }

    private static Command Train()
    {
        var data = CommonOptions.Data();
        var label = CommonOptions.LabelColumn("A column that marks known anomalies (a number > 0, or true): never a feature; used only to report ROC-AUC.");
        var columns = CommonOptions.Columns();
        var separator = CommonOptions.Separator();
        var output = CommonOptions.Output("The model file to write (.zip).");
        var trainer = new Option<string>("--trainer") { Description = "The network: vae or autoencoder.", DefaultValueFactory = _ => "vae" };
        trainer.AcceptOnlyFromAmong("vae", "autoencoder");
        var contamination = CommonOptions.InRange(new Option<double>("--contamination") { Description = "The share of training rows expected to be anomalies; sets the threshold (0 < c <= 0.5).", DefaultValueFactory = _ => AnomalyDetectionTrainerOptions.Defaults.Contamination }, 0, 0.5);
        var latent = CommonOptions.AtLeast(new Option<int>("--latent-dim") { Description = "Size of the code.", DefaultValueFactory = _ => TrainingRunOptions.Defaults.LatentDimension }, 1);
        var training = new CommonOptions.Training();
        var images = CommonOptions.Images("A folder of images (png, jpg, bmp, webp) instead of --data: the detector learns what they look like.");
        var imageSize = CommonOptions.ImageSize();
        var command = new Command("train", "Train an anomaly detector on a CSV (with --label-column, report ROC-AUC on it) or on a folder of images.")
            { data, images, imageSize, label, columns, separator, output, trainer, contamination, latent };
        training.AddTo(command);
        CommonOptions.OneOf(command, data, images);
        command.SetAction(Program.Run((r, cancel) =>
        {
            CommonOptions.UseThreads(r, training.Threads);
            var ml = new MLContext(r.GetValue(training.Seed));
            if (r.GetValue(images) is not null && r.GetValue(label) is not null)
                throw new UsageException("--label-column is for CSVs; an image folder has no label column.");
            var table = r.GetValue(data) is string csv ? CsvTable.Open(csv, r.GetValue(separator)) : null;
            var input = table is null
                ? CommonOptions.FromImages(ml, r.GetValue(images)!, r.GetValue(imageSize), classes: false)
                : CommonOptions.FromCsv(ml, table, r.GetValue(columns), r.GetValue(label), c => LabelKind(c, table));
            var taken = input.InputColumns;

            var kind = r.GetValue(trainer)!;
            AnomalyDetectionTrainerOptions options = kind == "vae" ? new VaeAnomalyDetectionTrainer.Options() : new AutoencoderAnomalyDetectionTrainer.Options();
            options.FeatureColumnName = input.FeatureColumn;
            options.ScoreColumnName = CommonOptions.Unused("Score", taken);
            options.PredictedLabelColumnName = CommonOptions.Unused("PredictedLabel", taken);
            options.Contamination = r.GetValue(contamination);
            options.LatentDimension = r.GetValue(latent);
            var progress = training.Apply(r, options, $"{kind} detector", cancel);
            GenerativeAnomalyDetectionTransformer detector;
            try
            {
                detector = options is VaeAnomalyDetectionTrainer.Options vae
                    ? ml.AnomalyDetection.Trainers.Vae(vae).Fit(input.Features)
                    : ml.AnomalyDetection.Trainers.Autoencoder((AutoencoderAnomalyDetectionTrainer.Options)options).Fit(input.Features);
            }
            finally { progress?.Finish(); }
            var model = input.Preparation.Append<ITransformer>(detector);

            var manifest = input.Manifest(ModelKind.AnomalyDetector, kind);
            manifest.LatentDimension = options.LatentDimension;
            manifest.OutputColumns = [options.ScoreColumnName, options.PredictedLabelColumnName];
            var path = r.GetValue(output)!;
            manifest.Save(ml, model, input.Raw.Schema, path);

            var summary = new SummaryTable($"Anomaly detector ({kind}) trained on {input.Source}, saved to {path}");
            input.Describe(summary);
            AddScores(ml, summary, model.Transform(input.Raw), detector, input.LabelColumn);
            CommonOptions.AddTraining(summary, detector.Training);
            summary.Print();
            var dataName = input.Table is null ? input.Source : Path.GetFileName(input.Source);
            CommonOptions.EmitCode(ConsumptionCode.ForPredictor(manifest, path, dataName, input.Table is null ? new Dictionary<string, float>() : CommonOptions.FirstRow(input.Table),
                [(detector.ScoreColumnName, "float", "Higher = more anomalous."), (detector.PredictedLabelColumnName, "bool", "Score above the threshold.")],
                input.Folder?.Rows[0].ImagePath), r.GetValue(training.Code));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Score()
    {
        var model = CommonOptions.Model("A model written by 'genmodels anomaly train'.");
        var data = CommonOptions.Data("The CSV to score: it needs the model's feature columns, by name, in any order.");
        var output = CommonOptions.Output("The CSV to write: the input's columns plus Score and PredictedLabel.");
        var label = CommonOptions.LabelColumn("A column that marks anomalies (a number > 0, or true): report ROC-AUC on this file.");
        var separator = CommonOptions.Separator();
        var threshold = new Option<float?>("--threshold") { Description = "Flag rows whose score is above this value instead of the trained threshold." };
        var threads = CommonOptions.Threads();
        var images = CommonOptions.Images("A folder of images to score instead of --data (for a detector trained with --images).");
        var command = new Command("score", "Score a CSV (or a folder of images) with a saved anomaly detector and write the scores.") { model, data, images, output, label, separator, threshold, threads };
        CommonOptions.OneOf(command, data, images);
        command.SetAction(Program.Run((r, cancel) =>
        {
            CommonOptions.UseThreads(r, threads);
            var modelPath = r.GetValue(model)!;
            var manifest = ModelManifest.Read(modelPath, "genmodels anomaly score", ModelKind.AnomalyDetector);
            var ml = new MLContext();
            var input = CommonOptions.ForScoring(ml, manifest, modelPath, r.GetValue(data), r.GetValue(images), r.GetValue(separator), r.GetValue(label), LabelKind);
            var loaded = ml.Model.Load(modelPath, out _);
            if (r.GetValue(threshold) is float t) loaded = ml.AnomalyDetection.ChangeThreshold(loaded, t);
            var detector = ((IEnumerable<ITransformer>)loaded).OfType<GenerativeAnomalyDetectionTransformer>().Last();
            var scored = loaded.Transform(input.Data);

            var outputPath = r.GetValue(output)!;
            var columns = input.PassThrough.Select(c => new CsvOutputColumn(c, c))
                .Append(new CsvOutputColumn(detector.ScoreColumnName, detector.ScoreColumnName))
                .Append(new CsvOutputColumn(detector.PredictedLabelColumnName, detector.PredictedLabelColumnName)).ToArray();
            CsvWriter.Write(scored, columns, outputPath, input.Separator);

            var summary = new SummaryTable($"Scored {input.Source} with {modelPath}, written to {outputPath}");
            AddScores(ml, summary, scored, detector, input.LabelColumn);
            summary.Print();
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>
    /// How a label column is read: numbers as Single (> 0 = anomaly), true/false text as Boolean. Anything else is a usage
    /// error naming the values found, because ML.NET's evaluator needs one of those two.
    /// </summary>
    private static DataKind LabelKind(CsvColumn column, CsvTable table)
    {
        if (column.Kind == CsvColumnKind.Numeric) return DataKind.Single;
        var values = table.ValuesOf(column);
        if (values.All(v => v.Equals("true", StringComparison.OrdinalIgnoreCase) || v.Equals("false", StringComparison.OrdinalIgnoreCase))) return DataKind.Boolean;
        throw new UsageException($"--label-column: the column '{column.Name}' holds {string.Join(", ", values.Take(5).Select(v => $"'{v}'"))}"
            + "; an anomaly label must be a number (> 0 = anomaly) or true/false.");
    }

    /// <summary>Rows, flagged rows and threshold; with a label, ROC-AUC and the detection rate.</summary>
    private static void AddScores(MLContext ml, SummaryTable summary, IDataView scored, GenerativeAnomalyDetectionTransformer detector, string? label)
    {
        long rows = 0, flagged = 0;
        using (var cursor = scored.GetRowCursor([scored.Schema[detector.PredictedLabelColumnName]]))
        {
            var getter = cursor.GetGetter<bool>(scored.Schema[detector.PredictedLabelColumnName]);
            bool value = false;
            while (cursor.MoveNext()) { rows++; getter(ref value); if (value) flagged++; }
        }
        summary.Add("rows", rows.ToString("N0"))
            .Add("flagged as anomalies", $"{flagged:N0} ({(rows == 0 ? 0 : 100.0 * flagged / rows):F1} %)")
            .Add("threshold", CommonOptions.F(detector.Threshold, "G5"));
        if (label is null) return;
        var metrics = ml.AnomalyDetection.EvaluateDetector(scored, label, detector.ScoreColumnName, detector.PredictedLabelColumnName);
        summary.Add("ROC-AUC", CommonOptions.F(metrics.AreaUnderRocCurve))
            .Add("detection rate at FP count", CommonOptions.F(metrics.DetectionRateAtFalsePositiveCount));
    }
}
