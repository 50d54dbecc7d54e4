using GenModels.MLNet.CycleGan;
using GenModels.MLNet.Diffusion;
using GenModels.MLNet.Gan;
using GenModels.MLNet.Persistence;
using GenModels.MLNet.Tabular;
using GenModels.MLNet.Translation;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet;

/// <summary>Generative components that are not transforms or trainers: <c>mlContext.Generative()</c>.</summary>
public sealed class GenerativeCatalog
{
    private readonly IHostEnvironment env;
    internal GenerativeCatalog(IHostEnvironment env) => this.env = env;

    /// <summary>
    /// A GAN that learns to imitate <paramref name="featureColumnName"/>; with <paramref name="labelColumnName"/> it is
    /// conditional and generates rows per class.
    /// </summary>
    /// <param name="featureColumnName">A known-size vector of Single (normalise it first).</param>
    /// <param name="labelColumnName">An optional text or key column of classes.</param>
    /// <param name="epochs">Passes over the training data; null derives them from the row count (about 10,000 optimiser steps).</param>
    public GanEstimator Gan(string featureColumnName = "Features", string? labelColumnName = null, int? epochs = null) =>
        Gan(new GanEstimator.Options { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, Epochs = epochs });

    /// <summary>A GAN with every setting in <paramref name="options"/>.</summary>
    public GanEstimator Gan(GanEstimator.Options options) => new(env, options);

    /// <summary>
    /// A denoising diffusion model that learns to imitate <paramref name="featureColumnName"/>; with
    /// <paramref name="labelColumnName"/> it is conditional (with classifier-free guidance) and generates rows per class.
    /// </summary>
    /// <param name="featureColumnName">A known-size vector of Single.</param>
    /// <param name="labelColumnName">An optional text or key column of classes.</param>
    /// <param name="epochs">Passes over the training data; null derives them from the row count (about 10,000 optimiser steps).</param>
    public DiffusionEstimator Diffusion(string featureColumnName = "Features", string? labelColumnName = null, int? epochs = null) =>
        Diffusion(new DiffusionEstimator.Options { FeatureColumnName = featureColumnName, LabelColumnName = labelColumnName, Epochs = epochs });

    /// <summary>A diffusion model with every setting in <paramref name="options"/>.</summary>
    public DiffusionEstimator Diffusion(DiffusionEstimator.Options options) => new(env, options);

    /// <summary>
    /// Paired image-to-image translation (pix2pix): learns to turn each row's <paramref name="inputColumnName"/> image into
    /// its <paramref name="targetColumnName"/> image, and adds the translation as <paramref name="outputColumnName"/>.
    /// </summary>
    /// <param name="outputColumnName">The column of translated images to add: an image column when the target is one, else a vector shaped like the target.</param>
    /// <param name="inputColumnName">Input images: a sized image column (after <c>ResizeImages</c>) or a <c>Vector&lt;Single, C, H, W&gt;</c> column.</param>
    /// <param name="targetColumnName">Target images of the same height and width (the channels may differ), with values in [0, 1].</param>
    /// <param name="epochs">Passes over the training data; null derives them from the row count (about 4,000 optimiser steps).</param>
    public ImageTranslationEstimator ImageTranslation(string outputColumnName, string inputColumnName, string targetColumnName, int? epochs = null) =>
        ImageTranslation(new ImageTranslationEstimator.Options
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, TargetColumnName = targetColumnName, Epochs = epochs,
        });

    /// <summary>Paired image-to-image translation with every setting in <paramref name="options"/>.</summary>
    public ImageTranslationEstimator ImageTranslation(ImageTranslationEstimator.Options options) => new(env, options);

    /// <summary>
    /// Unpaired image-to-image translation (CycleGAN): learns to translate images of domain A (rows whose
    /// <paramref name="domainColumnName"/> is false) into domain B (rows where it is true) and back, without pairs, and adds
    /// the A → B translation as <paramref name="outputColumnName"/> (<see cref="CycleGanTransformer.Reverse"/> gives B → A).
    /// <see cref="CycleGanEstimator.Fit(IDataView, IDataView)"/> takes the two domains as two views instead.
    /// </summary>
    /// <param name="outputColumnName">The column of translated images to add: an image column when the input is one, else a vector of the input's shape.</param>
    /// <param name="inputColumnName">Images of both domains: a sized image column (after <c>ResizeImages</c>) or a <c>Vector&lt;Single, C, H, W&gt;</c> column with values in [0, 1].</param>
    /// <param name="domainColumnName">A Boolean column: false on domain-A rows, true on domain-B rows.</param>
    /// <param name="epochs">Passes over the larger domain; null derives them from the row count (about 3,000 optimiser steps, more for a wide table).</param>
    public CycleGanEstimator CycleGan(string outputColumnName, string inputColumnName, string domainColumnName = "IsDomainB", int? epochs = null) =>
        CycleGan(new CycleGanEstimator.Options
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, DomainColumnName = domainColumnName, Epochs = epochs,
        });

    /// <summary>Unpaired image-to-image translation (CycleGAN) with every setting in <paramref name="options"/>.</summary>
    public CycleGanEstimator CycleGan(CycleGanEstimator.Options options) => new(env, options);

    /// <summary>
    /// A tabular synthesizer (TVAE by default, or CTGAN through <see cref="TabularSynthesizerEstimator.Options.Model"/>): learns
    /// a table's columns — numbers, Booleans, text and keys, with missing values — and generates synthetic rows of the same
    /// schema with <see cref="TabularSynthesizerTransformer.Generate"/>.
    /// </summary>
    /// <param name="columnNames">The columns to learn; null learns every visible column.</param>
    /// <param name="conditionColumnName">An optional Boolean, text or key column to condition on, so rows of one of its values can be asked for.</param>
    /// <param name="epochs">Passes over the training data; null derives them from the row count (about 3,000 optimiser steps, more for a wide table).</param>
    public TabularSynthesizerEstimator TabularSynthesizer(string[]? columnNames = null, string? conditionColumnName = null, int? epochs = null) =>
        TabularSynthesizer(new TabularSynthesizerEstimator.Options { ColumnNames = columnNames, ConditionColumnName = conditionColumnName, Epochs = epochs });

    /// <summary>A tabular synthesizer with every setting in <paramref name="options"/>.</summary>
    public TabularSynthesizerEstimator TabularSynthesizer(TabularSynthesizerEstimator.Options options) => new(env, options);

    /// <summary>
    /// Compares a <paramref name="synthetic"/> table with the <paramref name="real"/> one column by column (KS complement
    /// for numbers, TV complement for categories), pair by pair (correlation and contingency similarity), and by the
    /// distance from each synthetic row to its closest real row; with <see cref="TableEvaluationOptions.Holdout"/> and
    /// <see cref="TableEvaluationOptions.TargetColumnName"/> also by machine-learning efficacy. Works on any two tables with the same columns, such as a
    /// <see cref="TabularSynthesizerTransformer.Generate"/> output and its training data.
    /// </summary>
    /// <param name="real">The real rows.</param>
    /// <param name="synthetic">The synthetic rows, with the real table's columns and types.</param>
    /// <param name="columnNames">The columns to compare; null compares every visible column of <paramref name="real"/>.</param>
    public TableEvaluation EvaluateTable(IDataView real, IDataView synthetic, string[]? columnNames = null) =>
        EvaluateTable(real, synthetic, new TableEvaluationOptions { ColumnNames = columnNames });

    /// <summary>The comparison of <see cref="EvaluateTable(IDataView, IDataView, string[])"/> with every setting in <paramref name="options"/>.</summary>
    public TableEvaluation EvaluateTable(IDataView real, IDataView synthetic, TableEvaluationOptions options) =>
        TableEvaluator.Evaluate(real, synthetic, options);

    /// <summary>
    /// Compares <paramref name="generated"/> rows with <paramref name="real"/> ones on a vector column: Fréchet distance,
    /// kernel distance (KID), k-NN precision and recall, and with a classifier the per-class accuracy on generated rows.
    /// Works on the output of any generator here (<c>Gan</c>, <c>Diffusion</c>, a VAE's samples) or any data view.
    /// </summary>
    /// <param name="real">Real rows.</param>
    /// <param name="generated">Generated rows.</param>
    /// <param name="featureColumnName">A known-size vector of Single present in both.</param>
    public GeneratorEvaluation Evaluate(IDataView real, IDataView generated, string featureColumnName = "Features") =>
        Evaluate(real, generated, new GeneratorEvaluationOptions { FeatureColumnName = featureColumnName });

    /// <summary>The comparison of <see cref="Evaluate(IDataView, IDataView, string)"/> with every setting in <paramref name="options"/>.</summary>
    public GeneratorEvaluation Evaluate(IDataView real, IDataView generated, GeneratorEvaluationOptions options) =>
        GeneratorEvaluator.Evaluate(real, generated, options);
}

/// <summary>The entry point of <see cref="GenerativeCatalog"/>.</summary>
public static class GenerativeCatalogExtensions
{
    /// <summary>Generative components of GenModels: <c>mlContext.Generative().Gan(...)</c>, <c>.Diffusion(...)</c>, <c>.ImageTranslation(...)</c>, <c>.CycleGan(...)</c>, <c>.TabularSynthesizer(...)</c>, <c>.EvaluateTable(...)</c>.</summary>
    public static GenerativeCatalog Generative(this MLContext mlContext) => new(MLNetInternals.EnvironmentOf(mlContext));
}
