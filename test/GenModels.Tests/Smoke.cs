using Xunit;
using static TorchSharp.torch;
public class Smoke { [Fact] public void TorchWorks() { using var t = ones(3); Assert.Equal(3f, t.sum().item<float>()); } }
