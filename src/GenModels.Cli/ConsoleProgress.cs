using System.Diagnostics;
using GenModels.Torch.Training;

namespace GenModels.Cli;

/// <summary>
/// Training progress on stderr: on a terminal, one line rewritten in place (bar, epoch, losses, time left); when stderr
/// is redirected, a plain line per epoch, at most one every two seconds (plus the first and the last epoch).
/// </summary>
public sealed class ConsoleProgress(string title) : IProgress<TrainingProgress>
{
    private readonly bool interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch sinceLine = Stopwatch.StartNew();
    private bool started;
    private int lastLength;

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        bool last = value.IsEpochEnd && value.Epoch == value.Epochs;
        if (interactive)
        {
            if (started && !value.IsEpochEnd && sinceLine.ElapsedMilliseconds < 100) return;
            var line = Line(value, withBar: true);
            Console.Error.Write("\r" + line + new string(' ', Math.Max(0, lastLength - line.Length)));
            lastLength = line.Length;
        }
        else
        {
            if (!value.IsEpochEnd) return;
            if (started && !last && value.Epoch != 1 && sinceLine.ElapsedMilliseconds < 2000) return;
            Console.Error.WriteLine(Line(value, withBar: false));
        }
        started = true;
        sinceLine.Restart();
    }

    /// <summary>Ends the rewritten line, so that what follows starts on its own line.</summary>
    public void Finish()
    {
        if (interactive && started) Console.Error.WriteLine();
    }

    private string Line(TrainingProgress p, bool withBar)
    {
        double done = Math.Clamp((p.Epoch - 1 + (double)p.Batch / Math.Max(1, p.BatchesPerEpoch)) / Math.Max(1, p.Epochs), 0, 1);
        string left = done > 0 ? Clock(TimeSpan.FromSeconds(p.Elapsed.TotalSeconds * (1 - done) / done)) : "--:--";
        string losses = string.Join(" ", p.Losses.Select(l => $"{l.Key} {l.Value:G4}"));
        if (p.ValidationLosses is { Count: > 0 } validation)
            losses += " | validation " + string.Join(" ", validation.Select(l => $"{l.Key} {l.Value:G4}"));
        const int width = 20;
        int filled = (int)Math.Round(done * width);
        string bar = withBar ? "[" + new string('#', filled) + new string('-', width - filled) + $"] {done,4:P0} " : "";
        return $"{title} {bar}epoch {p.Epoch}/{p.Epochs} {losses} | {Clock(p.Elapsed)} elapsed, {left} left";
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"mm\:ss");
}

/// <summary>The table printed at the end of a command: one metric per row.</summary>
public sealed class SummaryTable(string title)
{
    private readonly List<(string Name, string Value)> rows = [];
    private readonly List<string> notes = [];

    /// <summary>Adds a line printed below the table (a training warning).</summary>
    public SummaryTable Note(string line)
    {
        notes.Add(line);
        return this;
    }

    /// <summary>Adds a row.</summary>
    public SummaryTable Add(string name, string value)
    {
        rows.Add((name, value));
        return this;
    }

    /// <summary>Writes the table to standard output.</summary>
    public void Print()
    {
        int a = Math.Max("metric".Length, rows.Max(r => r.Name.Length)), b = Math.Max("value".Length, rows.Max(r => r.Value.Length));
        string rule = "+" + new string('-', a + 2) + "+" + new string('-', b + 2) + "+";
        Console.WriteLine(title);
        Console.WriteLine(rule);
        Console.WriteLine($"| {"metric".PadRight(a)} | {"value".PadRight(b)} |");
        Console.WriteLine(rule);
        foreach (var (name, value) in rows) Console.WriteLine($"| {name.PadRight(a)} | {value.PadRight(b)} |");
        Console.WriteLine(rule);
        foreach (var note in notes) Console.WriteLine(note);
    }
}
