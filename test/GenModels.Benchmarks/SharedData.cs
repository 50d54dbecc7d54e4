namespace GenModels.Benchmarks;

/// <summary>The data sets under shared/data, found above the working directory or the benchmark's folder.</summary>
public static class SharedData
{
    /// <summary>The folder shared/data/<paramref name="name"/>; throws saying what to pass when it is not found.</summary>
    public static string Find(string name, string hint)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data", name);
                if (Directory.Exists(candidate)) return candidate;
            }
        throw new DirectoryNotFoundException($"shared/data/{name} not found above the working directory; {hint}.");
    }
}
