// usage: GenModels.LoadProbe <model.zip> <input.csv> <dimension> <outputColumn> <result.txt>
// Writes each row of the output column (Single vector, Single or Boolean) as the hexadecimal bit patterns of its values.
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length != 5)
{
    Console.Error.WriteLine("usage: GenModels.LoadProbe <model.zip> <input.csv> <dimension> <outputColumn> <result.txt>");
    return 2;
}
var ml = new MLContext(seed: 0);
var model = ml.Model.Load(args[0], out _);
int dimension = int.Parse(args[2]);
var data = ml.Data.LoadFromTextFile(args[1], new[] { new TextLoader.Column("Features", DataKind.Single, 0, dimension - 1) }, separatorChar: ',');
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
Console.WriteLine($"GenModels assembly loaded by ML.NET: {AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "GenModels.MLNet")}");
return 0;
