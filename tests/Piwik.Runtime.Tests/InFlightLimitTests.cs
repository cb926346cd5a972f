using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Piwik.Sending;
using Xunit;
using Outcome = Piwik.Sending.InFlightLimit.RequestOutcome;

namespace Piwik.Runtime.Tests;

/// <summary>
/// The adaptive in-flight limit against a model Matomo, in simulated time: lanes that always have a full batch (a
/// backlog) ask for permits in turn, and the model stores each bulk on one of its PHP workers, sharing its cores.
/// Everything runs on a <see cref="FakeTimeProvider"/>, one step per completion, so each run is the same.
/// </summary>
public sealed class InFlightLimitTests
{
    private const int BatchSize = 100;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(2, 2, 5)]   // two PHP workers: at 4 in flight an entry takes twice as long as alone, at 5 more: back to 4
    [InlineData(8, 8, 8)]   // eight workers on eight cores
    [InlineData(8, 2, 5)]   // eight workers on two cores: past two, requests only share the cores
    [InlineData(4, 64, 8)]  // four workers, ample cores
    public void Reaches_the_model_capacity_without_growing_past_where_latency_holds(int workers, int cores, int highestLimit)
    {
        var sim = new Simulation(new ModelMatomo(workers, cores, perEntryMs: 2), cap: 8, lanes: 8);
        sim.Run(TimeSpan.FromSeconds(30));
        var delivered = sim.Run(TimeSpan.FromSeconds(30));

        var capacity = Math.Min(workers, cores) / 0.002 * 30;
        Assert.True(delivered >= 0.9 * capacity, $"delivered {delivered} of a capacity of {capacity} (limit {sim.Limit.Limit})");
        Assert.True(sim.HighestLimit <= highestLimit, $"the limit reached {sim.HighestLimit}");
    }

    [Fact]
    public void Backs_off_when_Matomo_gets_slower_and_grows_again_when_it_recovers()
    {
        var model = new ModelMatomo(workers: 8, cores: 8, perEntryMs: 2);
        var sim = new Simulation(model, cap: 8, lanes: 8);
        sim.Run(TimeSpan.FromSeconds(30));
        Assert.Equal(8, sim.Limit.Limit);

        model.Workers = 2; // another tenant took the machine: only two workers left
        sim.Run(TimeSpan.FromSeconds(30));
        sim.HighestLimit = 0;
        var slow = sim.Run(TimeSpan.FromSeconds(30));
        Assert.True(sim.HighestLimit <= 5, $"the limit reached {sim.HighestLimit} with two workers");
        Assert.True(slow >= 0.9 * 1000 * 30, $"delivered {slow} with two workers");

        model.Workers = 8;
        sim.Run(TimeSpan.FromSeconds(60));
        var recovered = sim.Run(TimeSpan.FromSeconds(30));
        Assert.True(recovered >= 0.9 * 4000 * 30, $"delivered {recovered} after recovery (limit {sim.Limit.Limit})");
    }

    [Fact]
    public void Keeps_requests_well_inside_the_request_timeout()
    {
        // A slow Matomo: 40 ms an entry, 4 s a batch alone. At 3 in flight on its 2 workers a request takes 6 s, more
        // than half the 10 s timeout; latency per entry alone would have let it reach 5 (10 s: every request at the
        // timeout, resent, stored twice).
        var sim = new Simulation(new ModelMatomo(workers: 2, cores: 2, perEntryMs: 40), cap: 8, lanes: 8);
        sim.Run(TimeSpan.FromSeconds(120));
        sim.HighestLimit = 0;
        var delivered = sim.Run(TimeSpan.FromSeconds(120));
        Assert.True(sim.HighestLimit <= 3, $"the limit reached {sim.HighestLimit}");
        Assert.True(delivered >= 0.9 * 50 * 120, $"delivered {delivered} of a capacity of {50 * 120}");
    }

    [Fact]
    public void Does_not_grow_without_a_backlog()
    {
        // One lane with work: the limit never holds anything back, so it has no reason to grow.
        var sim = new Simulation(new ModelMatomo(workers: 8, cores: 8, perEntryMs: 2), cap: 8, lanes: 1);
        sim.Run(TimeSpan.FromSeconds(30));
        Assert.Equal(2, sim.HighestLimit);
    }

    [Fact]
    public void Small_batches_are_no_latency_samples()
    {
        // Batches of 10 pay a fixed cost per request that reads as a slow entry: they must not shrink the limit.
        var sim = new Simulation(new ModelMatomo(workers: 8, cores: 8, perEntryMs: 2, perRequestMs: 50), cap: 8, lanes: 8, entries: 10);
        sim.Run(TimeSpan.FromSeconds(30));
        Assert.Equal(2, sim.Limit.Limit);
    }

    [Fact]
    public void Overload_answers_halve_the_limit()
    {
        var sim = new Simulation(new ModelMatomo(workers: 8, cores: 8, perEntryMs: 2), cap: 8, lanes: 8);
        sim.Run(TimeSpan.FromSeconds(30));
        Assert.Equal(8, sim.Limit.Limit);

        sim.Outcome = Outcome.Overloaded; // e.g. every request now times out or answers 503
        sim.Run(TimeSpan.FromSeconds(1));
        Assert.Equal(1, sim.Limit.Limit);
    }

    [Fact]
    public void A_fixed_limit_is_the_cap_whatever_Matomo_answers()
    {
        var time = new FakeTimeProvider();
        var limit = new InFlightLimit(cap: 3, adaptive: false, BatchSize, Timeout, time);
        for (var round = 0; round < 10; round++)
        {
            var permits = Enumerable.Range(0, 3).Select(_ => Assert.IsType<InFlightLimit.Permit>(Acquire(limit))).ToList();
            Assert.False(limit.TryAcquire(out _));
            time.Advance(TimeSpan.FromSeconds(round));
            permits.ForEach(p => p.Complete(BatchSize, Outcome.Overloaded));
        }

        Assert.Equal(3, limit.Limit);
    }

    [Fact]
    public async Task Waiting_lanes_get_permits_in_the_order_they_asked_and_a_cancelled_wait_gives_way()
    {
        var limit = new InFlightLimit(cap: 1, adaptive: false, BatchSize, Timeout, new FakeTimeProvider());
        var first = Acquire(limit);
        using var cancelB = new CancellationTokenSource();
        var a = limit.AcquireAsync(CancellationToken.None).AsTask();
        var b = limit.AcquireAsync(cancelB.Token).AsTask();
        var c = limit.AcquireAsync(CancellationToken.None).AsTask();
        Assert.False(limit.TryAcquire(out _));

        await cancelB.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        first.Complete(BatchSize, Outcome.Answered);
        var permitA = await a;
        Assert.False(c.IsCompleted);
        permitA.Dispose();
        var permitC = await c;
        Assert.Equal(1, limit.InFlight);
        permitC.Dispose();
        Assert.Equal(0, limit.InFlight);
    }

    [Theory]
    [InlineData(DeliveryStatus.Delivered, 200, false, Outcome.Answered)]
    [InlineData(DeliveryStatus.Retryable, 503, false, Outcome.Overloaded)]
    [InlineData(DeliveryStatus.Retryable, 429, false, Outcome.Overloaded)]
    [InlineData(DeliveryStatus.Retryable, 0, false, Outcome.Overloaded)]   // connection refused
    [InlineData(DeliveryStatus.Ambiguous, 0, false, Outcome.Overloaded)]   // timeout
    [InlineData(DeliveryStatus.Retryable, 500, true, Outcome.Neutral)]     // Matomo failed the batch: a poison entry
    [InlineData(DeliveryStatus.Rejected, 400, false, Outcome.Neutral)]
    [InlineData(DeliveryStatus.Unauthorized, 401, false, Outcome.Neutral)]
    internal void Answers_are_read_for_what_they_say_about_capacity(DeliveryStatus status, int http, bool batchFailed, Outcome expected) =>
        Assert.Equal(expected, LimitedBulkTransport.Classify(new DeliveryResult(status, HttpStatus: http, BatchFailed: batchFailed)));

    [Theory]
    [InlineData(true, 2)]   // adaptive: it starts at two, and holds the other lanes back
    [InlineData(false, 8)]  // fixed: every lane sends
    public async Task The_sender_sends_as_many_requests_at_once_as_the_limit_allows(bool adaptive, int expected)
    {
        const string secret = "in-flight-test-secret-0123456789";
        var transport = new HeldTransport();
        await using var app = await TestApp.StartAsync(
            o =>
            {
                o.Url = "http://127.0.0.1:9/";
                o.MaxConcurrentBatches = 8;
                o.AdaptiveConcurrency = adaptive;
                o.BatchSize = 1;
                o.FlushInterval = TimeSpan.FromHours(1);
                o.VisitorIdSecret = secret;
            },
            services: s => s.AddSingleton<IBulkTransport>(transport));
        var sender = app.App.Services.GetRequiredService<PiwikSender>();

        // One visitor per lane: one batch in each of the 8 lanes.
        var users = Piwik.Testing.LaneUsers.OnePerLane(secret, 8);
        Assert.Equal(8, users.Count);
        users.ForEach(u => Assert.True(app.Tracker.TrackEvent("c", "a", userId: u)));

        await Until(() => transport.InFlight == expected && sender.InFlight.Waiting == 8 - expected);
        Assert.Equal(expected, transport.MostInFlight);

        transport.Open();
        await Until(() => app.Metrics.Sent == 8);
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30); // a guard against hanging, not a timed assertion
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true");
            await Task.Delay(10);
        }
    }

    /// <summary>Holds every request until <see cref="Open"/>, counting how many are in it at once.</summary>
    private sealed class HeldTransport : IBulkTransport
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;
        private int _most;

        public int InFlight => Volatile.Read(ref _inFlight);

        public int MostInFlight => Volatile.Read(ref _most);

        public void Open() => _open.TrySetResult();

        public async Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int most;
            while (now > (most = Volatile.Read(ref _most)) && Interlocked.CompareExchange(ref _most, now, most) != most)
            {
            }

            await _open.Task.WaitAsync(cancellationToken);
            Interlocked.Decrement(ref _inFlight);
            return DeliveryResult.Delivered(entryCount, 0);
        }
    }

    private static InFlightLimit.Permit Acquire(InFlightLimit limit)
    {
        Assert.True(limit.TryAcquire(out var permit));
        return permit;
    }

    /// <summary>
    /// A Matomo: a request of n entries is <c>perRequest + n × perEntry</c> of CPU work on one of <see cref="Workers"/>
    /// PHP workers (the rest wait for one, in order), and the running requests share <c>cores</c> evenly.
    /// </summary>
    private sealed class ModelMatomo(int workers, int cores, double perEntryMs, double perRequestMs = 0)
    {
        public int Workers { get; set; } = workers;

        public int Cores => cores;

        public double Work(int entries) => perRequestMs + (entries * perEntryMs);
    }

    /// <summary>Lanes with a backlog, the limit in front of them, the model behind, stepped from completion to completion.</summary>
    private sealed class Simulation(ModelMatomo model, int cap, int lanes, int entries = BatchSize)
    {
        private readonly FakeTimeProvider _time = new();
        private InFlightLimit? _limit;
        private readonly Queue<int> _idleLanes = new(Enumerable.Range(0, lanes));
        private readonly Queue<Request> _waiting = new();
        private readonly List<Request> _running = [];

        public InFlightLimit Limit => _limit ??= new(cap, adaptive: true, BatchSize, Timeout, _time);

        public int HighestLimit { get; set; }

        public Outcome Outcome { get; set; } = Outcome.Answered;

        /// <summary>Runs for <paramref name="duration"/> of simulated time; returns the entries stored meanwhile.</summary>
        public long Run(TimeSpan duration)
        {
            var end = _time.GetUtcNow() + duration;
            long stored = 0;
            while (_time.GetUtcNow() < end)
            {
                while (_idleLanes.Count > 0 && Limit.TryAcquire(out var permit))
                {
                    _waiting.Enqueue(new Request(_idleLanes.Dequeue(), permit, model.Work(entries)));
                }

                HighestLimit = Math.Max(HighestLimit, Limit.Limit);
                while (_running.Count < model.Workers && _waiting.Count > 0)
                {
                    _running.Add(_waiting.Dequeue());
                }

                // Processor sharing: every running request advances at min(1, cores / running) ms of work per ms.
                var rate = Math.Min(1.0, model.Cores / (double)_running.Count);
                var step = _running.Min(r => r.Remaining) / rate;
                _time.Advance(TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling(step * TimeSpan.TicksPerMillisecond))));
                foreach (var request in _running.ToList())
                {
                    request.Remaining -= step * rate;
                    if (request.Remaining <= 1e-9)
                    {
                        _running.Remove(request);
                        request.Permit.Complete(entries, Outcome);
                        stored += Outcome == Outcome.Answered ? entries : 0;
                        _idleLanes.Enqueue(request.Lane);
                    }
                }
            }

            return stored;
        }

        private sealed class Request(int lane, InFlightLimit.Permit permit, double work)
        {
            public int Lane => lane;

            public InFlightLimit.Permit Permit => permit;

            public double Remaining { get; set; } = work;
        }
    }
}
