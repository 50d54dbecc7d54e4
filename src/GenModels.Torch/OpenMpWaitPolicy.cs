using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GenModels.Torch;

/// <summary>
/// Shortens how long libtorch's OpenMP worker threads spin while they wait for work, on Linux (GNU OpenMP, which the
/// libtorch-cpu-linux-x64 package ships): <c>GOMP_SPINCOUNT=10000</c> instead of GNU OpenMP's 300,000, unless the
/// application chose a wait policy or spin count itself. A long spin costs nothing on an idle machine, but when other
/// processes want the same cores, the spinning workers and the thread they wait for take turns with those processes and
/// every parallel region stalls.
/// <para>
/// Measured on 2 cores (README, "Threads"; VAE 784-400-20 at 2 libtorch threads): with 4 competing CPU-bound processes,
/// training ran at 667 images/s with the long spin, 3,079 with the short one and 3,600 with one thread; on the idle machine
/// the short spin trained and encoded as fast as the long one within the run-to-run spread (12,300–15,800 against
/// 14,300–14,700 images/s), where sleeping at once (<c>OMP_WAIT_POLICY=PASSIVE</c>) cost 20–28 %.
/// </para>
/// <para>
/// OpenMP reads the variable once, when libtorch's native library loads, so it is set when this assembly is first used:
/// before the library's first torch call, and before the application's own if the application uses this library first.
/// An application that sets <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> in its environment keeps its own setting.
/// </para>
/// </summary>
public static class OpenMpWaitPolicy
{
    /// <summary>The GNU OpenMP variable the library sets.</summary>
    public const string VariableName = "GOMP_SPINCOUNT";

    /// <summary>The spin count the library sets when the application has not chosen.</summary>
    public const string LibraryDefault = "10000";

    /// <summary>True when the application chose the wait policy or the spin count itself (the library then sets nothing).</summary>
    public static bool ChosenByApplication { get; private set; }

#pragma warning disable CA2255 // a library's module initializer is the one place that runs before libtorch can load
    [ModuleInitializer]
    internal static void Apply()
#pragma warning restore CA2255
    {
        ChosenByApplication = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null
                              || Environment.GetEnvironmentVariable(VariableName) is not null;
        if (ChosenByApplication || !OperatingSystem.IsLinux()) return;
        try
        {
            // The native environment, which OpenMP reads; .NET's copy stays as the application left it, so child processes
            // start without the setting and choose for themselves.
            _ = setenv(VariableName, LibraryDefault, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No C library to call: OpenMP keeps its default; nothing else changes.
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
