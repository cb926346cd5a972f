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

        // Every entry is still validated; only the event name (the request's id) of each stored entry is kept, so the
        // stand-in's memory (and its GC work, on the cores the app is measured on) does not grow with every event.
        var ids = new List<string>();
        matomo.KeepRecords = false;
        matomo.StoredName = ids.Add; // the name only: no TrackedEntry is built for a stored entry

        if (args.Get("url-file") is { } urlFile)
        {
            await File.WriteAllTextAsync(urlFile, matomo.BaseUrl).ConfigureAwait(false);
        }

        Console.WriteLine($"StandInMatomo listening on {matomo.BaseUrl}");
        var stop = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        await stop.Task.ConfigureAwait(false);

        var calls = matomo.BulkCalls;
        Console.WriteLine($"standin: calls={calls.Count} tracked={ids.Count} invalid={matomo.Invalid.Count}");
        foreach (var sample in matomo.Invalid.Take(3))
        {
            Console.WriteLine($"standin: invalid entry ({sample.Reason}): {sample.Entry.Raw}");
        }

        if (args.Get("ids-file") is { } idsFile)
        {
            await File.WriteAllLinesAsync(idsFile, ids).ConfigureAwait(false);
        }

        return 0;
    }
}
