// CoreCLR honours this attribute (it is not in the BCL's public surface, so each assembly declares it): it lets this
// assembly call ML.NET's internal persistence API at run time. See build/MLNetInternals.targets.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices
{
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute : Attribute
    {
        public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;
        public string AssemblyName { get; }
    }
}
