using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;

namespace GenModels.Cli;

/// <summary>What a model file made by the tool holds.</summary>
public enum ModelKind
{
    /// <summary>A VAE or autoencoder anomaly detector (<c>anomaly train</c>).</summary>
    AnomalyDetector,
    /// <summary>A VAE encoder (<c>vae train</c>).</summary>
    Vae,
    /// <summary>A GAN generator (<c>gan train</c>).</summary>
    Gan,
    /// <summary>A diffusion model (<c>diffusion train</c>).</summary>
    Diffusion,
}

/// <summary>
/// The tool's notes about a model, saved beside ML.NET's model in the same zip (entry <see cref="EntryName"/>; ML.NET's
/// loader reads only its own entries): what kind of model it is, the CSV columns it was trained on, the label, and the
/// normaliser's affine map so that generated rows can be written in the original units.
/// </summary>
public sealed class ModelManifest
{
    /// <summary>The zip entry.</summary>
    public const string EntryName = "GenModels.Cli/manifest.json";
    /// <summary>Bumped when the manifest changes incompatibly.</summary>
    public const int CurrentFormat = 1;

    /// <summary>Manifest format.</summary>
    public int Format { get; set; } = CurrentFormat;
    /// <summary>What the file holds.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public ModelKind Kind { get; set; }
    /// <summary>The network family: vae, autoencoder, gan, diffusion.</summary>
    public string Trainer { get; set; } = "";
    /// <summary>The numeric CSV columns, in the order of the feature vector.</summary>
    public string[] FeatureColumns { get; set; } = [];
    /// <summary>Every CSV column of the training file (scoring and encoding write them back).</summary>
    public string[] CsvColumns { get; set; } = [];
    /// <summary>The columns the model adds (an encoder's code and error, a detector's score and flag), or the generated feature column.</summary>
    public string[] OutputColumns { get; set; } = [];
    /// <summary>The label column, or null.</summary>
    public string? LabelColumn { get; set; }
    /// <summary>The label classes of a conditional generator.</summary>
    public string[] Classes { get; set; } = [];
    /// <summary>The normaliser's scale per feature: normalised = (x − offset) × scale.</summary>
    public float[] Scale { get; set; } = [];
    /// <summary>The normaliser's offset per feature.</summary>
    public float[] Offset { get; set; } = [];
    /// <summary>Side of the square images an image model was trained on (pixels); 0 for a model of CSV columns.</summary>
    public int ImageSize { get; set; }
    /// <summary>Latent dimension of an encoder.</summary>
    public int LatentDimension { get; set; }

    /// <summary>The kind in a few words: "a GAN generator".</summary>
    public static string Name(ModelKind kind) => kind switch
    {
        ModelKind.AnomalyDetector => "an anomaly detector",
        ModelKind.Vae => "a VAE encoder",
        ModelKind.Gan => "a GAN generator",
        ModelKind.Diffusion => "a diffusion model",
        _ => kind.ToString(),
    };

    /// <summary>The kind and the verb that makes it, as messages name it.</summary>
    public static string Describe(ModelKind kind) => kind switch
    {
        ModelKind.AnomalyDetector => $"{Name(kind)} (made by 'genmodels anomaly train')",
        ModelKind.Vae => $"{Name(kind)} (made by 'genmodels vae train')",
        ModelKind.Gan => $"{Name(kind)} (made by 'genmodels gan train')",
        ModelKind.Diffusion => $"{Name(kind)} (made by 'genmodels diffusion train')",
        _ => kind.ToString(),
    };

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Saves the ML.NET model, then adds the manifest to its zip.</summary>
    public void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string path)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
            throw new UsageException($"Cannot write '{path}': the folder '{directory}' does not exist.");
        ml.Model.Save(model, inputSchema, path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        using var stream = zip.CreateEntry(EntryName).Open();
        JsonSerializer.Serialize(stream, this, Json);
    }

    /// <summary>
    /// Reads the manifest of a model file and checks that it holds one of <paramref name="expected"/>; a usage error names
    /// what the file holds and what the verb needs.
    /// </summary>
    public static ModelManifest Read(string path, string verb, params ModelKind[] expected)
    {
        string wanted = string.Join(" or ", expected.Select(Describe));
        if (!File.Exists(path))
            throw new UsageException(Directory.Exists(path) ? $"'{path}' is a folder; --model expects a model file." : $"The model file '{path}' does not exist.");
        ModelManifest? manifest;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var entry = zip.GetEntry(EntryName);
            if (entry is null)
            {
                bool mlnet = zip.Entries.Any(e => e.FullName.StartsWith("TransformerChain", StringComparison.Ordinal) || e.FullName.StartsWith("Model/", StringComparison.Ordinal));
                throw new UsageException(mlnet
                    ? $"'{path}' is an ML.NET model that genmodels did not write (it has no {EntryName}); '{verb}' needs {wanted}."
                    : $"'{path}' is a zip file but not a model; '{verb}' needs {wanted}.");
            }
            using var stream = entry.Open();
            manifest = JsonSerializer.Deserialize<ModelManifest>(stream, Json);
        }
        catch (InvalidDataException)
        {
            throw new UsageException($"'{path}' is not a model file (not a zip archive); '{verb}' needs {wanted}.");
        }
        catch (JsonException e)
        {
            throw new UsageException($"'{path}' has an unreadable {EntryName} ({e.Message}).");
        }
        if (manifest is null || manifest.Format > CurrentFormat)
            throw new UsageException($"'{path}' was written by a newer genmodels (manifest format {manifest?.Format}); update the tool.");
        if (!expected.Contains(manifest.Kind))
            throw new UsageException($"'{path}' holds {Describe(manifest.Kind)}; '{verb}' needs {wanted}.");
        return manifest;
    }
}
