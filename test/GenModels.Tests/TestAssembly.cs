// The networks already use every core; running test classes side by side would only make each slower.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
