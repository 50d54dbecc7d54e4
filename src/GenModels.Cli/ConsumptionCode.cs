using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GenModels.Cli;

/// <summary>
/// The C# that loads a saved model in an application, as Model Builder prints it: ModelInput/ModelOutput classes named
/// after the CSV's columns and a PredictionEngine (or, for a generator, <c>Generate</c> and the map back to the CSV's units).
/// </summary>
public static class ConsumptionCode
{
    private const string Packages = "// In a console app: dotnet add package GenModels.MLNet; dotnet add package TorchSharp-cpu";

    /// <summary>For an anomaly detector or a VAE encoder: a PredictionEngine over one row.</summary>
    public static string ForPredictor(ModelManifest manifest, string modelPath, string dataName, IReadOnlyDictionary<string, float> exampleRow,
        IReadOnlyList<(string Column, string Type, string Comment)> outputs, string? exampleImage = null)
    {
        var names = Identifiers(manifest.FeatureColumns);
        var sb = new StringBuilder();
        sb.AppendLine($"// Loads {Path.GetFileName(modelPath)} ({ModelManifest.Name(manifest.Kind)}) and scores one row.");
        sb.AppendLine(Packages);
        sb.AppendLine("using Microsoft.ML;");
        sb.AppendLine("using Microsoft.ML.Data;");
        sb.AppendLine();
        sb.AppendLine("var ml = new MLContext();");
        sb.AppendLine($"ITransformer model = ml.Model.Load({Literal(modelPath)}, out _);");
        sb.AppendLine("using var engine = ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);");
        sb.AppendLine($"var input = new ModelInput");
        sb.AppendLine("{");
        if (manifest.ImageSize > 0)
            sb.AppendLine($"    ImagePath = {Literal(exampleImage ?? "image.png")},");
        for (int i = 0; i < names.Length; i++)
            sb.AppendLine($"    {names[i]} = {Literal(exampleRow.TryGetValue(manifest.FeatureColumns[i], out var v) ? v : 0f)},");
        sb.AppendLine($"}};  // the first {(manifest.ImageSize > 0 ? "image" : "row")} of {dataName}");
        sb.AppendLine("ModelOutput output = engine.Predict(input);");
        sb.AppendLine("Console.WriteLine(" + string.Join(" + \", \" + ", outputs.Select(o => o.Type.EndsWith("[]", StringComparison.Ordinal)
            ? $"\"{o.Column} \" + string.Join(\" \", output.{Identifier(o.Column)})" : $"\"{o.Column} \" + output.{Identifier(o.Column)}")) + ");");
        sb.AppendLine();
        sb.AppendLine("public class ModelInput");
        sb.AppendLine("{");
        if (manifest.ImageSize > 0)
            sb.AppendLine($"    /// <summary>The image file (loaded and resized to {manifest.ImageSize}×{manifest.ImageSize} by the model).</summary>\n    public string ImagePath {{ get; set; }} = \"\";");
        for (int i = 0; i < names.Length; i++)
            sb.AppendLine($"    [ColumnName({Literal(manifest.FeatureColumns[i])})] public float {names[i]} {{ get; set; }}");
        sb.AppendLine("}");
        sb.AppendLine();
        sb.AppendLine("public class ModelOutput");
        sb.AppendLine("{");
        foreach (var (column, type, comment) in outputs)
        {
            string init = type.EndsWith("[]", StringComparison.Ordinal) ? " = [];" : "";
            sb.AppendLine($"    /// <summary>{comment}</summary>");
            sb.AppendLine($"    [ColumnName({Literal(column)})] public {type} {Identifier(column)} {{ get; set; }}{init}");
        }
        sb.AppendLine("}");
        return sb.ToString();
    }

    /// <summary>For a GAN or diffusion model: generate rows and map them back to the CSV's units.</summary>
    public static string ForGenerator(ModelManifest manifest, string modelPath, string featureColumn)
    {
        string type = manifest.Kind == ModelKind.Gan ? "GenModels.MLNet.Gan.GanTransformer" : "GenModels.MLNet.Diffusion.DiffusionTransformer";
        var sb = new StringBuilder();
        sb.AppendLine($"// Loads {Path.GetFileName(modelPath)} ({ModelManifest.Name(manifest.Kind)}) and generates rows.");
        sb.AppendLine(Packages);
        sb.AppendLine("using Microsoft.ML;");
        sb.AppendLine("using Microsoft.ML.Data;");
        sb.AppendLine();
        sb.AppendLine("var ml = new MLContext();");
        sb.AppendLine($"var model = (TransformerChain<ITransformer>)ml.Model.Load({Literal(modelPath)}, out _);");
        sb.AppendLine($"var generator = ({type})model.LastTransformer;");
        string label = manifest.Classes.Length > 0 ? $", label: {Literal(manifest.Classes[0])}" : "";
        sb.AppendLine($"IDataView rows = generator.Generate(rowCount: 10, seed: 1{label});");
        if (manifest.ImageSize > 0)
        {
            sb.AppendLine($"// An image column ({manifest.ImageSize}×{manifest.ImageSize} MLImage): save each image as a PNG.");
            sb.AppendLine("using var cursor = rows.GetRowCursor(rows.Schema);");
            sb.AppendLine($"var getImage = cursor.GetGetter<MLImage>(rows.Schema[{Literal(featureColumn)}]);");
            sb.AppendLine("MLImage image = null!;");
            sb.AppendLine("for (int i = 0; cursor.MoveNext(); i++)");
            sb.AppendLine("{");
            sb.AppendLine("    getImage(ref image);");
            sb.AppendLine("    image.Save($\"sample-{i}.png\");");
            sb.AppendLine("}");
            return sb.ToString();
        }
        sb.AppendLine($"// The model works in normalised units: x = value / scale + offset gives {string.Join(", ", manifest.FeatureColumns)}.");
        sb.AppendLine($"float[] scale = [{string.Join(", ", manifest.Scale.Select(Literal))}];");
        sb.AppendLine($"float[] offset = [{string.Join(", ", manifest.Offset.Select(Literal))}];");
        sb.AppendLine("foreach (var row in ml.Data.CreateEnumerable<GeneratedRow>(rows, reuseRowObject: false))");
        sb.AppendLine("    Console.WriteLine(string.Join(\",\", row.Features.Select((v, i) => scale[i] == 0 ? offset[i] : v / scale[i] + offset[i]))"
            + (manifest.Classes.Length > 0 ? " + \",\" + row.Label" : "") + ");");
        sb.AppendLine();
        sb.AppendLine("public class GeneratedRow");
        sb.AppendLine("{");
        sb.AppendLine($"    [ColumnName({Literal(featureColumn)})] public float[] Features {{ get; set; }} = [];");
        if (manifest.Classes.Length > 0)
            sb.AppendLine($"    [ColumnName({Literal(manifest.LabelColumn!)})] public string Label {{ get; set; }} = \"\";");
        sb.AppendLine("}");
        return sb.ToString();
    }

    /// <summary>C# identifiers for column names: letters and digits in PascalCase, unique.</summary>
    public static string[] Identifiers(IReadOnlyList<string> columns)
    {
        var used = new HashSet<string>(StringComparer.Ordinal) { "ModelInput", "ModelOutput" };
        return columns.Select(c =>
        {
            var name = Identifier(c);
            var unique = name;
            for (int i = 2; !used.Add(unique); i++) unique = name + i;
            return unique;
        }).ToArray();
    }

    /// <summary>One column name as a C# identifier.</summary>
    public static string Identifier(string column)
    {
        var parts = Regex.Split(column, @"[^\p{L}\p{Nd}]+").Where(p => p.Length > 0);
        var name = string.Concat(parts.Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        if (name.Length == 0) name = "Column";
        return char.IsDigit(name[0]) ? "C" + name : name;
    }

    private static string Literal(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string Literal(float v) => float.IsNaN(v) ? "float.NaN" : float.IsPositiveInfinity(v) ? "float.PositiveInfinity"
        : float.IsNegativeInfinity(v) ? "float.NegativeInfinity" : v.ToString("R", CultureInfo.InvariantCulture) + "f";
}
