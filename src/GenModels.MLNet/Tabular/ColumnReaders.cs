using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Tabular;

/// <summary>Typed reading and writing of the scalar column types a <see cref="TableEncoding"/> supports.</summary>
internal static class ColumnReaders
{
    /// <summary>The value of a row's number column as a double (NaN stays NaN).</summary>
    public static Func<double> Numeric(DataViewRow row, DataViewSchema.Column column)
    {
        var raw = column.Type.RawType;
        if (raw == typeof(float)) return ReadDouble<float>(row, column, v => v);
        if (raw == typeof(double)) return ReadDouble<double>(row, column, v => v);
        if (raw == typeof(sbyte)) return ReadDouble<sbyte>(row, column, v => v);
        if (raw == typeof(byte)) return ReadDouble<byte>(row, column, v => v);
        if (raw == typeof(short)) return ReadDouble<short>(row, column, v => v);
        if (raw == typeof(ushort)) return ReadDouble<ushort>(row, column, v => v);
        if (raw == typeof(int)) return ReadDouble<int>(row, column, v => v);
        if (raw == typeof(uint)) return ReadDouble<uint>(row, column, v => v);
        if (raw == typeof(long)) return ReadDouble<long>(row, column, v => v);
        if (raw == typeof(ulong)) return ReadDouble<ulong>(row, column, v => v);
        throw new ArgumentException($"Column '{column.Name}' is not a number column.");
    }

    /// <summary>The raw code of a Boolean (0/1) or key column (its raw value; 0 = missing).</summary>
    public static Func<ulong> Code(DataViewRow row, DataViewSchema.Column column)
    {
        var raw = column.Type.RawType;
        if (raw == typeof(bool)) return ReadCode<bool>(row, column, v => v ? 1UL : 0UL);
        if (raw == typeof(byte)) return ReadCode<byte>(row, column, v => v);
        if (raw == typeof(ushort)) return ReadCode<ushort>(row, column, v => v);
        if (raw == typeof(uint)) return ReadCode<uint>(row, column, v => v);
        if (raw == typeof(ulong)) return ReadCode<ulong>(row, column, v => v);
        throw new ArgumentException($"Column '{column.Name}' is not a Boolean or key column.");
    }

    /// <summary>The category text and code of a row's Boolean, text or key column (see <see cref="TableColumnEncoding.Categories"/>).</summary>
    public static Func<(string Text, ulong Code)> Category(DataViewRow row, DataViewSchema.Column column, string[] keyValues)
    {
        if (column.Type is TextDataViewType)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> value = default;
            return () => { getter(ref value); return (value.ToString(), 0UL); };
        }
        var code = Code(row, column);
        bool boolean = column.Type is BooleanDataViewType;
        return () => { ulong c = code(); return (CategoryText(c, boolean, keyValues), c); };
    }

    /// <summary>The text of a Boolean or key code.</summary>
    public static string CategoryText(ulong code, bool boolean, string[] keyValues) =>
        boolean ? (code == 1 ? "True" : "False")
        : code == 0 ? ""
        : code <= (ulong)keyValues.Length ? keyValues[code - 1] : code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The text key values of a key column (empty when it has none, or they are not text).</summary>
    public static string[] KeyValues(DataViewSchema.Column column)
    {
        if (column.Type is not KeyDataViewType) return [];
        var kv = column.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues);
        if (kv is null || kv.Value.Type is not VectorDataViewType { ItemType: TextDataViewType }) return [];
        VBuffer<ReadOnlyMemory<char>> values = default;
        column.GetKeyValues(ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }

    /// <summary>The number type whose raw type is <paramref name="raw"/>.</summary>
    public static NumberDataViewType NumberType(Type raw) =>
        raw == typeof(float) ? NumberDataViewType.Single : raw == typeof(double) ? NumberDataViewType.Double
        : raw == typeof(sbyte) ? NumberDataViewType.SByte : raw == typeof(byte) ? NumberDataViewType.Byte
        : raw == typeof(short) ? NumberDataViewType.Int16 : raw == typeof(ushort) ? NumberDataViewType.UInt16
        : raw == typeof(int) ? NumberDataViewType.Int32 : raw == typeof(uint) ? NumberDataViewType.UInt32
        : raw == typeof(long) ? NumberDataViewType.Int64 : raw == typeof(ulong) ? NumberDataViewType.UInt64
        : throw new ArgumentException($"{raw.Name} is not a number type.");

    /// <summary>Writes the encoding of the current row's value of <paramref name="c"/> into its span of an encoded row.</summary>
    public static Action<float[]> CreateEncoder(TableColumnEncoding c, DataViewRow row, DataViewSchema.Column column)
    {
        int start = c.Start;
        if (c.Kind == TableColumnKind.Numeric)
        {
            var read = Numeric(row, column);
            double mean = c.Mean, std = c.StandardDeviation;
            bool indicator = c.HasMissing;
            var modes = c.Modes;
            int modeCount = c.ModeCount, flags = start + 1 + modeCount;
            // A missing value of a mode-specific column sits at α = 0 of its heaviest mode, so that block stays a one-hot.
            int heaviest = modeCount == 0 ? 0 : Enumerable.Range(0, modeCount).MaxBy(k => modes[k].Weight);
            return encoded =>
            {
                double x = read();
                if (double.IsInfinity(x)) throw new InvalidOperationException($"Column '{c.Name}' holds an infinite value at row {row.Position}.");
                bool missing = double.IsNaN(x);
                if (missing && !indicator)
                    throw new InvalidOperationException($"Column '{c.Name}' is missing (NaN) at row {row.Position}, but had no missing values when the encoding was fitted.");
                if (modeCount == 0) encoded[start] = missing ? 0 : (float)((x - mean) / std);
                else
                {
                    int k = missing ? heaviest : ModeMixture.MostLikely(modes, x);
                    encoded[start] = missing ? 0 : (float)((x - modes[k].Mean) / (4 * modes[k].StandardDeviation));
                    Array.Clear(encoded, start + 1, modeCount);
                    encoded[start + 1 + k] = 1;
                }
                if (indicator)
                {
                    encoded[flags] = missing ? 0 : 1;
                    encoded[flags + 1] = missing ? 1 : 0;
                }
            };
        }
        int width = c.Width;
        Func<int> index;
        if (column.Type is TextDataViewType)
        {
            var lookup = c.Categories.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> value = default;
            index = () => { getter(ref value); return lookup.TryGetValue(value.Span, out int i) ? i : c.CategoryIndex(value.ToString()); };
        }
        else
        {
            var codes = c.Codes.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i);
            var code = Code(row, column);
            bool boolean = column.Type is BooleanDataViewType;
            index = () => { ulong k = code(); return codes.TryGetValue(k, out int i) ? i : c.CategoryIndex(CategoryText(k, boolean, c.KeyValues)); };
        }
        return encoded =>
        {
            int i = index();
            Array.Clear(encoded, start, width);
            encoded[start + i] = 1;
        };
    }

    /// <summary>A buffer of decoded values of column <paramref name="c"/>, filled row by row from encoded rows.</summary>
    public static DecodedColumn CreateDecoded(TableColumnEncoding c)
    {
        int start = c.Start;
        if (c.Kind == TableColumnKind.Numeric)
        {
            double mean = c.Mean, std = c.StandardDeviation, min = c.Minimum, max = c.Maximum;
            bool indicator = c.HasMissing, integer = c.IsInteger;
            int modeCount = c.ModeCount, flags = start + 1 + modeCount;
            var modeMeans = c.Modes.Select(m => m.Mean).ToArray();
            var modeScales = c.Modes.Select(m => 4 * m.StandardDeviation).ToArray();
            double Value(ReadOnlySpan<float> row)
            {
                if (indicator && row[flags + 1] > row[flags]) return double.NaN;
                double v;
                if (modeCount == 0) v = row[start] * std + mean;
                else
                {
                    int k = 0;
                    for (int j = 1; j < modeCount; j++) if (row[start + 1 + j] > row[start + 1 + k]) k = j;
                    v = row[start] * modeScales[k] + modeMeans[k];
                }
                v = Math.Clamp(v, min, max);
                return integer ? Math.Round(v, MidpointRounding.ToEven) : v;
            }
            var raw = c.Type.RawType;
            if (raw == typeof(float)) return new DecodedColumn<float>(r => (float)Value(r));
            if (raw == typeof(double)) return new DecodedColumn<double>(r => Value(r));
            if (raw == typeof(sbyte)) return new DecodedColumn<sbyte>(r => (sbyte)Value(r));
            if (raw == typeof(byte)) return new DecodedColumn<byte>(r => (byte)Value(r));
            if (raw == typeof(short)) return new DecodedColumn<short>(r => (short)Value(r));
            if (raw == typeof(ushort)) return new DecodedColumn<ushort>(r => (ushort)Value(r));
            if (raw == typeof(int)) return new DecodedColumn<int>(r => (int)Value(r));
            if (raw == typeof(uint)) return new DecodedColumn<uint>(r => (uint)Value(r));
            if (raw == typeof(long)) return new DecodedColumn<long>(r => (long)Value(r));
            return new DecodedColumn<ulong>(r => (ulong)Value(r));
        }
        int width = c.Width;
        int ArgMax(ReadOnlySpan<float> row)
        {
            var block = row.Slice(start, width);
            int best = 0;
            for (int i = 1; i < block.Length; i++) if (block[i] > block[best]) best = i;
            return best;
        }
        if (c.Type is TextDataViewType)
        {
            var texts = c.Categories.Select(t => t.AsMemory()).ToArray();
            return new DecodedColumn<ReadOnlyMemory<char>>(r => texts[ArgMax(r)]);
        }
        var codes = c.Codes;
        var type = c.Type.RawType;
        if (type == typeof(bool)) return new DecodedColumn<bool>(r => codes[ArgMax(r)] == 1);
        if (type == typeof(byte)) return new DecodedColumn<byte>(r => (byte)codes[ArgMax(r)]);
        if (type == typeof(ushort)) return new DecodedColumn<ushort>(r => (ushort)codes[ArgMax(r)]);
        if (type == typeof(uint)) return new DecodedColumn<uint>(r => (uint)codes[ArgMax(r)]);
        return new DecodedColumn<ulong>(r => codes[ArgMax(r)]);
    }

    private static Func<TResult> Read<T, TResult>(DataViewRow row, DataViewSchema.Column column, Func<T, TResult> convert)
    {
        var getter = row.GetGetter<T>(column);
        T value = default!;
        return () => { getter(ref value); return convert(value); };
    }

    private static Func<double> ReadDouble<T>(DataViewRow row, DataViewSchema.Column column, Func<T, double> convert) => Read(row, column, convert);
    private static Func<ulong> ReadCode<T>(DataViewRow row, DataViewSchema.Column column, Func<T, ulong> convert) => Read(row, column, convert);
}

/// <summary>Reads one value from an encoded row.</summary>
internal delegate T RowDecoder<T>(ReadOnlySpan<float> encodedRow);

/// <summary>The decoded values of one column for the rows of a batch.</summary>
internal abstract class DecodedColumn
{
    /// <summary>Decodes row <paramref name="i"/> of the batch from its encoded values.</summary>
    public abstract void Decode(ReadOnlySpan<float> encodedRow, int i);
    /// <summary>Makes room for <paramref name="rows"/> rows.</summary>
    public abstract void Resize(int rows);
    /// <summary>A getter of the value at the batch row <paramref name="index"/>() gives.</summary>
    public abstract ValueGetter<TValue> Getter<TValue>(Func<int> index, string columnName);
}

internal sealed class DecodedColumn<T>(RowDecoder<T> decode) : DecodedColumn
{
    private T[] values = [];
    public override void Decode(ReadOnlySpan<float> encodedRow, int i) => values[i] = decode(encodedRow);
    public override void Resize(int rows) { if (values.Length < rows) values = new T[rows]; }

    public override ValueGetter<TValue> Getter<TValue>(Func<int> index, string columnName)
    {
        ValueGetter<T> getter = (ref T value) => value = values[index()];
        return getter as ValueGetter<TValue> ?? throw new InvalidOperationException($"Column '{columnName}' holds {typeof(T).Name}, not {typeof(TValue).Name}.");
    }
}
