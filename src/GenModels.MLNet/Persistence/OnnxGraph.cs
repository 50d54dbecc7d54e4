using GenModels.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;

namespace GenModels.MLNet.Persistence;

/// <summary>
/// The library's one use of ML.NET's internal ONNX export API (<c>OnnxContext</c>): variables, constants and nodes of the
/// graph that <c>mlContext.Model.ConvertToOnnx</c> builds. Transformers describe their computation through it.
/// </summary>
internal sealed class OnnxGraph(OnnxContext ctx)
{
    /// <summary>The graph variable that holds column <paramref name="column"/> of the transform's input.</summary>
    public string Input(string column) => ctx.GetVariableName(column);

    /// <summary>A float constant of shape <paramref name="dims"/>.</summary>
    public string Constant(float[] values, params long[] dims) => ctx.AddInitializer(values, dims, "GenModels_const");

    /// <summary>An int64 constant of shape <paramref name="dims"/> (a shape for Reshape, for example).</summary>
    public string Int64Constant(long[] values, params long[] dims) => ctx.AddInitializer(values, dims, "GenModels_shape");

    /// <summary>A node computing an intermediate value; returns the value's variable.</summary>
    public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var output = ctx.AddIntermediateVariable(null, "GenModels_" + op, true);
        Create(op, inputs, output, attributes);
        return output;
    }

    /// <summary>A node whose value is the output column <paramref name="column"/> of type <paramref name="type"/>.</summary>
    public void Output(string column, DataViewType type, string op, string[] inputs, params (string Name, object Value)[] attributes) =>
        Create(op, inputs, ctx.AddIntermediateVariable(type, column), attributes);

    private void Create(string op, string[] inputs, string output, (string Name, object Value)[] attributes)
    {
        var node = ctx.CreateNode(op, inputs, [output], ctx.GetNodeName(op), "");
        foreach (var (name, value) in attributes)
        {
            switch (value)
            {
                case long l: node.AddAttribute(name, l); break;
                case long[] longs: node.AddAttribute(name, longs); break;
                case int i: node.AddAttribute(name, (long)i); break;
                case float f: node.AddAttribute(name, (double)f); break;
                case double d: node.AddAttribute(name, d); break;
                default: throw new ArgumentException($"Unsupported ONNX attribute type {value.GetType().Name}.", nameof(attributes));
            }
        }
    }
}

/// <summary>What a batch mapper implements to be exported to ONNX by <c>mlContext.Model.ConvertToOnnx</c>.</summary>
internal interface IOnnxExportable
{
    /// <summary>False when some output cannot be expressed in ONNX (sampled columns, for example).</summary>
    bool CanExportOnnx { get; }
    /// <summary>Adds the nodes that compute every output column from the input column.</summary>
    void ExportOnnx(OnnxGraph graph);
}
