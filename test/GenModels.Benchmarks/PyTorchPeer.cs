// Runs Debian's PyTorch (python3-torch with libopenblas0-pthread; build/bench-peers.sh installs them) on the reference
// encoder, for benchmarks that print the library beside it. Benchmark only: never a dependency of the library or its
// tests. When python3 or torch is missing it says so and the peer figures are skipped.
namespace GenModels.Benchmarks;

using System.Diagnostics;
using System.Globalization;

public static class PyTorchPeer
{
    /// <summary>
    /// Rows/s of PyTorch's batched forward over a resident tensor and of its single-row forward (best of
    /// <paramref name="runs"/>), for each way of splitting <paramref name="threads"/> between PyTorch and its BLAS, so a benchmark
    /// can take medians per split over repeated runs and compare the best median (taking the best split of every run
    /// would favour PyTorch by the noise alone). Null (after printing why) when PyTorch cannot run here.
    /// </summary>
    public static IReadOnlyList<(string Split, double Batched, double Single)>? EncoderForwardSplits(int threads, int rows, int batch, int singleRows, int runs)
    {
        // PyTorch's own threads and OpenBLAS's add up: both at `threads` oversubscribe the cores (measured here: 2 and 2 ran
        // at half the speed of either alone). So two splits: `threads` for PyTorch with a one-thread BLAS, and one PyTorch
        // thread with a `threads`-thread BLAS (faster for the batched products here).
        var first = Run(threads, blasThreads: 1, rows, batch, singleRows, runs);
        if (first is not { } a) return null;
        var splits = new List<(string, double, double)> { ($"torch {threads}, BLAS 1", a.Batched, a.Single) };
        if (threads > 1 && Run(1, blasThreads: threads, rows, batch, singleRows, runs) is { } b) splits.Add(($"torch 1, BLAS {threads}", b.Batched, b.Single));
        return splits;
    }

    private static (double Batched, double Single)? Run(int threads, int blasThreads, int rows, int batch, int singleRows, int runs)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "encoder_forward_peer.py");
        // Debian's python3-torch installs into the system interpreter, which a pyenv shim on PATH may hide.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var info = new ProcessStartInfo(python, [script, .. new[] { threads, rows, batch, singleRows, runs }.Select(v => v.ToString(CultureInfo.InvariantCulture))])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        info.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        info.Environment["OPENBLAS_NUM_THREADS"] = blasThreads.ToString(CultureInfo.InvariantCulture);
        Process process;
        try { process = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"  PyTorch peer skipped: cannot start {python} ({e.Message}). build/bench-peers.sh installs Debian's python3-torch.");
            return null;
        }
        var stderr = process.StandardError.ReadToEndAsync();
        var values = new Dictionary<string, double>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            var parts = line.Split(' ');
            if (parts.Length == 2) values[parts[0]] = double.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        process.WaitForExit();
        if (process.ExitCode != 0 || !values.ContainsKey("batched") || !values.ContainsKey("single"))
        {
            Console.WriteLine($"  PyTorch peer skipped: {python} could not run it (is python3-torch installed? build/bench-peers.sh installs it): " +
                              stderr.Result.Trim().Split('\n').LastOrDefault());
            return null;
        }
        return (values["batched"], values["single"]);
    }
}
