using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace GenModels.Torch.Serialization;

/// <summary>
/// Writes and reads a network as: a magic string, a format version, the model kind, the options needed to rebuild the
/// network (JSON), then TorchSharp's weights. A wrong kind, a corrupt or a truncated stream gives <see cref="InvalidDataException"/>.
/// </summary>
public static class ModelSerializer
{
    private const string Magic = "GenModels.Torch";
    private const int FormatVersion = 1;
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Writes <paramref name="module"/> and its <paramref name="options"/> to <paramref name="stream"/>.</summary>
    public static void Save<TOptions>(Stream stream, string kind, TOptions options, torch.nn.Module module)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(kind);
        writer.Write(JsonSerializer.Serialize(options, Json));
        // Weights go through memory first so that a length and a hash can precede them: a damaged file is then reported
        // as such instead of loading wrong numbers.
        using var weights = new MemoryStream();
        using (var weightWriter = new BinaryWriter(weights, Encoding.UTF8, leaveOpen: true)) module.save(weightWriter);
        var bytes = weights.ToArray();
        writer.Write(bytes.Length);
        writer.Write(SHA256.HashData(bytes));
        writer.Write(bytes);
        writer.Flush();
    }

    /// <summary>Reads a network of <paramref name="kind"/>: rebuilds it with <paramref name="build"/> from the stored options, then loads its weights.</summary>
    public static TModule Load<TOptions, TModule>(Stream stream, string kind, Func<TOptions, TModule> build) where TModule : torch.nn.Module
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        TOptions options;
        byte[] weightBytes;
        try
        {
            if (reader.ReadString() != Magic) throw new InvalidDataException("The data is not a GenModels network.");
            int version = reader.ReadInt32();
            if (version != FormatVersion) throw new InvalidDataException($"Unsupported network format version {version} (this library reads {FormatVersion}).");
            string storedKind = reader.ReadString();
            if (storedKind != kind) throw new InvalidDataException($"The data holds a '{storedKind}' network, not a '{kind}'.");
            options = JsonSerializer.Deserialize<TOptions>(reader.ReadString(), Json) ?? throw new InvalidDataException("The network options are missing.");
            int length = reader.ReadInt32();
            if (length <= 0) throw new InvalidDataException("The weight block has no length.");
            byte[] hash = reader.ReadBytes(32);
            weightBytes = reader.ReadBytes(length);
            if (hash.Length != 32 || weightBytes.Length != length) throw new EndOfStreamException($"expected {length} bytes of weights, found {weightBytes.Length}");
            if (!SHA256.HashData(weightBytes).AsSpan().SequenceEqual(hash)) throw new InvalidDataException($"The {kind} network weights fail their checksum: the data is corrupt.");
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or JsonException or DecoderFallbackException or FormatException)
        {
            throw new InvalidDataException($"The {kind} network data is corrupt or truncated: {e.Message}", e);
        }
        TModule module;
        try
        {
            module = build(options);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The {kind} network data holds invalid options: {e.Message}", e);
        }
        try
        {
            using var weightReader = new BinaryReader(new MemoryStream(weightBytes), Encoding.UTF8);
            module.load(weightReader, strict: true);
        }
        catch (Exception e)
        {
            module.Dispose();
            throw new InvalidDataException($"The {kind} network weights are corrupt or truncated: {e.Message}", e);
        }
        module.eval();
        return module;
    }
}
