// Runs the C# cells of a .NET Interactive notebook (.ipynb) in order with the real C# kernel, as Polyglot Notebooks would,
// and fails on the first cell error. With --save it writes the cells' outputs back into the notebook (nbformat 4), so
// that GitHub shows them: console text as stream outputs, display(...) and return values as display data (image/png,
// text/html, text/plain).
//
//   dotnet test/GenModels.NotebookRunner/bin/Release/net10.0/GenModels.NotebookRunner.dll NOTEBOOK.ipynb [--save]
//
// Package sources come from the nuget.config files of the notebook's folder and above, as in an editor (the repository's
// examples/notebooks/nuget.config adds artifacts/packages). Environment, read by the runner (not by the notebook):
//   GENMODELS_NOTEBOOK_VERSION  replaces the version in every `#r "nuget: GenModels.*, VERSION"` line
// and, read by the notebooks themselves, GENMODELS_NOTEBOOK_QUICK=1 for small settings (tests) and
// GENMODELS_NOTEBOOK_THREADS for libtorch's thread count.
// Exit code: 0 when every cell ran, 1 when a cell failed, 2 for bad arguments.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

if (args.Length is < 1 or > 2 || (args.Length == 2 && args[1] != "--save") || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: GenModels.NotebookRunner NOTEBOOK.ipynb [--save]");
    return 2;
}
var path = Path.GetFullPath(args[0]);
bool save = args.Length == 2;
var notebook = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
var cells = notebook["cells"]!.AsArray();

// Notebooks run with their own folder as the working directory, as in an editor.
Directory.SetCurrentDirectory(Path.GetDirectoryName(path)!);
var natives = new NativeProbing();
using var kernel = new CSharpKernel()
    .UseKernelHelpers()
    .UseNugetDirective((k, references) =>
    {
        k.AddAssemblyReferences(references.SelectMany(r => r.AssemblyPaths));
        natives.Add(references.SelectMany(r => r.ProbingPaths));
        return Task.CompletedTask;
    });

int executionCount = 0;
var total = Stopwatch.StartNew();
for (int index = 0; index < cells.Count; index++)
{
    var cell = cells[index]!.AsObject();
    if ((string?)cell["cell_type"] != "code") continue;
    var source = Source(cell);
    if (string.IsNullOrWhiteSpace(source)) continue;
    executionCount++;
    var clock = Stopwatch.StartNew();
    var result = await kernel.SendAsync(new SubmitCode(Substitute(source)));
    var outputs = new JsonArray();
    var displays = new Dictionary<string, int>();   // a display updated later (package installation) keeps its place
    string? failure = null;
    foreach (var e in result.Events)
    {
        switch (e)
        {
            case StandardOutputValueProduced o: AddStream(outputs, "stdout", Text(o.FormattedValues)); Console.Write(Text(o.FormattedValues)); break;
            case StandardErrorValueProduced o: AddStream(outputs, "stderr", Text(o.FormattedValues)); Console.Error.Write(Text(o.FormattedValues)); break;
            case ReturnValueProduced r: outputs.Add(Display("execute_result", r.FormattedValues, executionCount)); break;
            case DisplayedValueUpdated u when u.ValueId is not null && displays.TryGetValue(u.ValueId, out var shown):
                outputs[shown] = Display("display_data", u.FormattedValues, null);
                break;
            case DisplayedValueProduced d:
                if (d.ValueId is not null) displays[d.ValueId] = outputs.Count;
                outputs.Add(Display("display_data", d.FormattedValues, null));
                break;
            case ErrorProduced err: failure ??= err.Message; break;
            case CommandFailed f: failure = f.Message; break;
        }
    }
    Console.WriteLine($"[cell {index}] {clock.Elapsed.TotalSeconds:F1} s, {outputs.Count} output(s){(failure is null ? "" : ", FAILED")}");
    if (failure is not null)
    {
        Console.Error.WriteLine($"Cell {index} of {Path.GetFileName(path)} failed:\n{source}\n---\n{failure}");
        return 1;
    }
    if (save)
    {
        cell["execution_count"] = executionCount;
        cell["outputs"] = outputs;
    }
}
Console.WriteLine($"{Path.GetFileName(path)}: {executionCount} cells ran in {total.Elapsed.TotalSeconds:F1} s");
if (save)
{
    File.WriteAllText(path, notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    Console.WriteLine($"Saved the outputs into {path}");
}
return 0;

static string Source(JsonObject cell) => cell["source"] switch
{
    JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
    JsonNode text => (string?)text ?? "",
    null => "",
};

// The tests pack the library with a version of their own; a user's notebook names the README's version.
static string Substitute(string code)
{
    var version = Environment.GetEnvironmentVariable("GENMODELS_NOTEBOOK_VERSION");
    if (!string.IsNullOrEmpty(version)) code = Regex.Replace(code, @"^(#r ""nuget:\s*GenModels\.[A-Za-z.]+\s*),\s*[^""]*""", m => $"{m.Groups[1].Value}, {version}\"", RegexOptions.Multiline);
    return code;
}

static string Text(IReadOnlyCollection<FormattedValue> values) =>
    values.FirstOrDefault(v => v.MimeType == "text/plain")?.Value ?? values.FirstOrDefault()?.Value ?? "";

static void AddStream(JsonArray outputs, string name, string text)
{
    // Consecutive writes to one stream form one output, as Jupyter saves them.
    if (outputs.Count > 0 && outputs[^1] is JsonObject last && (string?)last["output_type"] == "stream" && (string?)last["name"] == name)
        last["text"]!.AsArray().Add(text);
    else
        outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = new JsonArray(text) });
}

static JsonObject Display(string type, IReadOnlyCollection<FormattedValue> values, int? executionCount)
{
    var data = new JsonObject();
    foreach (var v in values.Where(v => !v.SuppressDisplay))
        data[v.MimeType] = v.MimeType.StartsWith("image/", StringComparison.Ordinal) ? v.Value : new JsonArray(Lines(v.Value));
    var output = new JsonObject { ["output_type"] = type, ["data"] = data, ["metadata"] = new JsonObject() };
    if (executionCount is int n) output["execution_count"] = n;
    return output;
}

static JsonNode[] Lines(string text)
{
    var lines = new List<JsonNode>();
    foreach (var line in Regex.Split(text, @"(?<=\n)"))
        if (line.Length > 0) lines.Add(JsonValue.Create(line));
    return [.. lines];
}

/// <summary>
/// Finds the native libraries of the packages that #r "nuget: ..." brought in (runtimes/RID/native), as Polyglot
/// Notebooks' host does. Libraries the runner carries itself (libtorch, with the native fix) are found first by the runtime.
/// </summary>
sealed class NativeProbing
{
    private readonly List<string> folders = [];

    public NativeProbing() => AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;

    public void Add(IEnumerable<string> probingPaths)
    {
        lock (folders)
            foreach (var root in probingPaths)
                foreach (var rid in new[] { RuntimeInformation.RuntimeIdentifier, $"{OperatingSystem()}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}" }.Distinct())
                {
                    var folder = Path.Combine(root, "runtimes", rid, "native");
                    if (Directory.Exists(folder) && !folders.Contains(folder)) folders.Add(folder);
                }
    }

    private static string OperatingSystem() =>
        System.OperatingSystem.IsWindows() ? "win" : System.OperatingSystem.IsMacOS() ? "osx" : "linux";

    private IntPtr Resolve(System.Reflection.Assembly assembly, string name)
    {
        string[] candidates = [name, $"lib{name}.so", $"{name}.so", $"lib{name}.dylib", $"{name}.dll"];
        lock (folders)
            foreach (var folder in folders)
                foreach (var file in candidates)
                {
                    var full = Path.Combine(folder, file);
                    if (File.Exists(full) && NativeLibrary.TryLoad(full, out var handle)) return handle;
                }
        return IntPtr.Zero;
    }
}
