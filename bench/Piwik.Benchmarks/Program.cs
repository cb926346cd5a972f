// Piwik benchmarks and load drivers. Run on demand (docs/performance.md has every command):
//   dotnet run -c Release --project bench/Piwik.Benchmarks -- bdn [BenchmarkDotNet arguments]   micro-benchmarks
//   ... -- delivery [--per-entry-ms 2] [--workers 2] [--seconds 8]                              delivery into a Matomo model
//   ... -- matomo --port P [--per-entry-ms 0] [--workers 0]                                      the counting Matomo model
//   ... -- matomo-burst --url U --token T --db CMD [--events 5000] [--in-flight 1,2,4,8]           a burst into a real Matomo (bench/matomo-burst.sh)
//   ... -- standin --url-file F --ids-file F                                                     tests' StandInMatomo as a process
//   ... -- standin-cost [--seconds 3]                                                            the stand-in's validation per entry, in place and plain
//   ... -- app --variant none|piwik|django --port P [--matomo URL]                               the side-by-side app
//   ... -- encode-loop [--seconds 10]                                                            the sender's visitor id and entry in a loop, for a profiler
//   ... -- request-loop [--seconds 10] [--variant tracked|plain|filter|noname|failure|plainarg|argument|plainbody|filterbody|body|all] [--headers Kestrel] [--drain sender]                             the request path in a loop, for a profiler
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Piwik.Benchmarks;

var mode = args.Length > 0 ? args[0] : "bdn";
var rest = args.Skip(1).ToArray();
switch (mode)
{
    case "bdn":
        // In-process: the default toolchain would generate a project under this repository, which inherits its
        // warnings-as-errors analyzers. Short runs: the machine is small and shared; compare within one run.
        var config = DefaultConfig.Instance
            .AddJob((Environment.GetEnvironmentVariable("PIWIK_BDN_JOB") == "medium" ? Job.MediumRun : Job.ShortRun) // PIWIK_BDN_JOB=medium: 15 iterations x 2 launches, for tighter error bars
                .WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.Min, StatisticColumn.Median) // on a shared machine noise only adds: the minimum is the steadiest figure
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromAssembly(typeof(RequestPathBenchmarks).Assembly).Run(rest, config);
        return 0;
    case "delivery":
        return await DeliveryRun.RunAsync(new Arguments(rest)).ConfigureAwait(false);
    case "matomo":
        return await MatomoModel.RunAsync(new Arguments(rest)).ConfigureAwait(false);
    case "matomo-burst":
        return await MatomoBurst.RunAsync(new Arguments(rest)).ConfigureAwait(false);
    case "standin":
        return await StandInHost.RunAsync(new Arguments(rest)).ConfigureAwait(false);
    case "standin-cost":
        return StandInCost.Run(new Arguments(rest));
    case "app":
        return await SideBySideApp.RunAsync(new Arguments(rest)).ConfigureAwait(false);
    case "request-loop":
        return RequestPathBenchmarks.Loop(new Arguments(rest));
    case "encode-loop":
        return EncodingBreakdownBenchmarks.Loop(new Arguments(rest));
    default:
        Console.Error.WriteLine($"Unknown mode '{mode}': bdn, delivery, matomo, matomo-burst, standin, standin-cost, app, request-loop or encode-loop.");
        return 2;
}

namespace Piwik.Benchmarks
{
    /// <summary><c>--name value</c> pairs.</summary>
    internal sealed class Arguments(string[] args)
    {
        public string? Get(string name)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        public string Get(string name, string fallback) => Get(name) ?? fallback;

        public double Number(string name, double fallback) =>
            Get(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;
    }
}
