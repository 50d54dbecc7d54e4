using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet.Persistence;

/// <summary>
/// The library's one use of ML.NET's internal model-file API: version headers, the header reader/writer and binary streams.
/// Transformers describe what they store; this class talks to <see cref="ModelSaveContext"/> and <see cref="ModelLoadContext"/>.
/// </summary>
internal static class ModelPersistence
{
    /// <summary>Version header for a transformer type. <paramref name="signature"/> has at most 8 characters.</summary>
    public static VersionInfo Version(string signature, string loaderSignature, uint version, Type loaderType) =>
        new(modelSignature: signature, verWrittenCur: version, verReadableCur: version, verWeCanReadBack: version,
            loaderSignature: loaderSignature, loaderAssemblyName: loaderType.Assembly.FullName);

    /// <summary>
    /// Writes the header fields with <paramref name="writeHeader"/>, then the network bytes as a named binary stream. The
    /// network is serialised by the caller into memory before anything is written, so a failure cannot leave half a model.
    /// </summary>
    public static void Save(ModelSaveContext ctx, VersionInfo version, Action<BinaryWriter> writeHeader, byte[] network)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(version);
        writeHeader(ctx.Writer);
        ctx.SaveBinaryStream("Network", w => w.Write(network));
    }

    /// <summary>Checks the header, then hands the header reader and the network bytes to <paramref name="read"/>.</summary>
    public static T Load<T>(ModelLoadContext ctx, VersionInfo version, Func<BinaryReader, byte[], T> read)
    {
        ctx.CheckAtModel(version);
        byte[]? network = null;
        long headerStart = ctx.Reader.BaseStream.Position;
        if (!ctx.TryLoadBinaryStream("Network", r => network = r.ReadBytes((int)r.BaseStream.Length)) || network is null)
            throw new InvalidDataException($"The saved {version.LoaderSignature} has no network weights: the model file is incomplete.");
        try
        {
            return read(ctx.Reader, network);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"The saved {version.LoaderSignature} is truncated: {e.Message}", e);
        }
    }
}
