using System.Globalization;
using System.IO.Compression;
using GenModels.MLNet;
using GenModels.MLNet.AnomalyDetection;
using GenModels.MLNet.Gan;
using GenModels.MLNet.Vae;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Xunit;

namespace GenModels.Tests;

/// <summary>ML.NET's contract under the ways real apps use a model: engines per request, threads, damaged files, seeds.</summary>
public class ReliabilityTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("genmodels-reliability-").FullName;
    public void Dispose() => Directory.Delete(folder, recursive: true);

    public sealed class Prediction
    {
        [VectorType(2)] public float[] Latent { get; set; } = [];
    }

    public sealed class AnomalyPrediction
    {
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }
    }

    private static VaeEncodingEstimator.Options VaeOptions(int batchSize = 256) => new()
    {
        LatentDimension = 2, HiddenSizes = [16], Epochs = 2, Seed = 3, TransformBatchSize = batchSize,
    };

    private static VaeAnomalyDetectionTrainer.Options DetectorOptions() => new()
    {
        LatentDimension = 2, HiddenSizes = [16], Epochs = 2, Seed = 3,
    };

    private static string Bits(float value) => BitConverter.SingleToInt32Bits(value).ToString("x8");
    private static string[] Bits(IDataView data, string column) =>
        data.Schema[column].Type is VectorDataViewType
            ? data.GetColumn<VBuffer<float>>(column).Select(v => string.Join(" ", v.DenseValues().Select(Bits))).ToArray()
            : data.GetColumn<float>(column).Select(Bits).ToArray();

    // 1. Disposing engines must not destroy the model.

    [Fact]
    public void AModelSurvivesManyPredictionEnginesCreatedAndDisposedWithDefaultOptions()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(40, seed: 1);
        var data = Synthetic.Load(ml, rows);
        var chain = ml.Transforms.NormalizeMinMax("Features").Append(ml.Transforms.VaeEncode(VaeOptions())).Fit(data);
        var detector = ml.AnomalyDetection.Trainers.Vae(DetectorOptions()).Fit(data);
        var expected = Bits(chain.Transform(data), "Latent");
        for (int i = 0; i < 5; i++)
        {
            using (var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, Prediction>(chain)) engine.Predict(rows[i]);
            using (var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, AnomalyPrediction>(detector)) engine.Predict(rows[i]);
        }
        Assert.Equal(expected, Bits(chain.Transform(data), "Latent"));
        using var last = ml.Model.CreatePredictionEngine<Synthetic.Row, AnomalyPrediction>(detector);
        Assert.True(float.IsFinite(last.Predict(rows[0]).Score));

        // A chain loaded from a file behaves the same.
        var path = Path.Combine(folder, "chain.zip");
        ml.Model.Save(chain, data.Schema, path);
        var loaded = ml.Model.Load(path, out _);
        for (int i = 0; i < 3; i++)
            using (var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, Prediction>(loaded)) engine.Predict(rows[i]);
        Assert.Equal(expected, Bits(loaded.Transform(data), "Latent"));
    }

    [Fact]
    public void ATransformerUsedAfterItsOwnDisposalSaysSoByName()
    {
        var ml = new MLContext(seed: 1);
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(40, seed: 2));
        var vae = ml.Transforms.VaeEncode(VaeOptions()).Fit(data);
        var view = vae.Transform(data);
        vae.Dispose();
        var error = Assert.Throws<ObjectDisposedException>(() => vae.Transform(data));
        Assert.Contains(nameof(VaeEncodingTransformer), error.Message);
        Assert.Throws<ObjectDisposedException>(() => view.GetColumn<VBuffer<float>>("Latent").ToArray());
        Assert.Throws<ObjectDisposedException>(() => ml.Model.CreatePredictionEngine<Synthetic.Row, Prediction>(vae));

        var gan = ml.Generative().Gan(new GanEstimator.Options { NoiseDimension = 2, GeneratorHiddenSizes = [8], DiscriminatorHiddenSizes = [8], Epochs = 1, Seed = 1 }).Fit(data);
        gan.Dispose();
        Assert.Contains(nameof(GanTransformer), Assert.Throws<ObjectDisposedException>(() => gan.Generate(5)).Message);
    }

    [Fact]
    public void TheNetworkIsReleasedOnceTheOwnerAndEveryEngineHaveDisposed()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(20, seed: 3);
        var vae = ml.Transforms.VaeEncode(VaeOptions()).Fit(Synthetic.Load(ml, rows));
        var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, Prediction>(vae);
        vae.Dispose();                           // the engine still holds its reference
        Assert.Equal(2, engine.Predict(rows[0]).Latent.Length);
        engine.Dispose();                        // the last reference: now the network is gone
        Assert.Throws<ObjectDisposedException>(() => vae.Transform(Synthetic.Load(ml, rows)));
    }

    // 2. The same model and rows give the same bits in every pass, in an engine and in a fresh process.

    [Fact]
    public void RepeatedTransformsOverPartialBatchesAreBitIdentical()
    {
        var ml = new MLContext(seed: 1);
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(50, seed: 4));
        var options = VaeOptions(batchSize: 16);
        options.ReconstructionColumnName = "Reconstruction";
        var vae = ml.Transforms.VaeEncode(options).Fit(data);
        var first = Bits(vae.Transform(data), "Reconstruction");
        var keep = new List<byte[]>();
        for (int pass = 0; pass < 30; pass++)
        {
            keep.Add(new byte[8 + 8 * pass]); // move the managed heap around between passes
            Assert.Equal(first, Bits(vae.Transform(data), "Reconstruction"));
        }
    }

    [Fact]
    public void APredictionEngineGivesTheSameBitsForTheSameRowEveryTime()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(30, seed: 5);
        var detector = ml.AnomalyDetection.Trainers.Vae(DetectorOptions()).Fit(Synthetic.Load(ml, rows));
        using var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, AnomalyPrediction>(detector);
        var first = rows.Select(r => Bits(engine.Predict(r).Score)).ToArray();
        var keep = new List<byte[]>();
        for (int pass = 0; pass < 10; pass++)
        {
            keep.Add(new byte[8 * pass + 8]);
            Assert.Equal(first, rows.Select(r => Bits(engine.Predict(r).Score)).ToArray());
        }
    }

    [Fact]
    public void APredictionEngineAgreesWithABatchedTransformToFloatRounding()
    {
        // The engine runs on a managed copy of the weights, the batch on libtorch: the last bits may differ (README says so).
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(50, seed: 15); // batches of 16: the last one holds 2 rows
        var data = Synthetic.Load(ml, rows);
        var options = VaeOptions(batchSize: 16);
        options.HiddenSizes = [128, 64];
        options.ReconstructionColumnName = "Reconstruction";
        var vae = ml.Transforms.VaeEncode(options).Fit(data);
        var batched = Synthetic.Column(vae.Transform(data), "Reconstruction");
        using var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, Reconstruction>(vae);
        for (int i = 0; i < rows.Length; i++)
        {
            var single = engine.Predict(rows[i]).Values;
            for (int j = 0; j < single.Length; j++) Assert.Equal(batched[i][j], single[j], 1e-6f);
        }
    }

    public sealed class Reconstruction
    {
        [ColumnName("Reconstruction"), VectorType(Synthetic.Dimension)] public float[] Values { get; set; } = [];
    }

    [Fact]
    public void AFreshProcessGivesTheSameBitsWhereverItsHeapPutsThings()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(50, seed: 6);
        var data = Synthetic.Load(ml, rows);
        var options = VaeOptions(batchSize: 16);
        options.ReconstructionColumnName = "Reconstruction";
        var vae = ml.Transforms.VaeEncode(options).Fit(data);
        var modelPath = Path.Combine(folder, "vae.zip");
        ml.Model.Save(vae, data.Schema, modelPath);
        var csv = Path.Combine(folder, "input.csv");
        File.WriteAllLines(csv, rows.Select(r => string.Join(",", r.Features.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
        var expected = Bits(vae.Transform(data), "Reconstruction");
        foreach (var pad in new[] { "0", "8", "24", "1000" })
        {
            var result = Path.Combine(folder, $"result{pad}.txt");
            // The application's own OpenMP wait policy is kept (and changes no bits).
            var stdout = LoadProbe.Run(new Dictionary<string, string> { ["GENMODELS_PROBE_PAD"] = pad, ["OMP_WAIT_POLICY"] = "ACTIVE" }, modelPath, csv, Synthetic.Dimension, "Reconstruction", result);
            Assert.Contains("native OMP_WAIT_POLICY: ACTIVE", stdout);
            Assert.Contains("native GOMP_SPINCOUNT: (unset)", stdout);
            Assert.Equal(expected, File.ReadAllLines(result));
        }
    }

    // 3 and 4. Every byte of a saved model is covered: a flipped byte fails the load as corrupt.

    [Theory]
    [InlineData("vae")]
    [InlineData("detector")]
    [InlineData("gan")]
    public void FlippingAnyByteOfTheSavedTransformerFailsAsCorruptOrChangesNothing(string kind)
    {
        var ml = new MLContext(seed: 1);
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(40, seed: 7));
        ITransformer model = kind switch
        {
            "vae" => ml.Transforms.VaeEncode(VaeOptions()).Fit(data),
            "detector" => ml.AnomalyDetection.Trainers.Vae(DetectorOptions()).Fit(data),
            _ => ml.Generative().Gan(new GanEstimator.Options { NoiseDimension = 2, GeneratorHiddenSizes = [8], DiscriminatorHiddenSizes = [8], Epochs = 1, Seed = 1 }).Fit(data),
        };
        var path = Path.Combine(folder, "model.zip");
        ml.Model.Save(model, data.Schema, path);
        var reference = Outputs(model, data);
        var original = File.ReadAllBytes(path);
        var (entryName, entryBytes) = ModelEntry(original);
        var (start, end) = TransformerPart(entryBytes);
        // ML.NET's own header and string table surround this library's part; all are flipped. A flip in this library's
        // part must be reported as corrupt; anywhere else it must fail or change nothing that the model computes.
        for (int i = 0; i < entryBytes.Length; i++)
        {
            var damaged = (byte[])entryBytes.Clone();
            damaged[i] ^= 0x10;
            var damagedPath = Path.Combine(folder, "damaged.zip");
            File.WriteAllBytes(damagedPath, ReplaceEntry(original, entryName, damaged));
            ITransformer loaded;
            try { loaded = ml.Model.Load(damagedPath, out _); }
            catch (Exception e)
            {
                Assert.False(e is OverflowException or OutOfMemoryException or System.Runtime.InteropServices.ExternalException, $"byte {i}: {e}");
                if (i >= start && i < end) Assert.Contains("corrupt", AllMessages(e));
                continue;
            }
            Assert.False(i >= start && i < end, $"a flip of byte {i} in the transformer's own part loaded");
            Assert.Equal(reference, Outputs(loaded, data));
        }
    }

    /// <summary>
    /// Where the transformer's own bytes lie in its Model.key entry: after ML.NET's header (its size at offset 16, the
    /// transformer's byte count at offset 24) and before ML.NET's string table.
    /// </summary>
    private static (int Start, int End) TransformerPart(byte[] entry)
    {
        int start = (int)BitConverter.ToInt64(entry, 16);
        return (start, start + (int)BitConverter.ToInt64(entry, 24));
    }

    private static string[] Outputs(ITransformer model, IDataView data) => model switch
    {
        GanTransformer gan => Bits(gan.Generate(20, seed: 2), "Features"),
        _ => model.Transform(data).Schema.Skip(data.Schema.Count).SelectMany(c => c.Type is BooleanDataViewType
            ? model.Transform(data).GetColumn<bool>(c.Name).Select(b => $"{c.Name}:{b}")
            : Bits(model.Transform(data), c.Name).Select(b => $"{c.Name}:{b}")).ToArray(),
    };

    /// <summary>The transformer's Model.key entry (the only one besides the chain's own).</summary>
    private static (string Name, byte[] Bytes) ModelEntry(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var entry = archive.Entries.Where(e => e.FullName.EndsWith("Model.key", StringComparison.Ordinal)).OrderByDescending(e => e.FullName.Length).First();
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return (entry.FullName, copy.ToArray());
    }

    private static byte[] ReplaceEntry(byte[] zip, string name, byte[] bytes)
    {
        var output = new MemoryStream();
        output.Write(zip);
        using (var archive = new ZipArchive(output, ZipArchiveMode.Update, leaveOpen: true))
        {
            archive.GetEntry(name)!.Delete();
            using var stream = archive.CreateEntry(name).Open();
            stream.Write(bytes);
        }
        return output.ToArray();
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }

    private static string AllMessages(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + AllMessages(e.InnerException);

    [Fact]
    public void FormatOneGanWithAHeaderThatDisagreesWithItsNetworkFailsAsCorrupt()
    {
        // Format-1 files have no header checksum, so the loader's own checks are what stand between a damaged header and
        // libtorch: every single-byte flip must load cleanly or fail with a clear error, and never crash inside libtorch.
        var ml = new MLContext(seed: 1);
        var path = Path.Combine(FormatFixtures.Folder, "gan.zip");
        var original = File.ReadAllBytes(path);
        var (entryName, entryBytes) = ModelEntry(original);
        var (start, end) = TransformerPart(entryBytes);
        int caught = 0;
        for (int i = start; i < end; i++)
        {
            var damaged = (byte[])entryBytes.Clone();
            damaged[i] ^= 0x10;
            var damagedPath = Path.Combine(folder, "damaged.zip");
            File.WriteAllBytes(damagedPath, ReplaceEntry(original, entryName, damaged));
            try
            {
                var gan = (GanTransformer)ml.Model.Load(damagedPath, out _);
                Assert.All(Synthetic.Column(gan.Generate(4, seed: 1), gan.FeatureColumnName).SelectMany(v => v), v => Assert.True(float.IsFinite(v)));
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                caught++;
                Assert.False(e is OverflowException or OutOfMemoryException or System.Runtime.InteropServices.ExternalException, $"byte {i}: {e}");
                Assert.Contains("corrupt", AllMessages(e));
            }
        }
        Assert.True(caught > 0);
    }

    // 5 and 6. Memory is sized by what is read.

    [Fact]
    public void TrainingOnTwoRowsOfAVeryWideColumnNeedsNoMoreThanTheRows()
    {
        const int width = 2_200_000; // past int range for 1,024 rows of this width
        var ml = new MLContext(seed: 1);
        var definition = SchemaDefinition.Create(typeof(Synthetic.Row));
        definition[nameof(Synthetic.Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var rnd = new Random(1);
        var rows = Enumerable.Range(0, 2).Select(_ => new Synthetic.Row { Features = Enumerable.Range(0, width).Select(_ => (float)rnd.NextDouble()).ToArray() });
        var data = ml.Data.LoadFromEnumerable(rows, definition);
        var ae = ml.Transforms.AutoencoderEncode(new GenModels.MLNet.Autoencoders.AutoencoderEncodingEstimator.Options
        {
            LatentDimension = 1, HiddenSizes = [1], Epochs = 1, Seed = 1,
        }).Fit(data);
        Assert.Equal(width, ae.InputDimension);
    }

    [Fact]
    public void TransformBatchSizeIsBoundedAndBuffersFollowTheRowsRead()
    {
        var ml = new MLContext(seed: 1);
        var options = VaeOptions(batchSize: int.MaxValue);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.VaeEncode(options));
        Assert.Equal("TransformBatchSize", error.ParamName);

        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(10, seed: 8));
        var vae = ml.Transforms.VaeEncode(VaeOptions(batchSize: 65_536)).Fit(data);
        var view = vae.Transform(data);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int count = view.GetColumn<VBuffer<float>>("Latent").Count();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(10, count);
        Assert.True(allocated < 256 * 1024, $"a pass over 10 rows allocated {allocated:N0} bytes");
    }

    // 7. Options are copied when the estimator is created.

    [Fact]
    public void ChangingTheOptionsAfterCreatingTheEstimatorChangesNothing()
    {
        var ml = new MLContext(seed: 1);
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(40, seed: 9));
        var options = VaeOptions();
        var estimator = ml.Transforms.VaeEncode(options);
        options.LatentDimension = 3;
        options.HiddenSizes![0] = 5;
        options.OutputColumnName = "Other";
        var model = estimator.Fit(data);
        Assert.Equal(2, model.LatentDimension);
        Assert.Equal([16], model.Model.Options.HiddenSizes!);
        Assert.NotNull(model.Transform(data).Schema.GetColumnOrNull("Latent"));
    }

    // 8. A broken record is not normal.

    [Fact]
    public void RowsWithNonFiniteFeaturesArePredictedAnomalies()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(40, seed: 10);
        var data = Synthetic.Load(ml, rows);
        var broken = new[] { float.NaN, float.PositiveInfinity }.Select(bad =>
        {
            var features = (float[])rows[0].Features.Clone();
            features[3] = bad;
            return new Synthetic.Row { Features = features };
        }).ToArray();

        var detector = ml.AnomalyDetection.Trainers.Vae(DetectorOptions()).Fit(data);
        var scored = detector.Transform(Synthetic.Load(ml, broken));
        Assert.All(scored.GetColumn<bool>("PredictedLabel"), Assert.True);
        Assert.All(scored.GetColumn<float>("Score"), s => Assert.Equal(float.PositiveInfinity, s));
        using (var engine = ml.Model.CreatePredictionEngine<Synthetic.Row, AnomalyPrediction>(detector))
            Assert.True(engine.Predict(broken[0]).PredictedLabel);

        var options = DetectorOptions();
        options.NonFiniteRowsAreAnomalies = false;
        var lenient = ml.AnomalyDetection.Trainers.Vae(options).Fit(data);
        Assert.All(lenient.Transform(Synthetic.Load(ml, broken)).GetColumn<bool>("PredictedLabel"), Assert.False);
    }

    // 9. A shared engine refuses overlapping use instead of answering with another thread's row.

    [Fact]
    public async Task APredictionEngineSharedByThreadsNeverReturnsAnotherRowsPrediction()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic.CurvedManifold(200, seed: 11);
        var detector = ml.AnomalyDetection.Trainers.Vae(DetectorOptions()).Fit(Synthetic.Load(ml, rows));
        float[] expected;
        bool[] expectedLabels;
        using (var single = ml.Model.CreatePredictionEngine<Synthetic.Row, AnomalyPrediction>(detector))
        {
            expected = rows.Select(r => single.Predict(r).Score).ToArray();
            expectedLabels = rows.Select(r => single.Predict(r).PredictedLabel).ToArray();
        }
        Assert.Contains(true, expectedLabels);  // both labels occur, so a label read from another row can show
        Assert.Contains(false, expectedLabels);
        using var shared = ml.Model.CreatePredictionEngine<Synthetic.Row, AnomalyPrediction>(detector);
        int wrong = 0, refused = 0, right = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            for (int i = 0; i < rows.Length; i++)
            {
                int r = (i * 7 + t * 31) % rows.Length;
                try
                {
                    // Score and label are two columns of one call: both must be this row's.
                    var prediction = shared.Predict(rows[r]);
                    if (prediction.Score == expected[r] && prediction.PredictedLabel == expectedLabels[r]) Interlocked.Increment(ref right);
                    else Interlocked.Increment(ref wrong);
                }
                catch (InvalidOperationException e) when (e.Message.Contains("not thread-safe"))
                {
                    Interlocked.Increment(ref refused);
                }
            }
        });
        Assert.True(wrong == 0, $"{wrong} wrong, {refused} refused, {right} right");
        // The same engine handed from thread to thread, one call at a time, keeps working.
        for (int i = 0; i < 4; i++)
            Assert.Equal(expected[i], await Task.Run(() => shared.Predict(rows[i]).Score));
        // A call that fails on bad input is not taken for an overlap: the next call is answered.
        var tooShort = new Synthetic.Row { Features = new float[Synthetic.Dimension - 1] };
        var bad = Assert.ThrowsAny<Exception>(() => shared.Predict(tooShort));
        Assert.DoesNotContain("not thread-safe", bad.Message);
        Assert.Equal(expected[5], shared.Predict(rows[5]).Score);
        Assert.Equal(expected[6], shared.Predict(rows[6]).Score);
    }

    // 10. ML.NET's score-column annotations.

    [Fact]
    public void AnomalyColumnsCarryMLNetScoreAnnotations()
    {
        var ml = new MLContext(seed: 1);
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(40, seed: 12));
        var estimator = ml.AnomalyDetection.Trainers.Vae(DetectorOptions());
        var shape = estimator.GetOutputSchema(BadInputTests.Shape(data.Schema));
        var scoreShape = shape.Single(c => c.Name == "Score");
        Assert.Contains(scoreShape.Annotations, a => a.Name == "ScoreColumnKind");

        var schema = estimator.Fit(data).Transform(data).Schema;
        // The names and values ML.NET's evaluators look up (AnnotationUtils.Kinds, internal to ML.NET).
        Assert.Equal("AnomalyDetection", Text(schema["Score"], "ScoreColumnKind"));
        Assert.Equal("Score", Text(schema["Score"], "ScoreValueKind"));
        Assert.Equal("PredictedLabel", Text(schema["PredictedLabel"], "ScoreValueKind"));
        uint setId = 0;
        schema["Score"].Annotations.GetValue("ScoreColumnSetId", ref setId);
        Assert.True(setId > 0);
    }

    private static string Text(DataViewSchema.Column column, string kind)
    {
        ReadOnlyMemory<char> value = default;
        column.Annotations.GetValue(kind, ref value);
        return value.ToString();
    }

    // 12. A set seed leaves the context's random stream alone; an unset one takes exactly one value from it.

    [Fact]
    public void ASetSeedDoesNotShiftALaterKMeansInTheSameContext()
    {
        var rows = Synthetic.CurvedManifold(120, seed: 13);
        float[] Centroids(bool withVae)
        {
            var ml = new MLContext(seed: 7);
            var data = Synthetic.Load(ml, rows);
            if (withVae) ml.Transforms.VaeEncode(VaeOptions()).Fit(data);
            var kmeans = ml.Clustering.Trainers.KMeans("Features", numberOfClusters: 4).Fit(data);
            VBuffer<float>[] centroids = new VBuffer<float>[4];
            kmeans.Model.GetClusterCentroids(ref centroids, out _);
            return centroids.SelectMany(c => c.DenseValues()).ToArray();
        }
        Assert.Equal(Centroids(withVae: false), Centroids(withVae: true));
    }

    [Fact]
    public void AnUnsetSeedDrawsExactlyOneValuePerFit()
    {
        var data = Synthetic.CurvedManifold(40, seed: 14);
        int NextDraw(Action<MLContext, IDataView> before)
        {
            var ml = new MLContext(seed: 7);
            var view = Synthetic.Load(ml, data);
            before(ml, view);
            return ((IHostEnvironment)ml).Register("probe").Rand.Next();
        }
        var options = VaeOptions();
        options.Seed = null;
        int afterFit = NextDraw((ml, view) => ml.Transforms.VaeEncode(options).Fit(view));
        int afterOneDraw = NextDraw((ml, _) => ((IHostEnvironment)ml).Register("one"));
        int untouched = NextDraw((_, _) => { });
        Assert.Equal(afterOneDraw, afterFit);
        Assert.NotEqual(untouched, afterFit);
    }

    // Threads: the library sets libtorch's count around its own work and gives the caller's back.

    [Fact]
    public void ThreadCountsAreSetForTheLibrarysWorkAndRestoredAfterwards()
    {
        int before = TorchSharp.torch.get_num_threads();
        using (GenModels.Torch.TorchThreads.Use(1)) Assert.Equal(1, TorchSharp.torch.get_num_threads());
        Assert.Equal(before, TorchSharp.torch.get_num_threads());

        var ml = new MLContext(seed: 1);
        var options = VaeOptions();
        options.NumberOfThreads = 0;
        Assert.Equal("NumberOfThreads", Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.VaeEncode(options)).ParamName);
        options.NumberOfThreads = 1;
        var data = Synthetic.Load(ml, Synthetic.CurvedManifold(40, seed: 16));
        var oneThread = Bits(ml.Transforms.VaeEncode(options).Fit(data).Transform(data), "Latent");
        Assert.Equal(before, TorchSharp.torch.get_num_threads());
        options.NumberOfThreads = null;
        Assert.Equal(oneThread.Length, Bits(ml.Transforms.VaeEncode(options).Fit(data).Transform(data), "Latent").Length);
        Assert.Equal("Count", Assert.Throws<ArgumentOutOfRangeException>(() => GenModels.Torch.TorchThreads.Count = 0).ParamName);
    }

    // Also: GetOutputSchema and Fit describe a wrong column the same way.

    [Fact]
    public void SchemaErrorsReadTheSameAtGetOutputSchemaAndAtFit()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new DoubleRow { Features = new double[8] } });
        var estimator = ml.Transforms.VaeEncode(VaeOptions());
        var atShape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(BadInputTests.Shape(data.Schema)));
        var atFit = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        Assert.Contains("got Vector<Double>", atShape.Message);
        Assert.Equal(atShape.Message.Split(" (Parameter")[0], atFit.Message.Split(" (Parameter")[0]);
    }

    public sealed class DoubleRow
    {
        [VectorType(8)] public double[] Features { get; set; } = [];
    }
}
