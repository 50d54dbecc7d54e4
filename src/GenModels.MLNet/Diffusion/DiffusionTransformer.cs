using GenModels.MLNet.Data;
using GenModels.MLNet.Diffusion;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Diffusion;
using GenModels.Torch.Serialization;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(DiffusionTransformer), null, typeof(SignatureLoadModel), "Diffusion Generator Transformer", DiffusionTransformer.LoaderSignature)]

namespace GenModels.MLNet.Diffusion;

/// <summary>
/// A trained diffusion model inside ML.NET. <see cref="Generate"/> is a lazy, batched data source of synthetic rows with
/// the training column's name, type, size and slot names (plus the label column when conditional), sampled with DDIM or
/// DDPM. As a transform it turns a column of requested labels (and an optional column of starting noise) into generated
/// rows. Saved and loaded with <c>mlContext.Model.Save/Load</c>.
/// </summary>
public sealed class DiffusionTransformer : GeneratorTransformerBase
{
    internal const string LoaderSignature = "GenModelsDiffusion";
    private const string NetworkKind = "DiffusionModel";

    internal DiffusionTransformer(DiffusionModel model, string featureColumnName, int[] featureDimensions, string[]? slotNames,
        ClassLabels? labels, string noiseColumnName, int batchSize, int noiseSeed, bool featureIsImage, SamplingOptions sampling, TrainingResult? training)
        : base(model, featureColumnName, featureDimensions, slotNames, labels, noiseColumnName, batchSize, noiseSeed, featureIsImage)
    {
        sampling.Validate(model.Options.Steps);
        Sampling = new SamplingOptions { Steps = sampling.Steps, Eta = sampling.Eta, GuidanceScale = sampling.GuidanceScale, Ancestral = sampling.Ancestral };
        Training = training;
    }

    /// <summary>The trained model (GenModels.Torch). Throws <see cref="ObjectDisposedException"/> after <see cref="BatchedTransformerBase.Dispose"/>.</summary>
    public DiffusionModel Model => (DiffusionModel)NetworkObject;
    /// <summary>The starting noise x_T has the length of a row.</summary>
    public override int NoiseDimension => Model.Options.DataDimension;
    /// <summary>The sampler settings <see cref="ITransformer.Transform"/> and <see cref="Generate"/> use unless told otherwise.</summary>
    public SamplingOptions Sampling { get; }
    /// <summary>Loss history of the training run; null for a loaded model.</summary>
    public TrainingResult? Training { get; }

    /// <summary>
    /// A lazy data source of <paramref name="rowCount"/> generated rows, sampled in batches while it is read. The same seed
    /// (and, with η &gt; 0 or DDPM, the same batch size) gives the same rows. A conditional model generates
    /// <paramref name="label"/> only, or, when it is null, every class in turn. <paramref name="sampling"/> overrides the
    /// sampler (steps, η, guidance scale, DDPM) and takes a progress reporter, a cancellation token and a per-step callback
    /// (<see cref="SamplingOptions.OnStep"/>, called for each batch with its intermediate rows): sampling runs every
    /// denoising step for every batch, so it is slow by nature.
    /// </summary>
    public IDataView Generate(long rowCount, int seed = 0, string? label = null, SamplingOptions? sampling = null)
    {
        var settings = sampling ?? Sampling;
        settings.Validate(Model.Options.Steps);
        return GenerateWith(rowCount, seed, label, (z, classes, noise) => Model.Sample(z, classes, settings, noise));
    }

    private protected override Tensor DrawNoise(long count, Generator generator) => Model.SampleNoise(count, generator);

    private protected override Tensor GenerateRows(Tensor z, Tensor? classes, Generator noise) => Model.Sample(z, classes, Sampling, noise);

    // Settings after the shared header (format 2): int samplingSteps (0 = the model's default); double eta; double guidanceScale; bool ancestral.
    private protected override void WriteSettings(BinaryWriter writer)
    {
        writer.Write(Sampling.Steps ?? 0);
        writer.Write(Sampling.Eta);
        writer.Write(Sampling.GuidanceScale);
        writer.Write(Sampling.Ancestral);
    }

    private protected override void SaveModel(ModelSaveContext ctx) => SaveWith(ctx, SavedFormat, NetworkKind, Model.Options, Model);

    private static readonly ModelFormat SavedFormat = new("GMDIFFUS", LoaderSignature, typeof(DiffusionTransformer));

    // Called by ML.NET's model loader (SignatureLoadModel).
    private static DiffusionTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelPersistence.Load(ctx, SavedFormat, (r, network, format) =>
        {
            var header = ReadHeader(r, format);
            int steps = r.ReadInt32();
            var sampling = new SamplingOptions { Steps = steps == 0 ? null : steps, Eta = r.ReadDouble(), GuidanceScale = r.ReadDouble(), Ancestral = r.ReadBoolean() };
            var model = ModelSerializer.Load<DiffusionOptions, DiffusionModel>(new MemoryStream(network), NetworkKind, o => new DiffusionModel(o));
            return LoadWith(header, model, model.Options.DataDimension, model.Options.ClassCount, m =>
                new DiffusionTransformer(m, header.FeatureColumnName, header.Dimensions, header.SlotNames, header.Labels, header.NoiseColumnName,
                    header.BatchSize, header.NoiseSeed, header.FeatureIsImage, sampling, null));
        });
}
