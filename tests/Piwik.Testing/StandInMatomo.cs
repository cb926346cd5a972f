using System.Globalization;
using System.Net;
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
public sealed class StandInMatomo : IAsyncDisposable
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

    /// <summary>Adds a fixed delay per entry to every bulk request (a Matomo that takes time to store).</summary>
    public TimeSpan DelayPerEntry { get; set; }

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

    /// <summary>Stops listening: connections to <see cref="BaseUrl"/> are refused until <see cref="ComeBackAsync"/>. What was recorded is kept.</summary>
    public async Task GoDownAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Listens again on the same address after <see cref="GoDownAsync"/>.</summary>
    public async Task ComeBackAsync()
    {
        if (_app is null)
        {
            await ListenAsync(BaseUrl.TrimEnd('/')).ConfigureAwait(false);
        }
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
            var buffer = new byte[16];
            _ = await context.Request.Body.ReadAsync(buffer).ConfigureAwait(false);
            lock (_gate)
            {
                _calls.Add(new BulkCall(context.Request.Path + context.Request.QueryString, context.Request.ContentType, ""));
                Signal();
            }

            context.Abort();
            return;
        }

        var bytes = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        var keep = KeepRecords;
        var body = keep ? DecodeUtf8(bytes.Span) : "";
        Fault? fault;
        lock (_gate)
        {
            _calls.Add(new BulkCall(context.Request.Path + context.Request.QueryString, context.Request.ContentType, body));
            fault = _faults.Count > 0 ? _faults.Dequeue() : null;
            Signal();
        }

        if (fault is not null)
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

        var (requests, token) = ParseBulk(bytes);
        if (requests is null)
        {
            // Matomo answers malformed JSON with an empty success.
            await WriteCountsAsync(context, 0, 0, null).ConfigureAwait(false);
            return;
        }

        var tokenValid = token is not null && TokenAuth is not null && string.Equals(token, TokenAuth, StringComparison.Ordinal);
        if (token is not null && !tokenValid)
        {
            lock (_gate)
            {
                FailedAuthentications++;
            }
        }

        var stored = new List<TrackedEntry>();
        var invalid = new List<InvalidEntry>();
        var invalidIndices = new List<int>();
        var tracked = 0;
        for (var i = 0; i < requests.Count; i++)
        {
            var entry = TrackedEntry.Parse(requests[i]);
            if (PoisonEntry is { } poison && poison(entry))
            {
                context.Response.StatusCode = 500;
                await context.Response.WriteAsync("{\"status\":\"error\",\"message\":\"poison entry\"}").ConfigureAwait(false);
                return;
            }

            var reason = Validate(entry, tokenValid, out var rollback);
            if (rollback)
            {
                // An unhandled ca=1 request: Matomo fails and rolls back the whole transaction.
                context.Response.StatusCode = 500;
                await context.Response.WriteAsync("{\"status\":\"error\",\"message\":\"" + reason + "\"}").ConfigureAwait(false);
                return;
            }

            if (reason is not null)
            {
                invalid.Add(new InvalidEntry(entry, reason));
                invalidIndices.Add(i);
                continue;
            }

            tracked++;
            if (entry.Get("rec") == "1")
            {
                stored.Add(entry);
            }
        }

        if (DelayPerEntry > TimeSpan.Zero)
        {
            await Task.Delay(DelayPerEntry * requests.Count).ConfigureAwait(false);
        }

        lock (_gate)
        {
            if (keep)
            {
                _tracked.AddRange(stored);
            }

            _invalid.AddRange(invalid);

            if (Stored is { } onStored)
            {
                foreach (var entry in stored)
                {
                    onStored(entry);
                }
            }

            Signal();
        }

        await WriteCountsAsync(context, tracked, invalid.Count, tokenValid ? invalidIndices : null).ConfigureAwait(false);
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Matomo's validation of one entry; null when valid.</summary>
    private static string? Validate(TrackedEntry entry, bool tokenValid, out bool rollback)
    {
        rollback = false;
        if (!int.TryParse(entry.Get("idsite"), NumberStyles.None, CultureInfo.InvariantCulture, out var site) || site <= 0)
        {
            return "idsite missing or not a positive integer";
        }

        if (entry.Get("cid") is { } cid && (cid.Length != 16 || cid.AsSpan().ContainsAnyExcept(HexDigits)))
        {
            return "cid must be 16 hexadecimal characters";
        }

        if (entry.Has("cip") && !tokenValid)
        {
            return "cip requires a valid token_auth";
        }

        if (entry.Get("cdt") is { } cdt)
        {
            if (!long.TryParse(cdt, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return "cdt is not a UNIX timestamp";
            }

            if (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds > 24 * 3600 && !tokenValid)
            {
                return "cdt older than 24 hours requires a valid token_auth";
            }
        }

        if ((entry.Get("e_c") is { } c && string.IsNullOrWhiteSpace(c) && c.Length > 0)
            || (entry.Get("e_a") is { } a && string.IsNullOrWhiteSpace(a) && a.Length > 0))
        {
            return "e_c/e_a must not be whitespace";
        }

        if (entry.Get("ca") == "1" && (string.IsNullOrEmpty(entry.Get("e_c")) || string.IsNullOrEmpty(entry.Get("e_a"))))
        {
            rollback = true;
            return "custom action that no plugin handles";
        }

        if (entry.Get("pf_srv") is { } pf && pf.StartsWith('-'))
        {
            return "pf_srv must not be negative";
        }

        return null;
    }

    /// <summary>The body's bytes, read as UTF-8 the way the string of a <see cref="BulkCall"/> shows them.</summary>
    private static string DecodeUtf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream(request.ContentLength is > 0 and < 64 * 1024 * 1024 ? (int)request.ContentLength.Value : 4096);
        await request.Body.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
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
    public async ValueTask DisposeAsync() => await GoDownAsync().ConfigureAwait(false);
}

/// <summary>A fault applied to one request.</summary>
/// <param name="StatusCode">Answer with this status (and an error JSON body).</param>
/// <param name="RetryAfter">With <paramref name="StatusCode"/>: a <c>Retry-After</c> header, in whole seconds.</param>
/// <param name="Delay">Wait this long before answering (or before resetting).</param>
/// <param name="ResetConnection">Abort the connection after reading the body.</param>
/// <param name="ResetMidBody">Abort the connection after reading only the first bytes of the body (nothing is processed).</param>
public sealed record Fault(int? StatusCode = null, TimeSpan? RetryAfter = null, TimeSpan Delay = default, bool ResetConnection = false, bool ResetMidBody = false);

/// <summary>One HTTP request received by the stand-in.</summary>
/// <param name="PathAndQuery">The request target: the token must never be here.</param>
/// <param name="ContentType">The request's content type.</param>
/// <param name="Body">The raw body.</param>
public sealed record BulkCall(string PathAndQuery, string? ContentType, string Body)
{
    /// <summary>Number of entries in the bulk body (0 when it is not bulk JSON).</summary>
    public int EntryCount
    {
        get
        {
            try
            {
                using var document = JsonDocument.Parse(Body);
                return document.RootElement.GetProperty("requests").GetArrayLength();
            }
            catch (Exception)
            {
                return 0;
            }
        }
    }
}

/// <summary>An entry refused as invalid.</summary>
/// <param name="Entry">The entry.</param>
/// <param name="Reason">Matomo's reason.</param>
public sealed record InvalidEntry(TrackedEntry Entry, string Reason);

/// <summary>One bulk entry, with its parameters decoded the way PHP decodes them (<c>+</c> is a space).</summary>
public sealed class TrackedEntry
{
    private readonly Dictionary<string, string> _parameters;

    private TrackedEntry(string raw, Dictionary<string, string> parameters)
    {
        Raw = raw;
        _parameters = parameters;
    }

    /// <summary>The entry as received.</summary>
    public string Raw { get; }

    /// <summary>Decoded parameters.</summary>
    public IReadOnlyDictionary<string, string> Parameters => _parameters;

    /// <summary>A decoded parameter; throws when absent, naming it.</summary>
    public string this[string key] => _parameters.TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"Parameter '{key}' is not in entry {Raw}");

    /// <summary>Whether a parameter is present.</summary>
    public bool Has(string key) => _parameters.ContainsKey(key);

    /// <summary>A decoded parameter or null.</summary>
    public string? Get(string key) => _parameters.TryGetValue(key, out var value) ? value : null;

    /// <summary>Parses a query string (<c>?a=1&amp;b=2</c>) or a full URL, as Matomo does.</summary>
    public static TrackedEntry Parse(string raw)
    {
        // Pair by pair over the string (no split into substrings first): the load test parses every entry it stores.
        var query = raw.AsSpan();
        var q = query.IndexOf('?');
        if (q >= 0)
        {
            query = query[(q + 1)..];
        }

        var parameters = new Dictionary<string, string>(16, StringComparer.Ordinal);
        while (!query.IsEmpty)
        {
            var amp = query.IndexOf('&');
            var pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? default : query[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue; // "a=1&&b=2": empty pairs are skipped
            }

            var eq = pair.IndexOf('=');
            var key = DecodeKey(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            parameters[key] = value; // PHP: the last one wins
        }

        return new TrackedEntry(raw, parameters);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Keys = new(StringComparer.Ordinal);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> KeyLookup = Keys.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>A key decoded, the few distinct keys shared rather than a new string per entry.</summary>
    private static string DecodeKey(ReadOnlySpan<char> encoded)
    {
        if (KeyLookup.TryGetValue(encoded, out var key))
        {
            return key;
        }

        key = Decode(encoded);
        if (Keys.Count < 1024 && key.Length <= 64)
        {
            KeyLookup.TryAdd(encoded, key);
        }

        return key;
    }

    /// <summary>Percent- and <c>+</c>-decoding as PHP does it (<see cref="WebUtility.UrlDecode(string)"/>), which leaves a value without either as it is.</summary>
    private static string Decode(ReadOnlySpan<char> encoded) =>
        encoded.ContainsAny('%', '+') ? WebUtility.UrlDecode(encoded.ToString()) : encoded.ToString();

    /// <inheritdoc/>
    public override string ToString() => Raw;
}
