using System.CommandLine;
using GenModels.Torch.Training;

namespace GenModels.Cli;

/// <summary>
/// genmodels: train, score and generate with GenModels.MLNet's models on CSV files, without writing code.
/// The verbs: <c>anomaly train|score</c>, <c>vae train</c>, <c>encode</c>, <c>gan train</c>, <c>diffusion train</c>,
/// <c>generate</c>, <c>info</c>. Exit codes: see <see cref="ExitCodes"/>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("genmodels: train anomaly detectors, VAEs, GANs and diffusion models on CSV files, score and generate CSVs. "
            + "Each training verb saves a model (.zip) and prints a summary and the C# that loads the model in an app. " + ExitCodes.Help)
        {
            AnomalyCommands.Create(),
            EncoderCommands.CreateVae(),
            EncoderCommands.CreateEncode(),
            GeneratorCommands.CreateGan(),
            GeneratorCommands.CreateDiffusion(),
            GeneratorCommands.CreateGenerate(),
            Info(),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {error.Message}");
            var verb = new List<string>();
            for (var c = parsed.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
                verb.Insert(0, c.Command is RootCommand ? "genmodels" : c.Command.Name);
            Console.Error.WriteLine($"Run '{string.Join(' ', verb)} --help' for usage.");
            return ExitCodes.UsageError;
        }
        return parsed.Invoke();
    }

    /// <summary>
    /// Runs a verb and turns its failures into exit codes: usage errors (bad inputs, named by <see cref="UsageException"/>
    /// or by the library's <see cref="ArgumentException"/>s, which name the column or value) 2, interruption 130, anything else 1.
    /// Set GENMODELS_DEBUG=1 for stack traces.
    /// </summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Run(Func<ParseResult, CancellationToken, int> body) => (r, cancel) =>
    {
        try
        {
            return Task.FromResult(body(r, cancel));
        }
        catch (Exception e) when (e is OperationCanceledException && cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("Interrupted.");
            return Task.FromResult(ExitCodes.Cancelled);
        }
        catch (Exception e)
        {
            bool usage = e is UsageException or ArgumentException;
            Console.Error.WriteLine($"error: {Message(e)}");
            if (Environment.GetEnvironmentVariable("GENMODELS_DEBUG") is "1" or "true") Console.Error.WriteLine(e);
            return Task.FromResult(usage ? ExitCodes.UsageError : ExitCodes.Failure);
        }
    };

    private static string Message(Exception e)
    {
        // Wrapped failures (a type initializer, a failed invocation) carry the useful text inside.
        while (e is System.Reflection.TargetInvocationException or TypeInitializationException or AggregateException && e.InnerException is not null) e = e.InnerException!;
        return e is NonFiniteLossException ? e.Message + " Lower the learning rate or check the data for extreme values." : e.Message;
    }

    private static Command Info()
    {
        var model = CommonOptions.Model("A model file written by genmodels.");
        var command = new Command("info", "Say what a model file holds: its kind, the columns it was trained on, its classes.") { model };
        command.SetAction(Run((r, _) =>
        {
            var path = r.GetValue(model)!;
            var manifest = ModelManifest.Read(path, "genmodels info", Enum.GetValues<ModelKind>());
            var table = new SummaryTable($"{path}: {ModelManifest.Describe(manifest.Kind)}")
                .Add("network", manifest.Trainer)
                .Add("feature columns", string.Join(", ", manifest.FeatureColumns))
                .Add("label column", manifest.LabelColumn ?? "(none)");
            if (manifest.Classes.Length > 0) table.Add("classes", string.Join(", ", manifest.Classes));
            if (manifest.Kind is ModelKind.AnomalyDetector or ModelKind.Vae) table.Add("latent dimension", manifest.LatentDimension.ToString());
            table.Print();
            return ExitCodes.Success;
        }));
        return command;
    }
}
