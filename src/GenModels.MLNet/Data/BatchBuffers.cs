using System.Runtime.InteropServices;
using GenModels.Torch;
using static TorchSharp.torch;

namespace GenModels.MLNet.Data;

/// <summary>
/// The input and output tensors of one batched mapping, allocated by libtorch and grown with the rows actually read (up to
/// the batch size). Tensors from libtorch's allocator are 64-byte aligned wherever the process puts its managed objects,
/// and libtorch's matrix kernels can round the last bit differently for differently aligned inputs: allocating here,
/// not wrapping managed arrays, is what makes the same rows give the same bits in every pass and every process.
/// (libtorch multiplies 1 to 3 rows with other kernels than 4 or more, so a <c>PredictionEngine</c>'s single rows and a
/// last batch of 1 to 3 rows may differ from a full batch in the last bits. Padding them to 4 rows would remove that, but
/// measured here it made single-row scoring 30 % slower on an idle machine and 300 times slower under CPU contention,
/// where libtorch's threads spin on the padded multiplication: not a trade worth making.)
/// </summary>
internal sealed class BatchBuffers : IDisposable
{
    private readonly IBatchMapper mapper;
    private readonly bool[] active;
    private readonly int maxRows;
    private Tensor input;
    private readonly Tensor?[] outputs;

    /// <param name="mapper">The mapping whose input and output widths size the tensors.</param>
    /// <param name="active">Which of the mapper's outputs are computed.</param>
    /// <param name="initialRows">Rows to allocate for at first.</param>
    /// <param name="maxRows">Rows per batch: capacity never grows beyond it.</param>
    public BatchBuffers(IBatchMapper mapper, bool[] active, int initialRows, int maxRows)
    {
        this.mapper = mapper;
        this.active = active;
        this.maxRows = maxRows;
        Capacity = Math.Clamp(initialRows, 1, maxRows);
        input = empty(Capacity, mapper.InputWidth).DetachFromDisposeScope(); // owned here, whatever scope the caller has open
        outputs = new Tensor?[active.Length];
        Results = new float[]?[active.Length];
        AllocateOutputs();
    }

    /// <summary>Rows the buffers hold now.</summary>
    public int Capacity { get; private set; }

    /// <summary>Each active output's values for the rows of the last <see cref="Run"/>, row-major (null for inactive outputs).</summary>
    public float[]?[] Results { get; }

    /// <summary>The input floats of row <paramref name="row"/>, to be filled before <see cref="Run"/>.</summary>
    public Span<float> InputRow(int row) => InputRows().Slice(row * mapper.InputWidth, mapper.InputWidth);

    /// <summary>
    /// The input floats of all <see cref="Capacity"/> rows, row-major. Taking the span costs native calls, so a batch
    /// takes it once and slices rows from it; it is invalid after <see cref="EnsureCapacity"/> grows the buffers.
    /// </summary>
    public Span<float> InputRows() => MemoryMarshal.Cast<byte, float>(input.bytes);

    /// <summary>Grows (by doubling, up to the batch size) so that <paramref name="rows"/> rows fit, keeping the rows already filled.</summary>
    public void EnsureCapacity(int rows)
    {
        if (rows <= Capacity) return;
        if (rows > maxRows) throw new InvalidOperationException($"A batch holds at most {maxRows} rows.");
        int capacity = (int)Math.Min(maxRows, Math.Max(rows, 2L * Capacity));
        var grown = empty(capacity, mapper.InputWidth).DetachFromDisposeScope();
        using (var filled = grown.narrow(0, 0, Capacity)) filled.copy_(input);
        input.Dispose();
        input = grown;
        Capacity = capacity;
        AllocateOutputs();
    }

    /// <summary>Runs the mapping once on the first <paramref name="rows"/> input rows and copies the results out.</summary>
    public void Run(int rows, Generator noise)
    {
        using (TorchThreads.Use())
        using (var scope = NewDisposeScope())
        {
            var views = new Tensor?[outputs.Length];
            for (int i = 0; i < views.Length; i++) views[i] = outputs[i]?.narrow(0, 0, rows);
            mapper.Map(input.narrow(0, 0, rows), views, noise);
        }
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] is not { } output) continue;
            int count = rows * mapper.Outputs[i].Width;
            MemoryMarshal.Cast<byte, float>(output.bytes)[..count].CopyTo(Results[i]);
        }
    }

    private void AllocateOutputs()
    {
        for (int i = 0; i < active.Length; i++)
        {
            if (!active[i]) continue;
            int width = mapper.Outputs[i].Width;
            outputs[i]?.Dispose();
            outputs[i] = empty(Capacity, width).DetachFromDisposeScope();
            Results[i] = new float[Capacity * width];
        }
    }

    public void Dispose()
    {
        input.Dispose();
        foreach (var t in outputs) t?.Dispose();
    }
}
