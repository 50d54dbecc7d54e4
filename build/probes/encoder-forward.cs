// Probe behind README "Where the two-thread figure stands": ways to run the reference encoder's forward (784-400-20, posterior
// mean) over 60,000 rows on the CPU, timed side by side in one process. Benchmark material only, not part of the library.
//   dotnet run build/probes/encoder-forward.cs [threads=2]
// Prints ms per 60,000 rows (median of 9) for:
//   1. libtorch's linear against MKL with the weight packed once (cblas_sgemm_pack/compute, from libtorch_cpu.so's own MKL), batch 256 and 512;
//   2. filling batches from managed rows then one forward with all threads, against two one-thread lanes, against filling the next
//      batch on another thread while the forward runs;
//   3. the second layer (400 -> 20) multiplied either way round.
#:package TorchSharp-cpu
#:property AllowUnsafeBlocks=true
using System.Diagnostics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

int threads = args.Length > 0 ? int.Parse(args[0]) : 2;
set_num_threads(threads);
manual_seed(1);
const int Rows = 60000, K = 784, N = 400, Z = 20;
var W = randn(N, K) * 0.03f; var b = randn(N) * 0.01f;
var W2 = randn(Z, N) * 0.03f; var b2 = randn(Z) * 0.01f; var W2t = W2.t().contiguous(); var b2col = b2.unsqueeze(1).contiguous();
var X = rand(Rows, K);
var random = new Random(1);
var rows = new float[Rows][]; // the upstream rows an IDataView would hold
for (int i = 0; i < Rows; i++) { rows[i] = new float[K]; for (int j = 0; j < K; j++) rows[i][j] = (float)random.NextDouble(); }
double Median(Func<double> run) { run(); var v = Enumerable.Range(0, 9).Select(_ => run()).Order().ToList(); return v[4]; }
double Ms(Action body) { var sw = Stopwatch.StartNew(); body(); return sw.Elapsed.TotalMilliseconds; }
Console.WriteLine($"{threads} threads, ms per {Rows:N0} rows (median of 9)");

// 1. libtorch's linear against MKL's pre-packed weight.
foreach (int m in new[] { 256, 512 })
{
    var y = empty(m, N);
    nuint size = Mkl.cblas_sgemm_pack_get_size(Mkl.BMatrix, m, N, K);
    double linear, packedMs; float diff;
    unsafe
    {
        var packed = (float*)NativeMemory.AlignedAlloc(size, 64);
        Mkl.cblas_sgemm_pack(Mkl.RowMajor, Mkl.BMatrix, Mkl.Trans, m, N, K, 1f, Mkl.Ptr(W), K, packed);
        var bias = b.data<float>().ToArray();
        linear = Median(() => Ms(() =>
        {
            using var noGrad = no_grad();
            for (int s = 0; s + m <= Rows; s += m) { using var scope = NewDisposeScope(); y.copy_(nn.functional.linear(X.narrow(0, s, m), W, b)); }
        }));
        var expected = y.clone();
        packedMs = Median(() => Ms(() =>
        {
            float* c = Mkl.Ptr(y), x = Mkl.Ptr(X);
            for (int s = 0; s + m <= Rows; s += m)
            {
                for (int r = 0; r < m; r++) bias.CopyTo(new Span<float>(c + r * N, N));
                Mkl.cblas_sgemm_compute(Mkl.RowMajor, Mkl.NoTrans, Mkl.Packed, m, N, K, x + (long)s * K, K, packed, K, 1f, c, N);
            }
        }));
        diff = (expected - y).abs().max().item<float>();
        NativeMemory.AlignedFree(packed);
    }
    Console.WriteLine($"  batch {m}: libtorch linear {linear:F1}, MKL packed weight {packedMs:F1} (largest difference {diff:E1})");
}

// 2. Filling batches from the managed rows (through a row-sized scratch, as a cursor's getter does) and running the forward.
void Fill(Tensor buffer, int start, int n, float[] scratch)
{
    var span = MemoryMarshal.Cast<byte, float>(buffer.bytes);
    for (int r = 0; r < n; r++) { rows[start + r].CopyTo(scratch, 0); scratch.CopyTo(span.Slice(r * K, K)); }
}
void Forward(Tensor input, Tensor output, int n)
{
    using var noGrad = no_grad();
    using var scope = NewDisposeScope();
    output.narrow(0, 0, n).copy_(nn.functional.linear(nn.functional.linear(input.narrow(0, 0, n), W, b).relu_(), W2, b2));
}
foreach (int m in new[] { 256, 512 })
{
    var inputs = new[] { empty(m, K), empty(m, K) };
    var outputs = new[] { empty(m, Z), empty(m, Z) };
    var scratch = new[] { new float[K], new float[K] };
    double sequential = Median(() => Ms(() =>
    {
        for (int s = 0; s < Rows; s += m) { int n = Math.Min(m, Rows - s); Fill(inputs[0], s, n, scratch[0]); Forward(inputs[0], outputs[0], n); }
    }));
    set_num_threads(1);
    double lanes = Median(() => Ms(() =>
    {
        for (int s = 0; s < Rows; s += 2 * m)
        {
            int first = Math.Min(m, Rows - s), start = s;
            Fill(inputs[0], s, first, scratch[0]);
            var other = Task.Run(() => { set_num_threads(1); Forward(inputs[0], outputs[0], first); });
            if (s + m < Rows) { int n = Math.Min(m, Rows - s - m); Fill(inputs[1], s + m, n, scratch[1]); Forward(inputs[1], outputs[1], n); }
            other.Wait();
        }
    }));
    set_num_threads(threads);
    double prefetch = Median(() => Ms(() =>
    {
        Fill(inputs[0], 0, m, scratch[0]);
        for (int s = 0, k = 0; s < Rows; s += m, k++)
        {
            int n = Math.Min(m, Rows - s), next = s + m;
            var nextInput = inputs[(k + 1) % 2];
            var reader = next < Rows ? Task.Run(() => Fill(nextInput, next, Math.Min(m, Rows - next), scratch[1])) : null;
            Forward(inputs[k % 2], outputs[0], n);
            reader?.Wait();
        }
    }));
    Console.WriteLine($"  batch {m}: fill then {threads}-thread forward {sequential:F1}, two 1-thread lanes {lanes:F1}, next batch filled on another thread {prefetch:F1}");
}

// 3. The second layer, either way round.
{
    var h = rand(512, N); var o = empty(512, Z);
    double Layer(Func<Tensor> f, bool copyOut = true) => Median(() => Ms(() =>
    {
        using var noGrad = no_grad();
        for (int s = 0; s + 512 <= Rows; s += 512) { using var scope = NewDisposeScope(); var r = f(); if (copyOut) o.copy_(r); }
    }));
    Console.WriteLine($"  second layer, batch 512: linear {Layer(() => nn.functional.linear(h, W2, b2)):F1}, " +
                      $"addmm with a contiguous transposed weight {Layer(() => addmm(b2, h, W2t, 1, 1)):F1}, " +
                      $"(W2 h^T)^T {Layer(() => addmm(b2col, W2, h.t(), 1, 1).t()):F1}, activation in place {Layer(() => h.relu_(), copyOut: false):F1}");
}

static unsafe class Mkl
{
    public const int RowMajor = 101, NoTrans = 111, Trans = 112, BMatrix = 162, Packed = 151;
    private const string Library = "libtorch_cpu.so"; // TorchSharp's libtorch links MKL statically and exports these
    public static float* Ptr(Tensor t) { fixed (byte* p = t.bytes) return (float*)p; }
    [DllImport(Library)] public static extern nuint cblas_sgemm_pack_get_size(int identifier, int m, int n, int k);
    [DllImport(Library)] public static extern void cblas_sgemm_pack(int layout, int identifier, int trans, int m, int n, int k, float alpha, float* src, int ld, float* dest);
    [DllImport(Library)] public static extern void cblas_sgemm_compute(int layout, int transa, int transb, int m, int n, int k, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
}
