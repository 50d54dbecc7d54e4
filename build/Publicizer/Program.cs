// Writes a copy of a .NET assembly in which every type, method and field is public.
// Used at build time only: GenModels.MLNet compiles against these copies of Microsoft.ML.Core/Data so it can implement
// ML.NET's model persistence (ModelSaveContext, LoadableClass, ...), which is internal; at run time the real assemblies
// load and [IgnoresAccessChecksTo] lets the calls through. See build/MLNetInternals.targets.
using Mono.Cecil;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Publicizer <input.dll> <output.dll>");
    return 2;
}

var resolver = new DefaultAssemblyResolver();
resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(args[0]))!);
using (var assembly = AssemblyDefinition.ReadAssembly(args[0], new ReaderParameters { AssemblyResolver = resolver }))
{
    foreach (var type in assembly.MainModule.GetTypes())
    {
        // Compiler-generated types and members would only add clashing names.
        if (type.Name.Contains('<')) continue;
        if (type.IsNested) type.IsNestedPublic = true; else type.IsPublic = true;

        var eventNames = new HashSet<string>(type.Events.Select(e => e.Name));
        foreach (var method in type.Methods)
        {
            if (method.Name.Contains('<')) continue;
            // Overridable members keep their accessibility: a derived class must match the base exactly.
            if (method.IsVirtual && !method.IsPublic) continue;
            method.IsPublic = true;
        }
        foreach (var field in type.Fields)
        {
            if (field.Name.Contains('<') || eventNames.Contains(field.Name)) continue;
            field.IsPublic = true;
        }
    }
    var tempPath = args[1] + ".tmp";
    assembly.Write(tempPath);
    File.Move(tempPath, args[1], overwrite: true);
}
return 0;
