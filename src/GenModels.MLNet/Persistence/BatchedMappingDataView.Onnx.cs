using GenModels.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;

namespace GenModels.MLNet.Data;

/// <summary>The view of a batched mapping as ML.NET's ONNX exporter walks it: a data transform over its source.</summary>
internal sealed partial class BatchedMappingDataView : IDataTransform, ITransformCanSaveOnnx
{
    IDataView IDataTransform.Source => source;

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => mapper is IOnnxExportable { CanExportOnnx: true };

    void ISaveAsOnnx.SaveAsOnnx(OnnxContext ctx) => ((IOnnxExportable)mapper).ExportOnnx(new OnnxGraph(ctx));

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("Save the transformer (mlContext.Model.Save), not the view it produced.");
}
