using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Piwik.Testing;

/// <summary>
/// A stand-in for Matomo's tracker endpoint, on Kestrel at 127.0.0.1, that follows shared/MATOMO.md: it takes bulk
/// JSON on <c>POST /matomo.php</c> (and <c>/piwik.php</c>), validates every entry by Matomo's rules, answers
/// <c>{"status":"success","tracked":N,"invalid":M}</c>, rolls a whole batch back with a 500 when an entry is
/// <c>ca=1</c> without both <c>e_c</c> and <c>e_a</c>, and can inject faults. What a real Matomo would refuse, it
/// refuses too, so a behaviour that would fail against Matomo fails the tests.
/// </summary>
public sealed partial class StandInMatomo : IAsyncDisposable
{
    private WebApplication? _app;
    private readonly object _gate = new();
    private readonly List<TrackedEntry> _tracked = new();
    private readonly List<InvalidEntry> _invalid = new();
    private readonly List<BulkCall> _calls = new();
    private readonly Queue<Fault> _faults = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private StandInMatomo(string? tokenAuth, IReadOnlySet<int> siteIds)
    {
        TokenAuth = tokenAuth;
        SiteIds = siteIds;
    }

    /// <summary>The token a request must carry for <c>cip</c> and old <c>cdt</c>; <c>null</c>: no token is valid.</summary>
    public string? TokenAuth { get; }

    /// <summary>Site ids that exist.</summary>
    public IReadOnlySet<int> SiteIds { get; }

    /// <summary>Base URL to configure as <c>Piwik:Url</c>, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>When set, an entry for which it returns true makes the whole batch fail with a 500 (a poison entry).</summary>
    public Func<TrackedEntry, bool>? PoisonEntry { get; set; }

    /// <summary>
    /// Whether stored entries and the raw bodies of calls are kept for <see cref="Tracked"/> and <see cref="BulkCalls"/>
    /// (default). A load run that follows what is stored through <see cref="Stored"/> sets it to false: every entry is
    /// still parsed and validated, but memory no longer grows with every event (a body of 100 entries kept as a string
    /// is a large-object-heap allocation, and hundreds of thousands of kept entries make every full GC slow, on the same
    /// cores as the app under test). <see cref="BulkCalls"/> then holds each call with an empty body; <see cref="Invalid"/>
    /// is kept either way.
    /// </summary>
    public bool KeepRecords { get; set; } = true;

    /// <summary>Called with each entry once it is stored (after its batch was accepted), in order, under the stand-in's lock.</summary>
    public Action<TrackedEntry>? Stored { get; set; }

    /// <summary>
    /// Called with the event name (<c>e_n</c>, decoded; "" when absent) of each stored entry, in order, under the
    /// stand-in's lock. Cheaper than <see cref="Stored"/> for a load run: no <see cref="TrackedEntry"/> is built.
    /// </summary>
    public Action<string>? StoredName { get; set; }

    /// <summary>While set, called for every request (after the queued faults are used up): a fault that lasts (an outage, a proxy's page).</summary>
    public Func<Fault?>? EveryRequest { get; set; }

    /// <summary>A body larger than this is answered 413 without being processed, as a proxy in front of Matomo does.</summary>
    public int? MaxBodyBytes { get; set; }

    /// <summary>
    /// When set, a request carrying a wrong token is answered with this status and nothing of it is stored, as Matomo
    /// does with <c>bulk_requests_require_authentication</c> (400 or 500); it still counts as a failed login.
    /// </summary>
    public int? WrongTokenStatus { get; set; }

    /// <summary>
    /// Matomo blocks the sending IP once more than this many failed logins were recorded (20 within an hour in Matomo):
    /// every request carrying a token, right or wrong, is then answered HTTP 500 <c>{"status":"error","tracked":0,"invalid":0}</c>
    /// and nothing of it is stored; requests without a token are still tracked.
    /// </summary>
    public int BlockAfterFailedLogins { get; set; } = 20;

    /// <summary>Answers written from a <see cref="Fault.Body"/> or <see cref="Fault.BodyLength"/>, once each is complete or cut off.</summary>
    public int AnswersWritten { get; private set; }

    /// <summary>Bytes of <see cref="Fault.BodyLength"/> answers the client took before it closed the connection (or all of them).</summary>
    public long AnswerBytesWritten { get; private set; }

    /// <summary>Requests refused because the IP is blocked (see <see cref="BlockAfterFailedLogins"/>).</summary>
    public int BlockedRequests { get; private set; }

    /// <summary>Adds a fixed delay per entry to every bulk request (a Matomo that takes time to store).</summary>
    public TimeSpan DelayPerEntry { get; set; }

    /// <summary>
    /// While set, at most this many requests are worked on (<see cref="DelayPerEntry"/>) at once, as by Matomo's PHP
    /// workers; the others wait their turn, as in php-fpm's queue. Set it before the first request.
    /// </summary>
    public int? Workers
    {
        get => _workerCount;
        set
        {
            _workerCount = value;
            _workers = value is { } count ? new SemaphoreSlim(count) : null;
        }
    }

    private int? _workerCount;
    private SemaphoreSlim? _workers;

    /// <summary>Entries stored, in the order Matomo stored them.</summary>
    public IReadOnlyList<TrackedEntry> Tracked
    {
        get
        {
            lock (_gate)
            {
                return _tracked.ToArray();
            }
        }
    }

    /// <summary>Entries refused as invalid, with the reason.</summary>
    public IReadOnlyList<InvalidEntry> Invalid
    {
        get
        {
            lock (_gate)
            {
                return _invalid.ToArray();
            }
        }
    }

    /// <summary>Every HTTP request received, in order, with its raw body.</summary>
    public IReadOnlyList<BulkCall> BulkCalls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToArray();
            }
        }
    }

    /// <summary>How many requests carried a token that was not the right one (Matomo counts each as a failed login).</summary>
    public int FailedAuthentications { get; private set; }

    /// <summary>Starts a stand-in on a free loopback port.</summary>
    /// <param name="tokenAuth">The valid token, or <c>null</c>.</param>
    /// <param name="siteIds">Sites that exist; default: site 1.</param>
    public static async Task<StandInMatomo> StartAsync(string? tokenAuth = null, IEnumerable<int>? siteIds = null)
    {
        var matomo = new StandInMatomo(tokenAuth, new HashSet<int>(siteIds ?? [1]));
        await matomo.ListenAsync("http://127.0.0.1:0").ConfigureAwait(false);
        return matomo;
    }

    /// <summary>Whether the stand-in is listening (see <see cref="GoDownAsync"/>).</summary>
    public bool IsUp => _app is not null;

    /// <summary>
    /// Stops listening: connections to <see cref="BaseUrl"/> are refused until <see cref="ComeBackAsync"/>. What was
    /// recorded is kept. The port stays bound, without a listener (the system refuses connections to it), so a server
    /// started meanwhile by a test running in parallel cannot take it and answer in the stand-in's place.
    /// </summary>
    public async Task GoDownAsync()
    {
        if (await StopListeningAsync().ConfigureAwait(false))
        {
            var endpoint = IPEndPoint.Parse(new Uri(BaseUrl).Authority);
            var placeholder = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                placeholder.Bind(endpoint);
            }
            catch (SocketException e)
            {
                placeholder.Dispose();
                throw new InvalidOperationException($"The stand-in's port {endpoint.Port} was taken while it went down: {e.Message}", e);
            }

            _placeholder = placeholder;
        }
    }

    /// <summary>Listens again on the same address after <see cref="GoDownAsync"/>.</summary>
    public async Task ComeBackAsync()
    {
        if (_app is null)
        {
            _placeholder?.Dispose();
            _placeholder = null;
            await ListenAsync(BaseUrl.TrimEnd('/')).ConfigureAwait(false);
        }
    }

    private Socket? _placeholder;

    /// <summary>Stops the server, if it runs; returns whether it did.</summary>
    private async Task<bool> StopListeningAsync()
    {
        if (_app is not { } app)
        {
            return false;
        }

        _app = null;
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        return true;
    }

    private async Task ListenAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
        var app = builder.Build();
        app.MapPost("/matomo.php", HandleAsync);
        app.MapPost("/piwik.php", HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.TrimEnd('/') + "/";
        _app = app;
    }

    /// <summary>Applies <paramref name="fault"/> to the next request (faults queue up, one request each).</summary>
    public void EnqueueFault(Fault fault)
    {
        lock (_gate)
        {
            _faults.Enqueue(fault);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> entries are stored.</summary>
    public async Task<IReadOnlyList<TrackedEntry>> WaitForTrackedAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_tracked.Count >= count)
                {
                    return _tracked.ToArray();
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Expected {count} tracked entries within {timeout}, got {Tracked.Count} (calls: {BulkCalls.Count}, invalid: {Invalid.Count}: {string.Join("; ", Invalid.Select(i => i.Reason))}).");
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> HTTP requests arrived.</summary>
    public async Task WaitForCallsAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_calls.Count >= count)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cts.Token).ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        Fault? early;
        lock (_gate)
        {
            early = _faults.TryPeek(out var next) && next.ResetMidBody ? _faults.Dequeue() : null;
        }

        if (early is not null)
        {
            // Read a little of the body, then drop the connection: nothing was processed.
            var first = new byte[16];
            _ = await context.Request.Body.ReadAsync(first).ConfigureAwait(false);
            lock (_gate)
            {
                _calls.Add(new BulkCall(context.Request.Path + context.Request.QueryString, context.Request.ContentType, ""));
                Signal();
            }

            context.Abort();
            return;
        }

        if (MaxBodyBytes is { } max && context.Request.ContentLength > max)
        {
            lock (_gate)
            {
                _calls.Add(new BulkCall(context.Request.Path + context.Request.QueryString, context.Request.ContentType, "") { TraceParent = context.Request.Headers.TraceParent });
                Signal();
            }

            context.Response.StatusCode = 413;
            await context.Response.WriteAsync("<html><body>413 Request Entity Too Large</body></html>").ConfigureAwait(false);
            return;
        }

        var (buffer, length) = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        try
        {
            await HandleBodyAsync(context, buffer.AsMemory(0, length)).ConfigureAwait(false);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleBodyAsync(HttpContext context, ReadOnlyMemory<byte> bytes)
    {
        var keep = KeepRecords;
        var body = keep ? DecodeUtf8(bytes.Span) : "";
        Fault? fault;
        lock (_gate)
        {
            _calls.Add(new BulkCall(context.Request.Path + context.Request.QueryString, context.Request.ContentType, body) { TraceParent = context.Request.Headers.TraceParent });
            fault = _faults.Count > 0 ? _faults.Dequeue() : EveryRequest?.Invoke();
            Signal();
        }

        if (fault is not null && !fault.StoreThenDelay)
        {
            if (fault.Delay > TimeSpan.Zero)
            {
                await Task.Delay(fault.Delay).ConfigureAwait(false);
            }

            if (fault.ResetConnection)
            {
                context.Abort();
                return;
            }

            if (fault.Body is not null || fault.BodyLength > 0)
            {
                await WriteBodyAsync(context, fault).ConfigureAwait(false);
                return;
            }

            if (fault.StatusCode is { } status)
            {
                context.Response.StatusCode = status;
                if (fault.RetryAfter is { } after)
                {
                    context.Response.Headers.RetryAfter = ((int)after.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }

                await context.Response.WriteAsync("{\"status\":\"error\",\"message\":\"injected\"}").ConfigureAwait(false);
                return;
            }
        }

        var verdict = Judge(bytes, TokenAuth, PoisonEntry, keep || Stored is not null, fast: true);
        if (verdict.Malformed)
        {
            // Matomo answers malformed JSON with an empty success.
            await WriteCountsAsync(context, 0, 0, null).ConfigureAwait(false);
            return;
        }

        if (verdict.Token is not null)
        {
            bool blocked;
            lock (_gate)
            {
                blocked = FailedAuthentications > BlockAfterFailedLogins;
                if (blocked)
                {
                    BlockedRequests++;
                }
                else if (!verdict.TokenValid)
                {
                    FailedAuthentications++;
                }
            }

            if (blocked)
            {
                context.Response.StatusCode = 500;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"status\":\"error\",\"tracked\":0,\"invalid\":0}").ConfigureAwait(false);
                return;
            }

            if (!verdict.TokenValid && WrongTokenStatus is { } refused)
            {
                context.Response.StatusCode = refused;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"status\":\"error\",\"message\":\"token_auth is not valid\"}").ConfigureAwait(false);
                return;
            }
        }

        if (verdict.Poisoned)
        {
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("{\"status\":\"error\",\"message\":\"poison entry\"}").ConfigureAwait(false);
            return;
        }

        if (verdict.RollbackReason is { } rollback)
        {
            // An unhandled ca=1 request: Matomo fails and rolls back the whole transaction.
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("{\"status\":\"error\",\"message\":\"" + rollback + "\"}").ConfigureAwait(false);
            return;
        }

        if (DelayPerEntry > TimeSpan.Zero)
        {
            // A client that gives up does not stop the work: Matomo stores what it was sent.
            var workers = _workers;
            if (workers is not null)
            {
                await workers.WaitAsync().ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(DelayPerEntry * verdict.EntryCount).ConfigureAwait(false);
            }
            finally
            {
                workers?.Release();
            }
        }

        lock (_gate)
        {
            if (keep)
            {
                _tracked.AddRange(verdict.StoredEntries!);
            }

            _invalid.AddRange(verdict.Invalid);

            if (Stored is { } onStored)
            {
                foreach (var entry in verdict.StoredEntries!)
                {
                    onStored(entry);
                }
            }

            if (StoredName is { } onName)
            {
                foreach (var name in verdict.StoredNames)
                {
                    onName(name);
                }
            }

            Signal();
        }

        if (fault is { StoreThenDelay: true })
        {
            // Stored, then answered late: past the sender's timeout, its outcome is unknown to it.
            await Task.Delay(fault.Delay).ConfigureAwait(false);
        }

        await WriteCountsAsync(context, verdict.Tracked, verdict.Invalid.Count, verdict.TokenValid ? verdict.InvalidIndices : null).ConfigureAwait(false);
    }

    /// <summary>Answers with the fault's body (or <see cref="Fault.BodyLength"/> bytes of filler, written in chunks).</summary>
    private async Task WriteBodyAsync(HttpContext context, Fault fault)
    {
        context.Response.StatusCode = fault.StatusCode ?? 200;
        if (fault.ContentType is not null)
        {
            context.Response.ContentType = fault.ContentType;
        }

        if (fault.Body is not null)
        {
            if (fault.Body.Length > 0)
            {
                await context.Response.WriteAsync(fault.Body).ConfigureAwait(false);
            }

            lock (_gate)
            {
                AnswersWritten++;
            }

            return;
        }

        var chunk = new byte[64 * 1024];
        chunk.AsSpan().Fill((byte)'x');
        long written = 0;
        try
        {
            while (written < fault.BodyLength && !context.RequestAborted.IsCancellationRequested)
            {
                var size = (int)Math.Min(chunk.Length, fault.BodyLength - written);
                var flushed = await context.Response.BodyWriter.WriteAsync(chunk.AsMemory(0, size), context.RequestAborted).ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break; // the client closed the connection: Kestrel discards what is written from here on
                }

                written += size;

                // Paced like a slow proxy: Kestrel signals RequestAborted through the thread pool, so on a busy machine an
                // unpaced loop could pour hundreds of MB into a connection the client has already closed before it sees
                // the signal, and the count would no longer say what the client took.
                await Task.Delay(2, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client stopped reading: what a bounded reader does.
        }
        finally
        {
            lock (_gate)
            {
                AnswerBytesWritten += written;
                AnswersWritten++;
            }
        }
    }

    /// <summary>The body's bytes, read as UTF-8 the way the string of a <see cref="BulkCall"/> shows them.</summary>
    private static string DecodeUtf8(ReadOnlySpan<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes); // qualified: Piwik.Encoding (the runtime) is nearer

    /// <summary>The whole body in a pooled buffer (return it to <see cref="System.Buffers.ArrayPool{T}.Shared"/>), and its length.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request)
    {
        var pool = System.Buffers.ArrayPool<byte>.Shared;
        var buffer = pool.Rent(request.ContentLength is > 0 and < 64 * 1024 * 1024 ? (int)request.ContentLength.Value + 1 : 4096);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = pool.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    pool.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length)).ConfigureAwait(false);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
            }
        }
        catch
        {
            pool.Return(buffer);
            throw;
        }
    }

    private static (List<string>? Requests, string? Token) ParseBulk(ReadOnlyMemory<byte> body)
    {
        try
        {
            // From the bytes: invalid UTF-8 is malformed JSON, as it is to PHP's json_decode.
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("requests", out var requests)
                || requests.ValueKind != JsonValueKind.Array)
            {
                return (null, null);
            }

            var list = new List<string>();
            foreach (var item in requests.EnumerateArray())
            {
                list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
            }

            string? token = document.RootElement.TryGetProperty("token_auth", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return (list, token);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static Task WriteCountsAsync(HttpContext context, int tracked, int invalid, List<int>? indices)
    {
        context.Response.ContentType = "application/json";
        var json = $"{{\"status\":\"success\",\"tracked\":{tracked},\"invalid\":{invalid}"
            + (indices is null ? "" : $",\"invalid_indices\":[{string.Join(",", indices)}]") + "}";
        return context.Response.WriteAsync(json);
    }

    private void Signal()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync().ConfigureAwait(false);
        _placeholder?.Dispose();
        _placeholder = null;
    }
}
