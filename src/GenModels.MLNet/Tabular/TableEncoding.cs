using System.Globalization;
using GenModels.Torch.Tabular;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GenModels.MLNet.Tabular;

/// <summary>How a table column is turned into numbers.</summary>
public enum TableColumnKind
{
    /// <summary>A number (Single, Double or an integer type): one standardised value, plus a present/missing one-hot when NaN occurred.</summary>
    Numeric,
    /// <summary>Boolean, text or key: a one-hot over the values seen in training (empty text and key 0 count as a value, "missing").</summary>
    Categorical,
}

/// <summary>How a numeric column becomes encoded values.</summary>
public enum NumericEncoding
{
    /// <summary>One value: (x − mean) / standard deviation.</summary>
    Standardized,
    /// <summary>
    /// CTGAN's mode-specific normalisation: a small Gaussian mixture is fitted to the column (see
    /// <see cref="TableColumnEncoding.Modes"/>); a value becomes a one-hot of its most likely mode k plus
    /// α = (x − μₖ) / (4σₖ). Point masses (a run of zeros), skewed and multimodal columns so become easy for a network.
    /// </summary>
    ModeSpecific,
}

/// <summary>
/// The encoding of one table column: where its values sit in an encoded row and what it remembers from training.
/// </summary>
public sealed class TableColumnEncoding
{
    internal TableColumnEncoding(string name, DataViewType type, TableColumnKind kind)
    {
        Name = name;
        Type = type;
        Kind = kind;
    }

    /// <summary>The column's name.</summary>
    public string Name { get; }
    /// <summary>The column's type; decoded rows have it too (key columns keep their count and key values).</summary>
    public DataViewType Type { get; }
    /// <summary>Numeric or categorical.</summary>
    public TableColumnKind Kind { get; }
    /// <summary>Index of the column's first value in an encoded row.</summary>
    public int Start { get; internal set; }
    /// <summary>
    /// Number of values the column takes in an encoded row: a category count; or for a number 1 (standardised) or
    /// 1 + the mode count (mode-specific), plus 2 when it has missing values.
    /// </summary>
    public int Width => Kind == TableColumnKind.Numeric ? 1 + ModeCount + (HasMissing ? 2 : 0) : Categories.Count;
    /// <summary>Numeric columns: true when training rows held NaN, so the encoding carries a present/missing one-hot after the value (and modes).</summary>
    public bool HasMissing { get; internal set; }
    /// <summary>Numeric columns: standardised or mode-specific.</summary>
    public NumericEncoding NumericEncoding { get; internal set; }
    /// <summary>Numeric columns with <see cref="NumericEncoding.ModeSpecific"/>: the Gaussian modes, in order of their means; else empty.</summary>
    public IReadOnlyList<NumericMode> Modes { get; internal set; } = [];
    internal int ModeCount => NumericEncoding == NumericEncoding.ModeSpecific ? Modes.Count : 0;
    /// <summary>Numeric columns: mean and standard deviation of the present training values (the standardisation).</summary>
    public double Mean { get; internal set; }
    /// <summary>Numeric columns: the standard deviation used to standardise (1 for a constant column).</summary>
    public double StandardDeviation { get; internal set; } = 1;
    /// <summary>Numeric columns: smallest present training value; decoded values are clamped to [<see cref="Minimum"/>, <see cref="Maximum"/>].</summary>
    public double Minimum { get; internal set; }
    /// <summary>Numeric columns: largest present training value.</summary>
    public double Maximum { get; internal set; }
    /// <summary>
    /// Categorical columns: the values seen in training, in one-hot order (ordinal order of their text). Boolean values
    /// read "False" and "True"; key values read as their key-value text when the column has key values, else as the key
    /// number, and "" for the missing key 0.
    /// </summary>
    public IReadOnlyList<string> Categories { get; internal set; } = [];

    /// <summary>True for integer number types: decoded values are rounded.</summary>
    public bool IsInteger => Type is NumberDataViewType && Type.RawType != typeof(float) && Type.RawType != typeof(double);

    internal ulong[] Codes = [];          // Boolean (0/1) and key (raw value) columns: the code of each category
    internal string[] KeyValues = [];     // key columns: the column's key-value names (all of them, not only those seen)

    /// <summary>The one-hot index of <paramref name="value"/>, or an exception listing the known values.</summary>
    public int CategoryIndex(string value)
    {
        if (Kind != TableColumnKind.Categorical) throw new ArgumentException($"Column '{Name}' is numeric; only a Boolean, text or key column has categories.", nameof(value));
        for (int i = 0; i < Categories.Count; i++) if (string.Equals(Categories[i], value, StringComparison.Ordinal)) return i;
        throw new ArgumentException($"Unknown value '{value}' for column '{Name}': training saw {string.Join(", ", Categories.Take(20).Select(c => $"'{c}'"))}"
            + (Categories.Count > 20 ? $" and {Categories.Count - 20} more." : "."), nameof(value));
    }
}

/// <summary>
/// Turns the rows of an ML.NET table into fixed-length float vectors and back. <c>Fit</c> reads the table once:
/// numeric columns are standardised (mean and standard deviation of the present values) or, with
/// <see cref="NumericEncoding.ModeSpecific"/>, given CTGAN's mode-specific normalisation (a mode one-hot and a value
/// within the mode), and get a present/missing one-hot when they held NaN; Boolean, text and key columns become a one-hot over the values seen (empty text and key 0, the
/// missing values, are one more value). <see cref="Decode(float[])"/> turns vectors back into rows of the original types:
/// the largest entry of each one-hot picks the value, numbers are clamped to the training range, integers rounded, and
/// NaN comes back where the missing entry wins. A generator that learns the encoded vectors can so produce rows of the
/// table's own schema (see <c>TabularSynthesizerEstimator</c>).
/// </summary>
public sealed class TableEncoding
{
    /// <summary>Default values of the encoding.</summary>
    public static class Defaults
    {
        /// <summary>Most distinct values a categorical column may have: more is usually an identifier, not a category.</summary>
        public const int MaxCategories = 1_000;
        /// <summary>Most Gaussian modes of a numeric column under <see cref="NumericEncoding.ModeSpecific"/> (CTGAN's 10).</summary>
        public const int MaxModes = 10;
    }

    private readonly TableColumnEncoding[] columns;

    private TableEncoding(TableColumnEncoding[] columns)
    {
        this.columns = columns;
        int start = 0;
        foreach (var c in columns)
        {
            c.Start = start;
            start += c.Width;
        }
        Width = start;
        Blocks = columns.SelectMany(ColumnBlocks).ToArray();
        var builder = new DataViewSchema.Builder();
        foreach (var c in columns) builder.AddColumn(c.Name, c.Type, KeyAnnotations(c));
        Schema = builder.ToSchema();
    }

    // A numeric column: its value (α under mode-specific normalisation), its mode one-hot, its present/missing one-hot.
    private static IEnumerable<TabularBlock> ColumnBlocks(TableColumnEncoding c)
    {
        if (c.Kind == TableColumnKind.Categorical)
        {
            yield return new TabularBlock(c.Start, c.Width, true);
            yield break;
        }
        yield return new TabularBlock(c.Start, 1, false);
        if (c.ModeCount > 0) yield return new TabularBlock(c.Start + 1, c.ModeCount, true);
        if (c.HasMissing) yield return new TabularBlock(c.Start + 1 + c.ModeCount, 2, true);
    }

    /// <summary>
    /// The blocks that are the one-hot of a Boolean, text or key column (not modes nor missing flags of a number), as
    /// indices into <see cref="Blocks"/>: what a conditional generator can be conditioned on.
    /// </summary>
    public IReadOnlyList<int> CategoricalColumnBlocks =>
        Blocks.Select((b, i) => (b, i)).Where(p => columns.Any(c => c.Kind == TableColumnKind.Categorical && c.Start == p.b.Start)).Select(p => p.i).ToArray();

    /// <summary>The encoded columns, in schema order.</summary>
    public IReadOnlyList<TableColumnEncoding> Columns => columns;
    /// <summary>Length of an encoded row.</summary>
    public int Width { get; }
    /// <summary>The encoded row as continuous values and one-hot blocks, in order.</summary>
    public IReadOnlyList<TabularBlock> Blocks { get; }
    /// <summary>The schema of decoded rows: the encoded columns with their names, types and key values.</summary>
    public DataViewSchema Schema { get; }

    /// <summary>The encoding of column <paramref name="name"/>; throws naming it when it is not encoded.</summary>
    public TableColumnEncoding this[string name] => columns.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"Column '{name}' is not one of the encoded columns ({string.Join(", ", columns.Select(c => c.Name))}).", nameof(name));

    /// <summary>
    /// Learns the encoding of <paramref name="columnNames"/> (null: every visible column) from one pass over
    /// <paramref name="data"/>. Throws naming the column for an unsupported type (vectors, images, dates), a categorical
    /// column with more than <paramref name="maxCategories"/> distinct values, or an infinite number; and when there are no rows.
    /// </summary>
    public static TableEncoding Fit(IDataView data, IEnumerable<string>? columnNames = null, int maxCategories = Defaults.MaxCategories,
        CancellationToken cancellationToken = default) =>
        Fit(data, new TableEncodingOptions { ColumnNames = columnNames?.ToArray(), MaxCategories = maxCategories }, cancellationToken);

    /// <summary>
    /// Learns the encoding with every setting in <paramref name="options"/> (see the other overload); with
    /// <see cref="NumericEncoding.ModeSpecific"/> the modes of each numeric column are fitted here.
    /// </summary>
    public static TableEncoding Fit(IDataView data, TableEncodingOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        int maxCategories = options.MaxCategories;
        if (maxCategories < 1) throw new ArgumentOutOfRangeException(nameof(options.MaxCategories), maxCategories, "At least one category must be allowed.");
        if (options.MaxModes < 1 || options.MaxModes > 100) throw new ArgumentOutOfRangeException(nameof(options.MaxModes), options.MaxModes, "Between 1 and 100 modes.");
        if (!Enum.IsDefined(options.NumericEncoding)) throw new ArgumentOutOfRangeException(nameof(options.NumericEncoding), options.NumericEncoding, "Unknown numeric encoding.");
        var selected = Select(data.Schema, options.ColumnNames);
        var stats = selected.Select(c => new ColumnStatistics(c, maxCategories, options)).ToArray();
        long rows = 0;
        using (var cursor = data.GetRowCursor(selected))
        {
            var observers = stats.Select(s => s.CreateObserver(cursor)).ToArray();
            while (cursor.MoveNext())
            {
                if ((rows & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
                foreach (var observe in observers) observe();
                rows++;
            }
        }
        if (rows == 0) throw new ArgumentException("There are no training rows: the table is empty.", nameof(data));
        return new TableEncoding(stats.Select(s => s.Finish()).ToArray());
    }

    /// <summary>
    /// Checks that <paramref name="schema"/> holds the columns <paramref name="columnNames"/> (null: every visible column)
    /// with supported types, and returns them; throws naming the first missing or unsupported column.
    /// </summary>
    internal static DataViewSchema.Column[] Select(DataViewSchema schema, IEnumerable<string>? columnNames)
    {
        var selected = columnNames is null
            ? schema.Where(c => !c.IsHidden).ToArray()
            : columnNames.Select(n => schema.GetColumnOrNull(n) ?? throw Errors.MissingColumn("data", "table", n)).ToArray();
        if (selected.Length == 0) throw new ArgumentException("The table has no columns to encode.", nameof(columnNames));
        var duplicate = selected.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Column '{duplicate.Key}' is named twice.", nameof(columnNames));
        foreach (var c in selected) CheckType(c.Name, c.Type, "data");
        return selected;
    }

    /// <summary>Throws naming <paramref name="name"/> unless <paramref name="type"/> is a supported scalar type.</summary>
    internal static void CheckType(string name, DataViewType type, string paramName)
    {
        if (!IsSupported(type))
            throw Errors.SchemaMismatch(paramName, "table", name,
                "a scalar number (Single, Double, an integer), Boolean, Text or Key (drop other columns with mlContext.Transforms.DropColumns)", Errors.Describe(type));
    }

    /// <summary>Whether a column of <paramref name="type"/> can be encoded.</summary>
    public static bool IsSupported(DataViewType type) => type switch
    {
        BooleanDataViewType or TextDataViewType => true,
        KeyDataViewType => true,
        NumberDataViewType => true,
        _ => false,
    };

    /// <summary>
    /// Reads every row of <paramref name="data"/> (which must hold the encoded columns with their types) into one array of
    /// <see cref="Width"/> values per row. Throws naming the column for a category not seen by <see cref="Fit(IDataView, TableEncodingOptions, CancellationToken)"/> or an infinite number.
    /// </summary>
    public float[] Encode(IDataView data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var input = columns.Select(c =>
        {
            var column = data.Schema.GetColumnOrNull(c.Name) ?? throw Errors.MissingColumn(nameof(data), "table", c.Name);
            if (!column.Type.Equals(c.Type)) throw Errors.SchemaMismatch(nameof(data), "table", c.Name, Errors.Describe(c.Type), Errors.Describe(column.Type));
            return column;
        }).ToArray();
        var values = new List<float>();
        var row = new float[Width];
        using var cursor = data.GetRowCursor(input);
        var encoders = columns.Select((c, i) => ColumnReaders.CreateEncoder(c, cursor, input[i])).ToArray();
        long position = 0;
        while (cursor.MoveNext())
        {
            if ((position++ & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
            foreach (var encode in encoders) encode(row);
            values.AddRange(row);
        }
        return values.ToArray();
    }

    /// <summary>
    /// Rows of <see cref="Schema"/> decoded from <paramref name="values"/> (<see cref="Width"/> values per row): the
    /// largest entry of each one-hot picks the category (or the missing value), numbers are clamped to the training range
    /// and integers rounded. The rows are read lazily from the array (which is not copied: do not change it while reading).
    /// </summary>
    public IDataView Decode(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length % Width != 0) throw new ArgumentException($"The values are not whole rows of {Width}.", nameof(values));
        long rows = values.Length / Width;
        return new DecodedTableView(this, rows, 1024, () => new ArrayBatchSource(values, Width));
    }

    private static DataViewSchema.Annotations? KeyAnnotations(TableColumnEncoding c) =>
        c.Type is KeyDataViewType && c.KeyValues.Length > 0 ? Data.ClassLabels.KeyValueAnnotations(c.KeyValues) : null;

    // Binary format (inside a model's header): int columnCount; per column: string name; byte typeCode (TypeCodes);
    // for keys: ulong keyCount, int keyValueCount, keyValueCount × string; byte kind;
    // numeric: bool hasMissing, double mean, std, min, max; categorical: int count, count × (string category, ulong code).
    // With modes (the tabular synthesizer's format 3 on): each numeric column then adds byte numericEncoding,
    // int modeCount, modeCount × (double weight, mean, std).
    internal void Write(BinaryWriter w, bool withModes)
    {
        w.Write(columns.Length);
        foreach (var c in columns)
        {
            w.Write(c.Name);
            w.Write(TypeCodes.Of(c.Type));
            if (c.Type is KeyDataViewType key)
            {
                w.Write(key.Count);
                w.Write(c.KeyValues.Length);
                foreach (var v in c.KeyValues) w.Write(v);
            }
            w.Write((byte)c.Kind);
            if (c.Kind == TableColumnKind.Numeric)
            {
                w.Write(c.HasMissing);
                w.Write(c.Mean);
                w.Write(c.StandardDeviation);
                w.Write(c.Minimum);
                w.Write(c.Maximum);
                if (withModes)
                {
                    w.Write((byte)c.NumericEncoding);
                    w.Write(c.Modes.Count);
                    foreach (var m in c.Modes)
                    {
                        w.Write(m.Weight);
                        w.Write(m.Mean);
                        w.Write(m.StandardDeviation);
                    }
                }
            }
            else
            {
                w.Write(c.Categories.Count);
                for (int i = 0; i < c.Categories.Count; i++)
                {
                    w.Write(c.Categories[i]);
                    w.Write(c.Codes.Length == 0 ? 0UL : c.Codes[i]);
                }
            }
        }
    }

    internal static TableEncoding Read(BinaryReader r, bool withModes)
    {
        int count = Persistence.ModelPersistence.ReadCount(r, "the column count", 1, 1_000_000);
        var result = new TableColumnEncoding[count];
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            byte code = r.ReadByte();
            string[] keyValues = [];
            DataViewType type;
            if (TypeCodes.IsKey(code))
            {
                ulong keyCount = r.ReadUInt64();
                type = new KeyDataViewType(TypeCodes.KeyRawType(code), keyCount);
                keyValues = new string[Persistence.ModelPersistence.ReadCount(r, "the key-value count", 0, int.MaxValue)];
                for (int k = 0; k < keyValues.Length; k++) keyValues[k] = r.ReadString();
            }
            else type = TypeCodes.TypeOf(code);
            var kind = (TableColumnKind)r.ReadByte();
            if (!Enum.IsDefined(kind) || (kind == TableColumnKind.Numeric) != (type is NumberDataViewType))
                throw new InvalidDataException($"The saved model is corrupt: column '{name}' has an unknown encoding.");
            var c = new TableColumnEncoding(name, type, kind) { KeyValues = keyValues };
            if (kind == TableColumnKind.Numeric)
            {
                c.HasMissing = r.ReadBoolean();
                c.Mean = r.ReadDouble();
                c.StandardDeviation = r.ReadDouble();
                c.Minimum = r.ReadDouble();
                c.Maximum = r.ReadDouble();
                if (withModes)
                {
                    c.NumericEncoding = (NumericEncoding)r.ReadByte();
                    if (!Enum.IsDefined(c.NumericEncoding)) throw new InvalidDataException($"The saved model is corrupt: column '{name}' has an unknown numeric encoding.");
                    var modes = new NumericMode[Persistence.ModelPersistence.ReadCount(r, "a mode count", 0, 1_000)];
                    for (int k = 0; k < modes.Length; k++) modes[k] = new NumericMode(r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
                    if ((c.NumericEncoding == NumericEncoding.ModeSpecific) != (modes.Length > 0) || modes.Any(m => !(m.StandardDeviation > 0) || !(m.Weight > 0)))
                        throw new InvalidDataException($"The saved model is corrupt: column '{name}' has invalid modes.");
                    c.Modes = modes;
                }
            }
            else
            {
                int n = Persistence.ModelPersistence.ReadCount(r, "a category count", 1, 1_000_000);
                var categories = new string[n];
                var codes = new ulong[n];
                for (int k = 0; k < n; k++)
                {
                    categories[k] = r.ReadString();
                    codes[k] = r.ReadUInt64();
                }
                c.Categories = categories;
                c.Codes = type is TextDataViewType ? [] : codes;
            }
            result[i] = c;
        }
        return new TableEncoding(result);
    }

    /// <summary>The statistics <see cref="Fit(IDataView, TableEncodingOptions, CancellationToken)"/> gathers for one column.</summary>
    private sealed class ColumnStatistics(DataViewSchema.Column column, int maxCategories, TableEncodingOptions options)
    {
        private readonly List<double>? values = column.Type is NumberDataViewType && options.NumericEncoding == NumericEncoding.ModeSpecific ? [] : null;
        private long present, missing;
        private double mean, m2, min = double.PositiveInfinity, max = double.NegativeInfinity;
        private readonly Dictionary<string, ulong> categories = new(StringComparer.Ordinal);
        private readonly string[] keyValues = ColumnReaders.KeyValues(column);

        public Action CreateObserver(DataViewRow row)
        {
            if (column.Type is NumberDataViewType)
            {
                var read = ColumnReaders.Numeric(row, column);
                return () =>
                {
                    double x = read();
                    if (double.IsNaN(x)) { missing++; return; }
                    if (double.IsInfinity(x)) throw new InvalidOperationException($"Column '{column.Name}' holds an infinite value at row {row.Position}.");
                    present++;
                    values?.Add(x);
                    double delta = x - mean;                  // Welford's running mean and variance
                    mean += delta / present;
                    m2 += delta * (x - mean);
                    if (x < min) min = x;
                    if (x > max) max = x;
                };
            }
            var readCategory = ColumnReaders.Category(row, column, keyValues);
            return () =>
            {
                var (text, code) = readCategory();
                if (categories.ContainsKey(text)) return;
                if (categories.Count >= maxCategories)
                    throw new InvalidOperationException($"Column '{column.Name}' has more than {maxCategories:N0} distinct values (the limit, MaxCategories): " +
                        "it looks like an identifier or free text rather than a category. Drop it, or raise the limit.");
                categories[text] = code;
            };
        }

        public TableColumnEncoding Finish()
        {
            bool numeric = column.Type is NumberDataViewType;
            var c = new TableColumnEncoding(column.Name, column.Type, numeric ? TableColumnKind.Numeric : TableColumnKind.Categorical) { KeyValues = keyValues };
            if (numeric)
            {
                if (present == 0) throw new InvalidOperationException($"Column '{column.Name}' has no values: every row is missing (NaN).");
                double std = Math.Sqrt(m2 / present);
                c.HasMissing = missing > 0;
                c.Mean = mean;
                c.StandardDeviation = std > 1e-12 * Math.Max(1, Math.Abs(mean)) ? std : 1;
                c.Minimum = min;
                c.Maximum = max;
                if (values is not null)
                {
                    c.NumericEncoding = NumericEncoding.ModeSpecific;
                    c.Modes = ModeMixture.Fit(values, options.MaxModes, options.Seed);
                }
            }
            else
            {
                var ordered = categories.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
                c.Categories = ordered.Select(p => p.Key).ToArray();
                c.Codes = column.Type is TextDataViewType ? [] : ordered.Select(p => p.Value).ToArray();
            }
            return c;
        }
    }

    /// <summary>Encoded rows already in memory.</summary>
    private sealed class ArrayBatchSource(float[] values, int width) : ITableBatchSource
    {
        public void Fill(long start, int count, float[] destination) => Array.Copy(values, start * width, destination, 0, (long)count * width);
        public void Dispose() { }
    }
}

/// <summary>Settings of <see cref="TableEncoding.Fit(IDataView, TableEncodingOptions, CancellationToken)"/>.</summary>
public sealed class TableEncodingOptions
{
    /// <summary>The columns to encode; null encodes every visible column.</summary>
    public string[]? ColumnNames;
    /// <summary>Most distinct values of a Boolean, text or key column.</summary>
    public int MaxCategories = TableEncoding.Defaults.MaxCategories;
    /// <summary>How numeric columns are encoded.</summary>
    public NumericEncoding NumericEncoding = NumericEncoding.Standardized;
    /// <summary>Most Gaussian modes per numeric column under <see cref="NumericEncoding.ModeSpecific"/> (1 to 100).</summary>
    public int MaxModes = TableEncoding.Defaults.MaxModes;
    /// <summary>Seed of the subsample a long column's modes are fitted on (more than 20,000 present values).</summary>
    public int Seed;
}

/// <summary>A source of encoded rows, read in order by one cursor: the network of a generator, or an array.</summary>
internal interface ITableBatchSource : IDisposable
{
    /// <summary>Writes rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) into <paramref name="destination"/>.</summary>
    void Fill(long start, int count, float[] destination);
}

/// <summary>Compact type codes of the saved encoding.</summary>
internal static class TypeCodes
{
    private static readonly Type[] Numbers = [typeof(float), typeof(double), typeof(sbyte), typeof(byte), typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong)];
    private static readonly Type[] KeyRaw = [typeof(byte), typeof(ushort), typeof(uint), typeof(ulong)];
    private const byte Boolean = 20, Text = 21, Key = 30;

    public static byte Of(DataViewType type) => type switch
    {
        BooleanDataViewType => Boolean,
        TextDataViewType => Text,
        KeyDataViewType k => (byte)(Key + Array.IndexOf(KeyRaw, k.RawType)),
        NumberDataViewType n => (byte)Array.IndexOf(Numbers, n.RawType),
        _ => throw new ArgumentException($"Unsupported type {type}."),
    };

    public static bool IsKey(byte code) => code >= Key && code < Key + KeyRaw.Length;
    public static Type KeyRawType(byte code) => KeyRaw[code - Key];

    public static DataViewType TypeOf(byte code) => code switch
    {
        Boolean => BooleanDataViewType.Instance,
        Text => TextDataViewType.Instance,
        < 10 => ColumnReaders.NumberType(Numbers[code]),
        _ => throw new InvalidDataException($"The saved model is corrupt: unknown column type code {code}."),
    };
}
