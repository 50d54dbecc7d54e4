using GenModels.MLNet.Data;
using GenModels.MLNet.Persistence;
using GenModels.Torch.Networks;
using GenModels.Torch.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace GenModels.MLNet;

/// <summary>
/// Shared part of the transformers that run an encoder/decoder network on one vector column: output schema, batched
/// streaming <see cref="BatchedTransformerBase.Transform"/>, <c>PredictionEngine</c> support and the saved header. Derived classes own the network
/// and say how to fill each output column.
/// </summary>
public abstract class ReconstructionTransformerBase : BatchedTransformerBase, IBatchMapper, IOnnxExportable
{
    private protected ReconstructionTransformerBase(IReconstructionModel network, string inputColumnName, int batchSize, int noiseSeed,
        IReadOnlyList<NetworkOutputColumn> outputs, string[]? inputSlotNames)
        : base(network, batchSize)
    {
        InputColumnName = inputColumnName;
        InputDimension = network.InputDimension;
        NoiseSeed = noiseSeed;
        Outputs = outputs;
        InputSlotNames = inputSlotNames;
    }

    /// <summary>The vector column the network reads.</summary>
    public string InputColumnName { get; }
    /// <summary>Length of the input vectors.</summary>
    public int InputDimension { get; }
    /// <summary>Names of the columns this transformer adds.</summary>
    public IReadOnlyList<string> OutputColumnNames => Outputs.Select(o => o.Name).ToArray();

    internal int NoiseSeed { get; }
    internal IReadOnlyList<NetworkOutputColumn> Outputs { get; }
    internal string[]? InputSlotNames { get; }
    int IBatchMapper.NoiseSeed => NoiseSeed;
    int IBatchMapper.InputWidth => InputDimension;
    IReadOnlyList<DataViewSchema.Column> IBatchMapper.CheckInput(DataViewSchema schema) =>
        [BatchedMapping.CheckFeatureInput(schema, InputColumnName, InputDimension).Column];
    IRowInputReader IBatchMapper.CreateInputReader(DataViewRow row) =>
        BatchedMapping.FeatureReader(row, row.Schema[InputColumnName], InputDimension);
    IReadOnlyList<NetworkOutputColumn> IBatchMapper.Outputs => Outputs;

    void IBatchMapper.Map(Tensor input, Tensor?[] outputs, Generator noise)
    {
        using var noGrad = no_grad();
        Map(input, outputs, noise);
    }

    private protected abstract void Map(Tensor input, Tensor?[] outputs, Generator noise);

    // Single rows (PredictionEngine) of an MLP network run on a managed copy of its weights, made at the first engine's
    // first row and shared by all engines after it. Outputs that need libtorch (sampled ones, convolutional networks)
    // keep the batch-of-one path.
    private RowReconstructionModel? rowModel;
    private bool rowModelMade;
    private readonly object rowModelLock = new();

    RowMap? IBatchMapper.CreateRowMap(bool[] activeOutputs)
    {
        for (int i = 0; i < activeOutputs.Length; i++)
            if (activeOutputs[i] && !MapsRow(Outputs[i].Role)) return null;
        var network = Network; // throws once the model is released
        RowReconstructionModel? model;
        lock (rowModelLock)
        {
            if (!rowModelMade) { rowModel = RowReconstructionModel.TryCreate(network); rowModelMade = true; }
            model = rowModel;
        }
        if (model is null) return null;
        return (input, results) => MapRow(model, input, results);
    }

    /// <summary>True when <see cref="MapRow"/> can compute a column of <paramref name="role"/>.</summary>
    private protected virtual bool MapsRow(NetworkOutputRole role) => false;

    /// <summary>The managed one-row form of <see cref="Map"/>: fills each non-null <paramref name="results"/>[i] for output i.</summary>
    private protected virtual void MapRow(RowReconstructionModel model, ReadOnlySpan<float> input, float[]?[] results) =>
        throw new NotSupportedException();

    /// <summary>
    /// One row's code and reconstruction for the encoders' columns (<see cref="NetworkOutputRole.Latent"/>,
    /// <see cref="NetworkOutputRole.LogVariance"/>, the reconstruction and its error), computed only when a result needs it.
    /// </summary>
    private protected void MapEncoderRow(RowReconstructionModel model, ReadOnlySpan<float> input, float[]?[] results)
    {
        int k = model.LatentDimension, d = InputDimension;
        bool needsVariance = false, needsReconstruction = false;
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i] is null) continue;
            needsVariance |= Outputs[i].Role == NetworkOutputRole.LogVariance;
            needsReconstruction |= Outputs[i].Role is NetworkOutputRole.Reconstruction or NetworkOutputRole.ReconstructionImage or NetworkOutputRole.ReconstructionError;
        }
        Span<float> mean = stackalloc float[k];
        Span<float> logVariance = needsVariance ? stackalloc float[k] : default;
        Span<float> reconstruction = !needsReconstruction ? default : d <= 4096 ? stackalloc float[d] : new float[d];
        model.Encode(input, mean, logVariance);
        if (needsReconstruction) model.Decode(mean, reconstruction);
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i] is not { } result) continue;
            switch (Outputs[i].Role)
            {
                case NetworkOutputRole.Latent: mean.CopyTo(result); break;
                case NetworkOutputRole.LogVariance: logVariance.CopyTo(result); break;
                case NetworkOutputRole.Reconstruction or NetworkOutputRole.ReconstructionImage: reconstruction.CopyTo(result); break;
                case NetworkOutputRole.ReconstructionError: result[0] = AnomalyScores.MeanSquaredError(input, reconstruction); break;
                default: throw new InvalidOperationException($"No one-row form for a {Outputs[i].Role} column.");
            }
        }
    }

    // ONNX export (mlContext.Model.ConvertToOnnx): every output except the sampled ones has a deterministic ONNX form.
    bool IOnnxExportable.CanExportOnnx =>
        Outputs.All(o => o.Role is not (NetworkOutputRole.SampledLatent or NetworkOutputRole.LogLikelihood or NetworkOutputRole.ReconstructionImage)) && CanExportOnnx;

    void IOnnxExportable.ExportOnnx(OnnxGraph graph)
    {
        var x = OnnxNetworks.Input(graph, Network, graph.Input(InputColumnName));
        var (mean, logVar) = OnnxNetworks.Encode(graph, Network, x);
        string? reconstruction = null;
        string Reconstruction() => reconstruction ??= OnnxNetworks.Decode(graph, Network, mean);
        var values = new Dictionary<NetworkOutputRole, Func<string>>
        {
            [NetworkOutputRole.Latent] = () => mean,
            [NetworkOutputRole.LogVariance] = () => logVar!,
            [NetworkOutputRole.Reconstruction] = Reconstruction,
            [NetworkOutputRole.ReconstructionError] = () =>
                OnnxNetworks.RowSum(graph, OnnxNetworks.Square(graph, graph.Node("Sub", [x, Reconstruction()])), InputDimension, 1f / InputDimension),
        };
        ExportOnnx(graph, x, mean, logVar, Reconstruction, values);
        foreach (var output in Outputs)
            graph.Output(output.Name, output.Type, "Identity", [values[output.Role]()]);
    }

    /// <summary>False when this transformer's settings have no ONNX form.</summary>
    private protected virtual bool CanExportOnnx => true;

    /// <summary>Adds the derived transformer's own output values (by role) to <paramref name="values"/>.</summary>
    private protected virtual void ExportOnnx(OnnxGraph graph, string x, string mean, string? logVar, Func<string> reconstruction,
        Dictionary<NetworkOutputRole, Func<string>> values) { }

    /// <summary>The trained network the transformer runs; throws <see cref="ObjectDisposedException"/> once released.</summary>
    private protected IReconstructionModel Network => (IReconstructionModel)NetworkObject;

    private protected abstract ModelFormat Format { get; }

    private protected override void SaveModel(ModelSaveContext ctx)
    {
        var bytes = ReconstructionNetworks.Serialize(Network); // everything that can fail happens before the model stream is touched
        ModelPersistence.Save(ctx, Format, WriteHeader, bytes);
    }

    // Header (formats 1 and 2; in format 2 it is one checksummed block, see ModelPersistence):
    //   string inputColumn; int inputDimension; int batchSize; int noiseSeed;
    //   int outputCount; outputCount × (int role; string name);
    //   int slotNameCount (-1 = none); slotNameCount × string;
    //   then the derived transformer's own fields (WriteSettings);
    // then the binary stream "Network" (GenModels.Torch ModelSerializer format).
    private void WriteHeader(BinaryWriter w)
    {
        w.Write(InputColumnName);
        w.Write(InputDimension);
        w.Write(BatchSize);
        w.Write(NoiseSeed);
        w.Write(Outputs.Count);
        foreach (var o in Outputs) { w.Write((int)o.Role); w.Write(o.Name); }
        w.Write(InputSlotNames?.Length ?? -1);
        foreach (var n in InputSlotNames ?? []) w.Write(n);
        WriteSettings(w);
    }

    /// <summary>Writes the derived transformer's own settings after the shared header; its loader reads them back in order.</summary>
    private protected virtual void WriteSettings(BinaryWriter writer) { }

    private protected sealed record SavedHeader(string InputColumnName, int InputDimension, int BatchSize, int NoiseSeed,
        (NetworkOutputRole Role, string Name)[] Outputs, string[]? InputSlotNames);

    /// <summary>Reads the shared header, checking every count it holds.</summary>
    private protected static SavedHeader ReadHeader(BinaryReader r)
    {
        string input = r.ReadString();
        int dimension = ModelPersistence.ReadCount(r, "the input dimension", 1, int.MaxValue);
        int batchSize = ModelPersistence.ReadCount(r, "the transform batch size", 1, Limits.MaxTransformBatchSize);
        int seed = r.ReadInt32();
        int count = ModelPersistence.ReadCount(r, "the output column count", 1, Limits.MaxOutputColumns);
        var outputs = new (NetworkOutputRole, string)[count];
        for (int i = 0; i < count; i++) outputs[i] = (ModelPersistence.ReadEnum<NetworkOutputRole>(r, "output kind"), r.ReadString());
        int slotCount = r.ReadInt32();
        if (slotCount != -1 && slotCount != dimension) throw new InvalidDataException("The saved model is corrupt: its slot names do not match its input dimension.");
        string[]? slots = slotCount < 0 ? null : Enumerable.Range(0, slotCount).Select(_ => r.ReadString()).ToArray();
        return new SavedHeader(input, dimension, batchSize, seed, outputs, slots);
    }

    /// <summary>Throws unless every output of <paramref name="header"/> is one of <paramref name="roles"/>.</summary>
    private protected static void RequireRoles(SavedHeader header, params NetworkOutputRole[] roles)
    {
        foreach (var (role, name) in header.Outputs)
            if (!roles.Contains(role)) throw new InvalidDataException($"The saved model is corrupt: this transformer cannot produce a {role} column ('{name}').");
    }

    /// <summary>
    /// Builds a loaded transformer around <paramref name="network"/> once the <paramref name="header"/> matches it; the
    /// network is released if anything turns out corrupt.
    /// </summary>
    private protected static T LoadWith<T>(SavedHeader header, IReconstructionModel network, Func<IReconstructionModel, T> build) =>
        LoadOwning(network, n =>
        {
            if (header.InputDimension != n.InputDimension)
                throw new InvalidDataException($"The saved model is corrupt: its network expects {n.InputDimension} inputs but its header says {header.InputDimension}.");
            return build(n);
        });

    /// <summary>
    /// Builds the output column descriptions of <paramref name="network"/>'s outputs: latent columns get slot names
    /// Latent0…, vector reconstructions the input's, and an image reconstruction the network's image shape.
    /// </summary>
    private protected static NetworkOutputColumn[] DescribeOutputs(IEnumerable<(NetworkOutputRole Role, string Name)> outputs, IReconstructionModel network,
        string[]? inputSlotNames)
    {
        int inputDimension = network.InputDimension, latentDimension = network.LatentDimension;
        var imageShape = ReconstructionNetworks.OptionsOf(network).ImageShape;
        var latentNames = Enumerable.Range(0, latentDimension).Select(i => $"Latent{i}").ToArray();
        return outputs.Select(o => o.Role switch
        {
            NetworkOutputRole.Latent or NetworkOutputRole.LogVariance or NetworkOutputRole.SampledLatent =>
                new NetworkOutputColumn(o.Role, o.Name, latentDimension, false, latentNames),
            NetworkOutputRole.Reconstruction => new NetworkOutputColumn(o.Role, o.Name, inputDimension, false, inputSlotNames),
            NetworkOutputRole.ReconstructionImage when imageShape is [ImageInput.Channels, _, _] =>
                new NetworkOutputColumn(o.Role, o.Name, inputDimension, false, Dimensions: imageShape, IsImage: true),
            NetworkOutputRole.ReconstructionImage =>
                throw new InvalidDataException($"The reconstruction column '{o.Name}' is an image, but the network was not trained on a 3×H×W image column."),
            NetworkOutputRole.ReconstructionError or NetworkOutputRole.LogLikelihood or NetworkOutputRole.Score => new NetworkOutputColumn(o.Role, o.Name, 1, true),
            NetworkOutputRole.PredictedLabel => new NetworkOutputColumn(o.Role, o.Name, 1, true, IsBoolean: true),
            _ => throw new InvalidDataException($"Unknown output kind {o.Role}."),
        }).ToArray();
    }

    /// <summary>Per-row mean squared reconstruction error (the anomaly score's formula), as a [n, 1] tensor.</summary>
    private protected static Tensor MeanSquaredError(Tensor input, Tensor reconstruction) =>
        AnomalyScores.MeanSquaredError(input, reconstruction).unsqueeze(1);

}
