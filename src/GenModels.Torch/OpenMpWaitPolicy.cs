using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GenModels.Torch;

/// <summary>
/// Makes libtorch's OpenMP worker threads sleep instead of spin while they wait for work (<c>OMP_WAIT_POLICY=PASSIVE</c>),
/// unless the application chose a policy itself. OpenMP's default lets idle workers spin for a while after each parallel
/// region; when other processes want the same cores, the spinning workers and the thread that waits for them take turns
/// with those processes, and every parallel region stalls. Measured here on 2 cores with other jobs running (README,
/// "Threads"): the 784-400-20 encoder's batched forward at 2 libtorch threads ran at 5,000–8,000 rows/s with the default
/// policy and at 37,000–130,000 with the passive one (one thread: 75,000–90,000).
/// <para>
/// OpenMP reads the variable once, when libtorch's native library loads, so it is set when this assembly is first used:
/// before the library's first torch call, and before the application's own if the application uses this library first.
/// An application that sets <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> in its environment keeps its own setting.
/// </para>
/// </summary>
public static class OpenMpWaitPolicy
{
    /// <summary>The variable OpenMP runtimes (GNU, LLVM, Intel) read for their wait policy.</summary>
    public const string VariableName = "OMP_WAIT_POLICY";

    /// <summary>What the library sets when the application has not chosen.</summary>
    public const string LibraryDefault = "PASSIVE";

    /// <summary>The policy this process started libtorch with, as far as it can be told: the variable's value, or null when unset.</summary>
    public static string? Current => Environment.GetEnvironmentVariable(VariableName);

    /// <summary>True when the application chose the policy or the spin count itself (the library then sets nothing).</summary>
    public static bool ChosenByApplication { get; private set; }

    [ModuleInitializer]
#pragma warning disable CA2255 // a library's module initializer is the one place that runs before libtorch can load
    internal static void Apply()
#pragma warning restore CA2255
    {
        ChosenByApplication = Environment.GetEnvironmentVariable(VariableName) is not null
                              || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null;
        if (ChosenByApplication) return;
        try
        {
            Environment.SetEnvironmentVariable(VariableName, LibraryDefault); // .NET's own view, and the native one on Windows
            if (!OperatingSystem.IsWindows()) _ = setenv(VariableName, LibraryDefault, 0); // the native one that OpenMP reads on Linux and macOS
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No C library to call: OpenMP keeps its default policy; nothing else changes.
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
