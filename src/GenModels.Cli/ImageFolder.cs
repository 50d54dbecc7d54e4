using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.Cli;

/// <summary>
/// A folder of images as the tool reads it: every image file under it (png, jpg, jpeg, bmp, webp), with the name of the
/// subfolder it sits in as its class (empty for files at the top). ML.NET's LoadImages and ResizeImages turn the paths
/// into a sized image column, inside the saved pipeline, so that scoring reads paths again.
/// </summary>
public sealed class ImageFolder
{
    /// <summary>The file extensions read.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];
    /// <summary>The column of absolute image paths.</summary>
    public const string PathColumn = "ImagePath";
    /// <summary>The column of class names (subfolders).</summary>
    public const string ClassColumn = "Folder";
    /// <summary>The sized image column the networks read.</summary>
    public const string ImageColumn = "Image";

    private ImageFolder(string root, IReadOnlyList<ImageRow> rows)
    {
        Root = root;
        Rows = rows;
    }

    /// <summary>The folder.</summary>
    public string Root { get; }
    /// <summary>One row per image file, in path order.</summary>
    public IReadOnlyList<ImageRow> Rows { get; }
    /// <summary>The distinct subfolder names (empty when every image sits at the top).</summary>
    public IReadOnlyList<string> Classes => Rows.Select(r => r.Folder).Where(f => f.Length > 0).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>Lists the images; fails (usage error) for a missing folder or one with no images.</summary>
    public static ImageFolder Open(string root)
    {
        if (!Directory.Exists(root))
            throw new UsageException(File.Exists(root) ? $"'{root}' is a file; --images expects a folder of images." : $"The image folder '{root}' does not exist.");
        var full = Path.GetFullPath(root);
        var rows = Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .Select(f =>
            {
                var relative = Path.GetRelativePath(full, Path.GetDirectoryName(f)!);
                var folder = relative == "." ? "" : relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)[0];
                return new ImageRow { ImagePath = f, Folder = folder };
            }).ToArray();
        if (rows.Length == 0)
            throw new UsageException($"'{root}' holds no images ({string.Join(", ", Extensions)}).");
        return new ImageFolder(root, rows);
    }

    /// <summary>The rows as a view: ImagePath and Folder, both text.</summary>
    public IDataView Load(MLContext ml) => ml.Data.LoadFromEnumerable(Rows);

    /// <summary>LoadImages then ResizeImages to <paramref name="size"/>×<paramref name="size"/>, fitted on <paramref name="data"/>.</summary>
    public static ITransformer FitImagePipeline(MLContext ml, IDataView data, int size) =>
        ml.Transforms.LoadImages(ImageColumn, imageFolder: null, PathColumn)
            .Append(ml.Transforms.ResizeImages(ImageColumn, size, size, ImageColumn))
            .Fit(data);

    /// <summary>Writes every image of an image column as PNG into <paramref name="folder"/>; returns the count.</summary>
    public static long SavePngs(IDataView data, string imageColumn, string? labelColumn, string folder)
    {
        Directory.CreateDirectory(folder);
        var columns = new List<DataViewSchema.Column> { data.Schema[imageColumn] };
        if (labelColumn is not null) columns.Add(data.Schema[labelColumn]);
        using var cursor = data.GetRowCursor(columns);
        var image = cursor.GetGetter<MLImage>(data.Schema[imageColumn]);
        var label = labelColumn is null ? null : cursor.GetGetter<ReadOnlyMemory<char>>(data.Schema[labelColumn]);
        MLImage value = null!;
        ReadOnlyMemory<char> name = default;
        long n = 0;
        while (cursor.MoveNext())
        {
            image(ref value);
            label?.Invoke(ref name);
            var prefix = label is null ? "sample" : string.Concat(name.ToString().Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
            value.Save(Path.Combine(folder, $"{prefix}-{n:D5}.png"));
            n++;
        }
        return n;
    }
}

/// <summary>One image file: its absolute path and its subfolder (class).</summary>
public sealed class ImageRow
{
    /// <summary>Absolute path.</summary>
    public string ImagePath { get; set; } = "";
    /// <summary>The subfolder under the root, or empty.</summary>
    public string Folder { get; set; } = "";
}
