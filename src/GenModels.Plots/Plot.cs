using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using OxyPlot.SkiaSharp;

namespace GenModels.Plots;

/// <summary>
/// The pictures a person looks at while training generative models, each returned as PNG bytes: write them with
/// <c>File.WriteAllBytes</c>, or show them in a notebook as <c>image/png</c>. Inputs are plain arrays, so the helper
/// depends on neither ML.NET nor TorchSharp.
/// </summary>
public static class Plot
{
    /// <summary>Default picture width in pixels.</summary>
    public const int DefaultWidth = 640;

    /// <summary>Default picture height in pixels.</summary>
    public const int DefaultHeight = 400;

    /// <summary>Colours of the series and classes, in order (Tableau 10).</summary>
    public static readonly IReadOnlyList<OxyColor> Palette =
    [
        OxyColor.FromRgb(31, 119, 180), OxyColor.FromRgb(255, 127, 14), OxyColor.FromRgb(44, 160, 44), OxyColor.FromRgb(214, 39, 40),
        OxyColor.FromRgb(148, 103, 189), OxyColor.FromRgb(140, 86, 75), OxyColor.FromRgb(227, 119, 194), OxyColor.FromRgb(127, 127, 127),
        OxyColor.FromRgb(188, 189, 34), OxyColor.FromRgb(23, 190, 207),
    ];

    /// <summary>
    /// Loss curves: one line per named loss over the epochs. <paramref name="epochs"/> holds one dictionary of losses per
    /// epoch, such as <c>transformer.Training.History.Select(h =&gt; h.Losses)</c>.
    /// </summary>
    public static byte[] LossCurves(IEnumerable<IReadOnlyDictionary<string, double>> epochs, string title = "Training loss",
        bool logScale = false, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var series = new Dictionary<string, List<double>>();
        foreach (var epoch in epochs)
            foreach (var (name, value) in epoch)
            {
                if (!series.TryGetValue(name, out var values)) series[name] = values = [];
                values.Add(value);
            }
        return LossCurves(series.ToDictionary(s => s.Key, s => (IReadOnlyList<double>)s.Value), title, logScale, width, height);
    }

    /// <summary>Loss curves: one line per entry of <paramref name="series"/>, its values by epoch (1, 2, …).</summary>
    public static byte[] LossCurves(IReadOnlyDictionary<string, IReadOnlyList<double>> series, string title = "Training loss",
        bool logScale = false, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0 || series.All(s => s.Value.Count == 0)) throw new ArgumentException("There are no losses to plot.", nameof(series));
        var model = NewModel(title, legend: series.Count > 1);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "epoch", MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(logScale
            ? new LogarithmicAxis { Position = AxisPosition.Left, Title = "loss", MajorGridlineStyle = LineStyle.Dot }
            : new LinearAxis { Position = AxisPosition.Left, Title = "loss", MajorGridlineStyle = LineStyle.Dot });
        int i = 0;
        foreach (var (name, values) in series)
        {
            var line = new LineSeries { Title = name, Color = Palette[i++ % Palette.Count], StrokeThickness = 2, MarkerType = values.Count <= 30 ? MarkerType.Circle : MarkerType.None, MarkerSize = 3 };
            for (int e = 0; e < values.Count; e++) line.Points.Add(new DataPoint(e + 1, values[e]));
            model.Series.Add(line);
        }
        return Render(model, width, height);
    }

    /// <summary>
    /// A scatter plot of (<paramref name="x"/>, <paramref name="y"/>) with one colour per distinct label (a legend names
    /// them), such as a 2-D latent space coloured by class.
    /// </summary>
    public static byte[] Scatter(IReadOnlyList<float> x, IReadOnlyList<float> y, IReadOnlyList<string> labels, string title = "",
        string xTitle = "z0", string yTitle = "z1", double markerSize = 2, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(labels);
        if (x.Count != y.Count || x.Count != labels.Count)
            throw new ArgumentException($"x, y and labels need one value per point; they have {x.Count}, {y.Count} and {labels.Count}.", nameof(labels));
        if (x.Count == 0) throw new ArgumentException("There are no points to plot.", nameof(x));
        var classes = labels.Distinct().OrderBy(l => l, StringComparer.Ordinal).ToArray();
        var model = NewModel(title, legend: true);
        model.Legends[0].LegendPlacement = LegendPlacement.Outside;
        model.Legends[0].LegendPosition = LegendPosition.RightTop;
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = xTitle });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = yTitle });
        for (int c = 0; c < classes.Length; c++)
        {
            var points = new ScatterSeries { Title = classes[c], MarkerType = MarkerType.Circle, MarkerSize = markerSize, MarkerFill = OxyColor.FromAColor(200, Palette[c % Palette.Count]) };
            for (int i = 0; i < x.Count; i++)
                if (labels[i] == classes[c]) points.Points.Add(new ScatterPoint(x[i], y[i]));
            model.Series.Add(points);
        }
        return Render(model, width, height);
    }

    /// <summary>
    /// The ROC curve of <paramref name="scores"/> (higher = more likely positive) against <paramref name="labels"/>
    /// (true = positive, such as an anomaly), with the area under it in the title.
    /// </summary>
    public static byte[] Roc(IReadOnlyList<float> scores, IReadOnlyList<bool> labels, string title = "ROC curve",
        int width = DefaultHeight, int height = DefaultHeight)
    {
        var (fpr, tpr, auc) = RocCurve(scores, labels);
        var model = NewModel($"{title} (AUC {auc:F3})", legend: false);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "false positive rate", Minimum = 0, Maximum = 1, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "true positive rate", Minimum = 0, Maximum = 1, MajorGridlineStyle = LineStyle.Dot });
        var chance = new LineSeries { Color = OxyColors.Gray, LineStyle = LineStyle.Dash };
        chance.Points.Add(new DataPoint(0, 0));
        chance.Points.Add(new DataPoint(1, 1));
        model.Series.Add(chance);
        var curve = new LineSeries { Color = Palette[0], StrokeThickness = 2 };
        for (int i = 0; i < fpr.Length; i++) curve.Points.Add(new DataPoint(fpr[i], tpr[i]));
        model.Series.Add(curve);
        return Render(model, width, height);
    }

    /// <summary>
    /// The ROC curve's points (false and true positive rates, from (0, 0) to (1, 1), one point per distinct score) and the
    /// area under it (tied scores count half, as the Mann–Whitney statistic does).
    /// </summary>
    public static (double[] FalsePositiveRate, double[] TruePositiveRate, double Auc) RocCurve(IReadOnlyList<float> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count) throw new ArgumentException($"scores has {scores.Count} values and labels {labels.Count}.", nameof(labels));
        int positives = labels.Count(l => l), negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0) throw new ArgumentException("A ROC curve needs both positive and negative labels.", nameof(labels));
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        double auc = 0;
        int tp = 0, fp = 0;
        for (int k = 0; k < order.Length;)
        {
            int tiedTp = 0, tiedFp = 0;
            float score = scores[order[k]];
            for (; k < order.Length && scores[order[k]] == score; k++)
                if (labels[order[k]]) tiedTp++; else tiedFp++;
            auc += tiedFp * (tp + tiedTp / 2.0);   // trapezoid under this step
            tp += tiedTp;
            fp += tiedFp;
            fpr.Add((double)fp / negatives);
            tpr.Add((double)tp / positives);
        }
        return ([.. fpr], [.. tpr], auc / ((double)positives * negatives));
    }

    /// <summary>
    /// A histogram of <paramref name="values"/> in <paramref name="bins"/> equal bins; <paramref name="markers"/> draws a
    /// labelled vertical line at each of its values (a threshold, for example).
    /// </summary>
    public static byte[] Histogram(IReadOnlyList<float> values, int bins = 40, string title = "", string xTitle = "value",
        IReadOnlyDictionary<string, float>? markers = null, int width = DefaultWidth, int height = DefaultHeight) =>
        Histogram(new Dictionary<string, IReadOnlyList<float>> { [""] = values }, bins, title, xTitle, markers, width, height);

    /// <summary>
    /// Histograms of several groups over shared bins, drawn translucent one over another, such as the anomaly scores of
    /// normal rows and of outliers. Each group is normalised to its own count (a density), so a small group stays visible.
    /// <paramref name="markers"/> draws a labelled vertical line at each of its values (a threshold, for example).
    /// </summary>
    public static byte[] Histogram(IReadOnlyDictionary<string, IReadOnlyList<float>> groups, int bins = 40, string title = "", string xTitle = "value",
        IReadOnlyDictionary<string, float>? markers = null, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "At least one bin.");
        var all = groups.Values.SelectMany(v => v).Where(float.IsFinite).ToArray();
        if (all.Length == 0) throw new ArgumentException("There are no finite values to plot.", nameof(groups));
        double min = all.Min(), max = all.Max();
        if (max <= min) max = min + 1;
        double step = (max - min) / bins;
        bool density = groups.Count > 1;
        var model = NewModel(title, legend: groups.Count > 1 || groups.Keys.Any(k => k.Length > 0));
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = xTitle });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = density ? "share of the group" : "count", Minimum = 0, MajorGridlineStyle = LineStyle.Dot });
        int g = 0;
        foreach (var (name, values) in groups)
        {
            var counts = new double[bins];
            int n = 0;
            foreach (var v in values)
                if (float.IsFinite(v)) { counts[Math.Clamp((int)((v - min) / step), 0, bins - 1)]++; n++; }
            var color = Palette[g++ % Palette.Count];
            var bars = new HistogramSeries { Title = name.Length == 0 ? null : name, FillColor = OxyColor.FromAColor(140, color), StrokeColor = color, StrokeThickness = 1 };
            for (int b = 0; b < bins; b++)
                bars.Items.Add(new HistogramItem(min + b * step, min + (b + 1) * step, density && n > 0 ? counts[b] / n * step : counts[b], (int)counts[b]));
            model.Series.Add(bars);
        }
        foreach (var (name, x) in markers ?? new Dictionary<string, float>())
            model.Annotations.Add(new LineAnnotation { Type = LineAnnotationType.Vertical, X = x, Text = name, Color = OxyColors.Black, LineStyle = LineStyle.Dash, StrokeThickness = 1.5 });
        return Render(model, width, height);
    }

    /// <summary>
    /// Many small images in one picture, <paramref name="columns"/> per row with a gap: samples per class,
    /// reconstructions beside originals, latent walks. Each image is C·H·W floats, channel-major (C = 1 grey or 3 red,
    /// green, blue), values between <paramref name="min"/> and <paramref name="max"/> mapping to 0–255; each pixel becomes
    /// <paramref name="scale"/>×<paramref name="scale"/> pixels. <paramref name="rowLabels"/>, when given, are written left of the rows.
    /// </summary>
    public static byte[] ImageGrid(IReadOnlyList<float[]> images, int channels, int height, int width, int columns = 10, int scale = 2,
        IReadOnlyList<string>? rowLabels = null, float min = 0, float max = 1)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images need 1 (grey) or 3 (red, green, blue) channels.");
        if (height < 1 || width < 1) throw new ArgumentOutOfRangeException(height < 1 ? nameof(height) : nameof(width), "Image sizes must be positive.");
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "At least one image per row.");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be at least 1.");
        if (!(max > min)) throw new ArgumentOutOfRangeException(nameof(max), max, "max must be above min.");
        if (images.Count == 0) throw new ArgumentException("There are no images to draw.", nameof(images));
        int size = channels * height * width;
        for (int i = 0; i < images.Count; i++)
            if (images[i] is null || images[i].Length != size)
                throw new ArgumentException($"Image {i} has {images[i]?.Length ?? 0} values; {channels}×{height}×{width} = {size} were expected.", nameof(images));
        return ImageGridRenderer.Render(images, channels, height, width, columns, scale, rowLabels, min, max);
    }

    private static PlotModel NewModel(string title, bool legend)
    {
        var model = new PlotModel { Title = title, Background = OxyColors.White, TitleFontSize = 14, DefaultFontSize = 12 };
        if (legend) model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendBackground = OxyColor.FromAColor(200, OxyColors.White), LegendBorder = OxyColors.LightGray });
        return model;
    }

    private static byte[] Render(PlotModel model, int width, int height)
    {
        if (width < 50 || height < 50) throw new ArgumentOutOfRangeException(width < 50 ? nameof(width) : nameof(height), "A picture needs at least 50×50 pixels.");
        using var stream = new MemoryStream();
        new PngExporter { Width = width, Height = height }.Export(model, stream);
        return stream.ToArray();
    }
}
