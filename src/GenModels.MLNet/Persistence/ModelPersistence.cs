using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GenModels.MLNet.Persistence;

/// <summary>
/// The saved-format history of one transformer type. Formats are numbered as ML.NET numbers its own
/// (<c>0x00010001</c>, <c>0x00010002</c>, …): the current one is written, and every format from <see cref="OldestReadable"/>
/// on is still read, so models saved by earlier releases keep loading.
/// </summary>
/// <param name="Signature">ML.NET's model signature, at most 8 characters.</param>
/// <param name="LoaderSignature">The name ML.NET's loader looks the type up by.</param>
/// <param name="LoaderType">The transformer type (its assembly is recorded for the loader).</param>
internal sealed record ModelFormat(string Signature, string LoaderSignature, Type LoaderType)
{
    /// <summary>Format 1: the transformer's header in the model stream, a checksum over the network weights only.</summary>
    public const uint Version1 = 0x00010001;
    /// <summary>
    /// Format 2: the header is stored as one block, and a SHA-256 covers header, network options and weights together, so
    /// no byte of a saved model can change without the load failing as corrupt.
    /// </summary>
    public const uint Version2 = 0x00010002;

    /// <summary>The format this release writes for this type (<see cref="Version2"/> unless the type's own header moved on).</summary>
    public uint Current { get; init; } = Version2;
    /// <summary>The oldest format this release reads.</summary>
    public uint OldestReadable => Version1;

    /// <summary>ML.NET's version header: written = readable = <see cref="Current"/>; read back down to <see cref="OldestReadable"/>.</summary>
    public VersionInfo VersionInfo => new(modelSignature: Signature, verWrittenCur: Current, verReadableCur: Current,
        verWeCanReadBack: OldestReadable, loaderSignature: LoaderSignature, loaderAssemblyName: LoaderType.Assembly.FullName);
}

/// <summary>
/// The library's one use of ML.NET's internal model-file API: version headers, the header reader/writer and binary streams.
/// Transformers describe what they store; this class talks to <see cref="ModelSaveContext"/> and <see cref="ModelLoadContext"/>.
/// </summary>
internal static class ModelPersistence
{
    private const string NetworkStream = "Network";
    private const int MaxHeaderBytes = 256 << 20;

    /// <summary>
    /// Writes the transformer's header (through <paramref name="writeHeader"/>), the network bytes as a named binary stream,
    /// and a SHA-256 over both. The header and the network are serialised into memory before anything is written, so a
    /// failure cannot leave half a model.
    /// </summary>
    public static void Save(ModelSaveContext ctx, ModelFormat format, Action<BinaryWriter> writeHeader, byte[] network)
    {
        byte[] header;
        using (var buffer = new MemoryStream())
        {
            using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) writeHeader(writer);
            header = buffer.ToArray();
        }
        var checksum = Checksum(header, network);
        ctx.CheckAtModel();
        ctx.SetVersionInfo(format.VersionInfo);
        ctx.Writer.Write(header.Length);
        ctx.Writer.Write(header);
        ctx.Writer.Write(checksum);
        ctx.SaveBinaryStream(NetworkStream, w => w.Write(network));
    }

    /// <summary>
    /// Checks ML.NET's version header, reads and verifies the stored header and network, then hands a reader over the
    /// header, the network bytes and the format version the file was written in to <paramref name="read"/>. Every way a
    /// damaged file can fail surfaces as <see cref="InvalidDataException"/> saying the model is corrupt.
    /// </summary>
    public static T Load<T>(ModelLoadContext ctx, ModelFormat format, Func<BinaryReader, byte[], uint, T> read)
    {
        ctx.CheckAtModel(format.VersionInfo);
        GenModels.Torch.TorchRuntime.EnsureLoaded(); // a loaded model is often a process's first torch use
        uint written = ctx.Header.ModelVerWritten;
        string what = $"saved {format.LoaderSignature} (format 0x{written:x8})";
        try
        {
            byte[]? network = null;
            if (!ctx.TryLoadBinaryStream(NetworkStream, r => network = r.ReadBytes(checked((int)r.BaseStream.Length))) || network is null)
                throw new InvalidDataException($"The {what} has no network weights: the model file is incomplete.");
            if (written < ModelFormat.Version2)
                return ReadAll(ctx.Reader, network, written, read, requireEnd: false);

            int length = ctx.Reader.ReadInt32();
            if (length < 0 || length > MaxHeaderBytes)
                throw new InvalidDataException($"The {what} is corrupt: its header length {length} is out of range.");
            var header = ctx.Reader.ReadBytes(length);
            var checksum = ctx.Reader.ReadBytes(32);
            if (header.Length != length || checksum.Length != 32) throw new EndOfStreamException("the header ends early");
            if (!Checksum(header, network).AsSpan().SequenceEqual(checksum))
                throw new InvalidDataException($"The {what} is corrupt: its header and weights fail their checksum.");
            using var reader = new BinaryReader(new MemoryStream(header), Encoding.UTF8);
            return ReadAll(reader, network, written, read, requireEnd: true);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or OverflowException or FormatException
            or DecoderFallbackException or IOException)
        {
            throw new InvalidDataException($"The {what} is corrupt or truncated: {e.Message}", e);
        }

        static T ReadAll(BinaryReader reader, byte[] network, uint written, Func<BinaryReader, byte[], uint, T> read, bool requireEnd)
        {
            var result = read(reader, network, written);
            if (requireEnd && reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException("The saved header is corrupt: it holds more fields than its format has.");
            return result;
        }
    }

    /// <summary>Reads a count and checks it is within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int ReadCount(BinaryReader reader, string what, int min, int max)
    {
        int value = reader.ReadInt32();
        if (value < min || value > max)
            throw new InvalidDataException($"The saved model is corrupt: {what} is {value}, outside [{min}, {max}].");
        return value;
    }

    /// <summary>Reads an enum value and checks that it is defined.</summary>
    public static TEnum ReadEnum<TEnum>(BinaryReader reader, string what) where TEnum : struct, Enum
    {
        int raw = reader.ReadInt32();
        var value = (TEnum)Enum.ToObject(typeof(TEnum), raw);
        if (!Enum.IsDefined(value)) throw new InvalidDataException($"The saved model is corrupt: unknown {what} {raw}.");
        return value;
    }

    private static byte[] Checksum(byte[] header, byte[] network)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(header.Length));
        hash.AppendData(header);
        hash.AppendData(network);
        return hash.GetHashAndReset();
    }
}
