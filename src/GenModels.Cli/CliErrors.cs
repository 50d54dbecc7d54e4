namespace GenModels.Cli;

/// <summary>The exit codes scripts can rely on (also in <c>genmodels --help</c> and the README).</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;
    /// <summary>The command was valid but failed while running (training diverged, a file could not be written, an unexpected error).</summary>
    public const int Failure = 1;
    /// <summary>The command line or its inputs are not acceptable: an unknown option or verb, a missing file, a CSV without numeric columns, an unknown column, a model file of the wrong kind.</summary>
    public const int UsageError = 2;
    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Cancelled = 130;

    /// <summary>The text <c>--help</c> shows.</summary>
    public const string Help = "Exit codes: 0 success; 1 failure while running (e.g. training diverged, a file could not be written); "
        + "2 usage error (bad arguments, a missing file, a CSV without numeric columns, an unknown column, a model file of the wrong kind); 130 interrupted.";
}

/// <summary>A problem with the command line or its inputs: reported as one message, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
