using GenModels.MLNet.Autoencoders;
using GenModels.MLNet.Persistence;
using GenModels.MLNet.Vae;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet;

/// <summary>Catalog extensions: GenModels components next to ML.NET's own, e.g. <c>mlContext.Transforms.VaeEncode(...)</c>.</summary>
public static class GenModelsCatalog
{
    /// <summary>
    /// Trains a variational autoencoder on <paramref name="inputColumnName"/> and encodes each row as its posterior mean in
    /// <paramref name="outputColumnName"/> (a vector of <paramref name="latentDimension"/> Singles).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The code column to produce.</param>
    /// <param name="inputColumnName">A known-size vector of Single; defaults to <paramref name="outputColumnName"/>. Normalise it first.</param>
    /// <param name="latentDimension">Length of the code.</param>
    /// <param name="beta">Weight of the KL term: 1 is the standard VAE, larger values a β-VAE.</param>
    public static VaeEncodingEstimator VaeEncode(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null,
        int latentDimension = ReconstructionEstimatorOptions.Defaults.LatentDimension, double beta = ReconstructionEstimatorOptions.Defaults.Beta) =>
        catalog.VaeEncode(new VaeEncodingEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName ?? outputColumnName,
            LatentDimension = latentDimension,
            Beta = beta,
        });

    /// <summary>Trains a variational autoencoder with every setting in <paramref name="options"/>.</summary>
    public static VaeEncodingEstimator VaeEncode(this TransformsCatalog catalog, VaeEncodingEstimator.Options options) =>
        new(Environment(catalog), options);

    /// <summary>
    /// Trains a deterministic autoencoder on <paramref name="inputColumnName"/> and encodes each row as its code in
    /// <paramref name="outputColumnName"/> (a vector of <paramref name="latentDimension"/> Singles).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The code column to produce.</param>
    /// <param name="inputColumnName">A known-size vector of Single; defaults to <paramref name="outputColumnName"/>. Normalise it first.</param>
    /// <param name="latentDimension">Length of the code.</param>
    public static AutoencoderEncodingEstimator AutoencoderEncode(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null,
        int latentDimension = ReconstructionEstimatorOptions.Defaults.LatentDimension) =>
        catalog.AutoencoderEncode(new AutoencoderEncodingEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName ?? outputColumnName,
            LatentDimension = latentDimension,
        });

    /// <summary>Trains a deterministic autoencoder with every setting in <paramref name="options"/>.</summary>
    public static AutoencoderEncodingEstimator AutoencoderEncode(this TransformsCatalog catalog, AutoencoderEncodingEstimator.Options options) =>
        new(Environment(catalog), options);

    /// <summary>
    /// Saves like <c>mlContext.Model.Save</c>, but into a temporary file beside <paramref name="filePath"/> that replaces it
    /// only once complete: a failed save leaves neither a half-written model nor a stray file, and keeps any previous model.
    /// </summary>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, string filePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        var fullPath = Path.GetFullPath(filePath);
        var temporary = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temporary)) catalog.Save(model, inputSchema, stream);
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private static IHostEnvironment Environment(TransformsCatalog catalog) => MLNetInternals.EnvironmentOf(catalog);
}
