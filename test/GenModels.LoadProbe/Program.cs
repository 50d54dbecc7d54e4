// usage: GenModels.LoadProbe <model.zip> <input.csv> <dimension> <outputColumn> <result.txt> [inputColumn] [labelColumn]
// The CSV holds, per row, the label (when labelColumn is given) and then `dimension` values of the vector inputColumn (default Features).
// Writes each row of the output column (Single vector, Single or Boolean) as the hexadecimal bit patterns of its values,
// or, for an image column, its RGBA pixel bytes in hexadecimal.
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length < 5 || args.Length > 7)
{
    Console.Error.WriteLine("usage: GenModels.LoadProbe <model.zip> <input.csv> <dimension> <outputColumn> <result.txt> [inputColumn] [labelColumn]");
    return 2;
}
// GENMODELS_PROBE_PAD=n allocates n bytes first, moving where the process's later managed objects land.
var padding = new byte[int.Parse(Environment.GetEnvironmentVariable("GENMODELS_PROBE_PAD") ?? "0")];
var ml = new MLContext(seed: 0);
var model = ml.Model.Load(args[0], out _);
int dimension = int.Parse(args[2]);
string inputColumn = args.Length > 5 ? args[5] : "Features";
var columns = new List<TextLoader.Column>();
int first = 0;
if (args.Length > 6) { columns.Add(new TextLoader.Column(args[6], DataKind.String, 0)); first = 1; }
columns.Add(new TextLoader.Column(inputColumn, DataKind.Single, first, first + dimension - 1));
var data = ml.Data.LoadFromTextFile(args[1], columns.ToArray(), separatorChar: ',');
var output = model.Transform(data);
var column = output.Schema[args[3]];
var lines = new List<string>();
using (var cursor = output.GetRowCursor(new[] { column }))
{
    if (column.Type is VectorDataViewType)
    {
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            lines.Add(string.Join(" ", value.DenseValues().Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));
        }
    }
    else if (column.Type is Microsoft.ML.Transforms.Image.ImageDataViewType)
    {
        var getter = cursor.GetGetter<MLImage>(column);
        MLImage value = null!;
        while (cursor.MoveNext())
        {
            getter(ref value);
            lines.Add(Convert.ToHexString(value.Pixels) + " " + value.PixelFormat);
        }
    }
    else if (column.Type is BooleanDataViewType)
    {
        var getter = cursor.GetGetter<bool>(column);
        bool value = false;
        while (cursor.MoveNext())
        {
            getter(ref value);
            lines.Add(value ? "true" : "false");
        }
    }
    else
    {
        var getter = cursor.GetGetter<float>(column);
        float value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            lines.Add(BitConverter.SingleToInt32Bits(value).ToString("x8"));
        }
    }
}
File.WriteAllLines(args[4], lines);
GC.KeepAlive(padding);
Console.WriteLine($"GenModels assembly loaded by ML.NET: {AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "GenModels.MLNet")}");
// The OpenMP settings libtorch's runtime read when it loaded: the process's native environment, not .NET's copy of it.
foreach (var name in new[] { "OMP_WAIT_POLICY", "GOMP_SPINCOUNT" })
    Console.WriteLine($"native {name}: {System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeEnvironment.getenv(name)) ?? "(unset)"}");
return 0;

static class NativeEnvironment
{
    [System.Runtime.InteropServices.DllImport("libc")]
    public static extern IntPtr getenv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string name);
}
