using GenModels.MLNet;
using GenModels.MLNet.Vae;
using GenModels.Torch.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace GenModels.Tests;

public class BadInputTests
{
    private readonly MLContext ml = new(seed: 1);

    // SchemaShape.Create is internal to ML.NET; estimators normally receive shapes from the estimator before them.
    internal static SchemaShape Shape(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!
            .Invoke(null, [schema])!;

    private sealed class TextRow { public string Features { get; set; } = ""; }
    private sealed class ScalarRow { public float Features { get; set; } }
    private sealed class VariableRow { public float[] Features { get; set; } = []; }
    private sealed class WideRow { [VectorType(9)] public float[] Features { get; set; } = []; }

    [Fact]
    public void MissingInputColumnIsNamedAtFitAndAtGetOutputSchema()
    {
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(10, seed: 1));
        var estimator = ml.Transforms.VaeEncode("Latent", "Pixels", latentDimension: 2);
        var fit = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        Assert.Contains("'Pixels'", fit.Message);
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(Shape(data.Schema)));
        Assert.Contains("'Pixels'", shape.Message);
        Assert.Contains("'Pixels'", Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.AutoencoderEncode("Latent", "Pixels").Fit(data)).Message);
    }

    [Fact]
    public void ColumnThatIsNotAKnownSizeSingleVectorIsRejectedWithWhatWasFound()
    {
        var text = ml.Data.LoadFromEnumerable(new[] { new TextRow { Features = "a" } });
        var scalar = ml.Data.LoadFromEnumerable(new[] { new ScalarRow { Features = 1 } });
        var variable = ml.Data.LoadFromEnumerable(new[] { new VariableRow { Features = [1, 2, 3] } });
        var estimator = ml.Transforms.VaeEncode("Latent", "Features", latentDimension: 1);
        foreach (var (data, found) in new[] { (text, "String"), (scalar, "Single"), (variable, "unknown size") })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
            Assert.Contains("'Features'", e.Message);
            Assert.Contains("known-size vector of Single", e.Message);
            Assert.Contains(found, e.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(Shape(data.Schema)));
        }
    }

    [Fact]
    public void NonFiniteTrainingValueIsReportedWithRowAndSlot()
    {
        var rows = Synthetic.CurvedManifold(20, seed: 2);
        rows[13].Features[5] = float.NaN;
        var e = Assert.Throws<InvalidOperationException>(() => ml.Transforms.VaeEncode("Latent", "Features", 2).Fit(Synthetic.Load(ml, rows)));
        Assert.Contains("'Features'", e.Message);
        Assert.Contains("row 13, slot 5", e.Message);
        rows[13].Features[5] = float.PositiveInfinity;
        Assert.Throws<InvalidOperationException>(() => ml.Transforms.AutoencoderEncode("Latent", "Features", 2).Fit(Synthetic.Load(ml, rows)));
    }

    [Fact]
    public void EmptyTrainingSetIsRejected()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ml.Transforms.VaeEncode("Latent", "Features", 2).Fit(Synthetic.Load(ml, [])));
        Assert.Contains("no rows", e.Message);
    }

    /// <summary>Estimators built with one bad setting each, and the parameter the exception must name.</summary>
    public static TheoryData<string, Func<MLContext, object>> BadEncoderSettings => new()
    {
        { "LatentDimension", ml => ml.Transforms.VaeEncode("Latent", "Features", latentDimension: 0) },
        { "LatentDimension", ml => ml.Transforms.AutoencoderEncode("Latent", "Features", latentDimension: -3) },
        { "Beta", ml => ml.Transforms.VaeEncode("Latent", "Features", 2, beta: -0.5) },
        { "Epochs", ml => ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { Epochs = 0 }) },
        { "HiddenSizes", ml => ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { HiddenSizes = [8, 0] }) },
    };

    [Theory]
    [MemberData(nameof(BadEncoderSettings))]
    public void InvalidSettingsAreRejectedWhenTheEstimatorIsCreated(string parameter, Func<MLContext, object> create) =>
        Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(() => create(ml)).ParamName);

    [Fact]
    public void AnOutputColumnNamedTwiceIsRejectedWhenTheEstimatorIsCreated()
    {
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { ReconstructionColumnName = "Latent" }));
        Assert.Contains("Latent", e.Message);
    }

    [Fact]
    public void LatentDimensionLargerThanTheInputIsRejectedAtFitNamingBoth()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ml.Transforms.VaeEncode("Latent", "Features", latentDimension: 9).Fit(Synthetic.Load(ml, Synthetic.CurvedManifold(10, seed: 3))));
        Assert.Equal("LatentDimension", e.ParamName);
        Assert.Contains("'Features' (8)", e.Message);
    }

    [Fact]
    public void TransformingAColumnOfAnotherLengthIsASchemaError()
    {
        var model = ml.Transforms.VaeEncode(new VaeEncodingEstimator.Options { LatentDimension = 2, Epochs = 1 })
            .Fit(Synthetic.Load(ml, Synthetic.CurvedManifold(20, seed: 4)));
        var wide = ml.Data.LoadFromEnumerable(new[] { new WideRow { Features = new float[9] } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Transform(wide));
        Assert.Contains("'Features'", e.Message);
        Assert.Contains("Vector<Single, 8>", e.Message);
        Assert.Contains("Vector<Single, 9>", e.Message);
    }

    [Fact]
    public void ExplodingLossStopsWithAClearError()
    {
        var rows = Synthetic.CurvedManifold(50, seed: 5);
        foreach (var r in rows) for (int i = 0; i < r.Features.Length; i++) r.Features[i] *= 1e22f; // squares overflow Single
        var e = Assert.Throws<NonFiniteLossException>(() => ml.Transforms.AutoencoderEncode("Latent", "Features", 2).Fit(Synthetic.Load(ml, rows)));
        Assert.Contains("non-finite", e.Message);
        Assert.Contains("NormalizeMinMax", e.Message);
    }
}
