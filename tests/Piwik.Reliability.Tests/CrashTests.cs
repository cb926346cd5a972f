using System.Diagnostics;
using System.Reflection;
using Piwik.Testing;

namespace Piwik.Reliability.Tests;

/// <summary>
/// A child process with the spool on is killed with SIGKILL while it delivers, then started again on the same spool:
/// what reached the stand-in Matomo before and after, plus the drops the restarted process counted, is exactly what
/// the child accepted; no event is lost, and only a batch whose delivery was in flight at the kill may arrive twice.
/// </summary>
public class CrashTests
{
    private static readonly string ChildPath = typeof(CrashTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CrashChildPath").Value!;

    [Fact]
    public async Task Killed_mid_stream_and_restarted_nothing_accepted_is_lost_and_nothing_confirmed_is_sent_again()
    {
        Assert.True(File.Exists(ChildPath), "crash child not built: " + ChildPath);
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.DelayPerEntry = TimeSpan.FromMilliseconds(4); // a slow Matomo: batches pile up in the spool
        const int count = 1000;

        // 1. Produce; wait until everything is on disk and some batches reached Matomo; kill -9.
        using (var child = Child("produce", matomo.BaseUrl, spool.Path, count.ToString()))
        {
            Assert.Equal($"accepted {count}", await child.ReadLineAsync("accepted"));
            Assert.Equal($"durable {count} dropped 0", await child.ReadLineAsync("durable"));
            await matomo.WaitForTrackedAsync(60, TimeSpan.FromSeconds(30));
            child.Kill();
        }

        var before = matomo.Tracked.Select(e => e["e_a"]).ToList();
        var inFlight = 2 * matomo.BulkCalls.Max(c => c.EntryCount); // a batch per lane (2) at most, as large as the largest sent
        Assert.InRange(before.Count, 60, count - 1); // mid-stream: some, not all

        // 2. Restart on the same spool with a fast Matomo: it replays what was not acknowledged, and exits.
        matomo.DelayPerEntry = TimeSpan.Zero;
        string final;
        using (var child = Child("replay", matomo.BaseUrl, spool.Path))
        {
            var restored = long.Parse((await child.ReadLineAsync("restored")).Split(' ')[1]);
            // Everything not acknowledged: all Matomo did not store, plus what it stored in the batches in flight at the kill.
            Assert.InRange(restored, count - before.Count, count - before.Count + inFlight);
            final = await child.ReadLineAsync("final");
            await child.WaitForExitAsync();
        }

        var numbers = final.Split(' ');
        long Field(string name) => long.Parse(numbers[Array.IndexOf(numbers, name) + 1]);
        Assert.Equal(0, Field("spooled"));
        Assert.Equal(Field("restored"), Field("sent") + Field("rejected") + Field("dropped")); // the restarted process's identity

        var all = matomo.Tracked.Select(e => e["e_a"]).ToList();
        var distinct = all.Distinct().ToHashSet();
        Assert.Equal(count, distinct.Count + Field("dropped") + Field("rejected")); // before + after + counted drops = accepted
        Assert.Equal(Enumerable.Range(0, count).Select(i => "e" + i).ToHashSet(), distinct);

        // Duplicates: only batches Matomo stored but whose acknowledgement the kill prevented (at most one per lane).
        var duplicates = all.Count - distinct.Count;
        Assert.InRange(duplicates, 0, inFlight);
        Assert.All(all.Skip(before.Count).Where(before.Contains), e => Assert.Contains(e, before.TakeLast(inFlight)));

        // Order per visitor, by first delivery (a re-delivered batch repeats events already seen).
        foreach (var visitor in matomo.Tracked.GroupBy(e => e["cid"]))
        {
            var firsts = visitor.Select(e => int.Parse(e["e_a"][1..])).Distinct().ToList();
            Assert.True(firsts.SequenceEqual(firsts.Order()), $"visitor {visitor.Key} out of order: {string.Join(",", firsts)}");
        }
    }

    private static ChildProcess Child(params string[] args) => new(ChildPath, args);

    private sealed class ChildProcess : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _output = new();

        public ChildProcess(string dll, string[] args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            _process = Process.Start(start)!;
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (_output)
                    {
                        _output.Add("stderr: " + e.Data);
                    }
                }
            };
            _process.BeginErrorReadLine();
        }

        public async Task<string> ReadLineAsync(string prefix)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                string? line;
                try
                {
                    line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    line = null;
                }

                if (line is null)
                {
                    lock (_output)
                    {
                        Assert.Fail($"child ended or timed out before printing '{prefix}': {string.Join("\n", _output)}");
                    }
                }

                lock (_output)
                {
                    _output.Add(line!);
                }

                if (line!.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }

        /// <summary>SIGKILL: no shutdown code runs.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public Task WaitForExitAsync() => _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
