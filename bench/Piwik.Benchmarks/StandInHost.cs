using System.Runtime.InteropServices;
using Piwik.Testing;

namespace Piwik.Benchmarks;

/// <summary>
/// The tests' <see cref="StandInMatomo"/> (which validates every entry by Matomo's rules) as a process, for the load
/// test: writes its base URL to <c>--url-file</c>, runs until SIGTERM/SIGINT, then prints its counts and writes the
/// event name (<c>e_n</c>) of every stored entry, one per line, to <c>--ids-file</c>.
/// </summary>
internal static class StandInHost
{
    public static async Task<int> RunAsync(Arguments args)
    {
        await using var matomo = await StandInMatomo.StartAsync().ConfigureAwait(false);
        if (args.Get("url-file") is { } urlFile)
        {
            await File.WriteAllTextAsync(urlFile, matomo.BaseUrl).ConfigureAwait(false);
        }

        Console.WriteLine($"StandInMatomo listening on {matomo.BaseUrl}");
        var stop = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        await stop.Task.ConfigureAwait(false);

        var tracked = matomo.Tracked;
        var calls = matomo.BulkCalls;
        Console.WriteLine($"standin: calls={calls.Count} tracked={tracked.Count} invalid={matomo.Invalid.Count}");
        foreach (var invalid in matomo.Invalid.Take(3))
        {
            Console.WriteLine($"standin: invalid entry ({invalid.Reason}): {invalid.Entry.Raw}");
        }

        if (args.Get("ids-file") is { } idsFile)
        {
            await File.WriteAllLinesAsync(idsFile, tracked.Select(entry => entry.Get("e_n") ?? "")).ConfigureAwait(false);
        }

        return 0;
    }
}
