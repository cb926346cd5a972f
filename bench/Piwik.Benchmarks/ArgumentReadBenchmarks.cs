using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;

namespace Piwik.Benchmarks;

/// <summary>
/// How a template reads a handler's argument from the endpoint filter's invocation context, as RDG creates it
/// (<see cref="EndpointFilterInvocationContext.Create{T0, T1}"/>): <c>GetArgument&lt;T&gt;</c> is a generic virtual
/// method (a runtime lookup per call), <c>Arguments[i]</c> an interface call that boxes a value type.
/// </summary>
public class ArgumentReadBenchmarks
{
    private const int Reads = 1_000;
    private EndpointFilterInvocationContext _context = null!;

    [GlobalSetup]
    public void Setup() =>
        _context = EndpointFilterInvocationContext.Create(new DefaultHttpContext(), new Body("pro"), 42);

    [Benchmark(Baseline = true, OperationsPerInvoke = Reads)]
    public int GetArgument()
    {
        var total = 0;
        for (var i = 0; i < Reads; i++)
        {
            total += _context.GetArgument<Body>(0).Plan.Length;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = Reads)]
    public int ArgumentsIndexer()
    {
        var total = 0;
        for (var i = 0; i < Reads; i++)
        {
            total += ((Body)_context.Arguments[0]!).Plan.Length;
        }

        return total;
    }

    public sealed record Body(string Plan);
}
