using System.Runtime.InteropServices;
using TorchSharp;

namespace GenModels.Torch;

/// <summary>
/// Loads TorchSharp's native library once and, when it cannot load, explains why. TorchSharp's own message on Linux
/// ("doesn't contain a reference to libtorch-cpu-linux-x64") blames a missing package even when the package is there and
/// the real cause is the system's C++ runtime; this names that cause and the fix.
/// </summary>
public static class TorchRuntime
{
    /// <summary>The libstdc++ symbol version TorchSharp 0.107's native library asks for (GCC 13's runtime).</summary>
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";

    private static readonly Lazy<(string Message, Exception Cause)?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> with the cause and the fix when libtorch cannot be loaded in this
    /// process (the original error is the inner exception); does nothing once it has loaded.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure) throw new InvalidOperationException(failure.Message, failure.Cause);
    }

    private static (string, Exception)? TryLoad()
    {
        try
        {
            using var probe = torch.zeros(1);
            return null;
        }
        catch (Exception e)
        {
            return (Diagnose(e), e);
        }
    }

    /// <summary>The explanation for a failed load: the libstdc++ version on Linux when that is the cause, else TorchSharp's message.</summary>
    internal static string Diagnose(Exception error)
    {
        string torchMessage = Innermost(error).Message;
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            return $"TorchSharp's native library could not be loaded: {torchMessage} Add a TorchSharp native package (for example TorchSharp-cpu) to the application.";
        string? system = SystemLibStdCxx();
        bool oldRuntime = system is not null && !FileContains(system, RequiredGlibcxx);
        string fallback = Path.Combine(AppContext.BaseDirectory, "cpu");
        string staleFallback = Directory.Exists(fallback)
            ? $" A failed load already left TorchSharp's fallback folder '{fallback}', which shadows a fixed copy: delete it, then rebuild."
            : "";
        if (oldRuntime)
            return $"TorchSharp's native library could not be loaded because this system's C++ runtime is too old: '{system}' lacks " +
                $"{RequiredGlibcxx} (GCC 13), which TorchSharp 0.107's libLibTorchSharp.so asks for (Debian 12 ships GCC 12's runtime). " +
                "The only symbol under that version is an unused link anchor, so the library works once the requirement is marked weak: " +
                "reference the GenModels.Torch package (directly or through GenModels.MLNet) from the application project, whose build " +
                "does that in the build output, and rebuild (SkipTorchSharpNativeFix must not be true). Alternatively run on a system " +
                $"with GCC 13's libstdc++ or newer (for example Ubuntu 24.04).{staleFallback} TorchSharp said: {torchMessage}";
        return $"TorchSharp's native library could not be loaded: {torchMessage} Add a TorchSharp native package (for example TorchSharp-cpu) " +
            $"to the application.{staleFallback}";
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static string? SystemLibStdCxx() =>
        new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);

    private static bool FileContains(string path, string text)
    {
        try
        {
            var needle = System.Text.Encoding.ASCII.GetBytes(text);
            return File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0;
        }
        catch (IOException)
        {
            return true; // cannot tell: do not blame the runtime
        }
    }
}
