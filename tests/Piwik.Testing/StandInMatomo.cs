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

    /// <summary>
    /// Called with the event name (<c>e_n</c>, decoded; "" when absent) of each stored entry, in order, under the
    /// stand-in's lock. Cheaper than <see cref="Stored"/> for a load run: no <see cref="TrackedEntry"/> is built.
    /// </summary>
    public Action<string>? StoredName { get; set; }

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

        var verdict = Judge(bytes, TokenAuth, PoisonEntry, keep || Stored is not null, fast: true);
        if (verdict.Malformed)
        {
            // Matomo answers malformed JSON with an empty success.
            await WriteCountsAsync(context, 0, 0, null).ConfigureAwait(false);
            return;
        }

        if (verdict.Token is not null && !verdict.TokenValid)
        {
            lock (_gate)
            {
                FailedAuthentications++;
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
            await Task.Delay(DelayPerEntry * verdict.EntryCount).ConfigureAwait(false);
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

        await WriteCountsAsync(context, verdict.Tracked, verdict.Invalid.Count, verdict.TokenValid ? verdict.InvalidIndices : null).ConfigureAwait(false);
    }

    /// <summary>What the stand-in makes of one bulk body: the answer's counts, and what it stores.</summary>
    internal sealed class Verdict
    {
        /// <summary>Not bulk JSON with a <c>requests</c> array: an empty success.</summary>
        public bool Malformed { get; set; }

        /// <summary>The body's <c>token_auth</c> (a JSON string), or null.</summary>
        public string? Token { get; set; }

        public bool TokenValid { get; set; }

        public int EntryCount { get; set; }

        /// <summary>An entry made <see cref="PoisonEntry"/> true: 500, nothing stored.</summary>
        public bool Poisoned { get; set; }

        /// <summary>An entry failed the whole batch (an unhandled <c>ca=1</c>): 500 with this message, nothing stored.</summary>
        public string? RollbackReason { get; set; }

        public int Tracked { get; set; }

        public List<InvalidEntry> Invalid { get; } = new();

        public List<int> InvalidIndices { get; } = new();

        /// <summary>Stored entries (<c>rec=1</c>), when asked for.</summary>
        public List<TrackedEntry>? StoredEntries { get; set; }

        /// <summary>The decoded <c>e_n</c> of each stored entry ("" when absent).</summary>
        public List<string> StoredNames { get; } = new();
    }

    /// <summary>
    /// Validates a bulk body by Matomo's rules (shared/MATOMO.md). <paramref name="fast"/>: over the body's bytes when it
    /// has the usual shape (an object of <c>requests</c>, an array of plain ASCII strings, and <c>token_auth</c>), each
    /// entry's parameters found in place without building a <see cref="TrackedEntry"/>; anything else (escapes, non-ASCII,
    /// other members, a percent-encoded key or value that validation reads) goes the plain way, which is
    /// <paramref name="fast"/> false: every entry parsed into a <see cref="TrackedEntry"/> and checked by
    /// <see cref="Validate"/>. Both give the same verdict (a property test holds them to it).
    /// </summary>
    internal static Verdict Judge(ReadOnlyMemory<byte> bulk, string? validToken, Func<TrackedEntry, bool>? poison, bool materialise, bool fast)
    {
        var verdict = new Verdict { StoredEntries = materialise ? new List<TrackedEntry>() : null };
        var body = bulk.Span;
        List<Range>? ranges = null;
        List<string>? requests = null;
        string? token;
        if (fast && TryScanBulk(body, out var scanned, out token))
        {
            ranges = scanned;
        }
        else
        {
            (requests, token) = ParseBulk(bulk);
            if (requests is null)
            {
                verdict.Malformed = true;
                return verdict;
            }
        }

        var tokenValid = token is not null && validToken is not null && string.Equals(token, validToken, StringComparison.Ordinal);
        verdict.Token = token;
        verdict.TokenValid = tokenValid;
        var count = ranges?.Count ?? requests!.Count;
        verdict.EntryCount = count;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var i = 0; i < count; i++)
        {
            TrackedEntry? entry = null;
            string? reason;
            bool rollback;
            bool stored;
            string? name = null;
            var scan = default(EntryScan);
            var raw = ranges is null ? default : body[ranges[i]];
            var inPlace = ranges is not null && EntryScan.TryScan(raw, out scan);
            if (!inPlace || poison is not null)
            {
                entry = TrackedEntry.Parse(ranges is null ? requests![i] : System.Text.Encoding.ASCII.GetString(raw));
            }

            if (poison is not null && poison(entry!))
            {
                verdict.Poisoned = true;
                return verdict;
            }

            if (inPlace)
            {
                reason = scan.Validate(raw, tokenValid, now, out rollback);
                stored = scan.Is(raw, EntryScan.Rec, "1"u8);
                if (stored)
                {
                    name = scan.Has(EntryScan.EventName) ? System.Text.Encoding.ASCII.GetString(scan.Value(raw, EntryScan.EventName)) : "";
                }
            }
            else
            {
                reason = Validate(entry!, tokenValid, now, out rollback);
                stored = entry!.Get("rec") == "1";
                name = stored ? entry.Get("e_n") ?? "" : null;
            }

            if (rollback)
            {
                verdict.RollbackReason = reason;
                return verdict;
            }

            if (reason is not null)
            {
                entry ??= TrackedEntry.Parse(System.Text.Encoding.ASCII.GetString(raw));
                verdict.Invalid.Add(new InvalidEntry(entry, reason));
                verdict.InvalidIndices.Add(i);
                continue;
            }

            verdict.Tracked++;
            if (stored)
            {
                verdict.StoredNames.Add(name!);
                if (materialise)
                {
                    verdict.StoredEntries!.Add(entry ?? TrackedEntry.Parse(System.Text.Encoding.ASCII.GetString(raw)));
                }
            }
        }

        return verdict;
    }

    /// <summary>
    /// The usual bulk body, read in place: <c>{"requests":[...],"token_auth":"..."}</c> (members in any order, each at
    /// most once, token optional), every entry a JSON string of ASCII without escapes, the token a string without
    /// escapes. False for anything else, malformed JSON included: <see cref="ParseBulk"/> then decides.
    /// </summary>
    private static bool TryScanBulk(ReadOnlySpan<byte> body, out List<Range> entries, out string? token)
    {
        entries = new List<Range>(128);
        token = null;
        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var seenRequests = false;
            var seenToken = false;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.ValueIsEscaped)
                {
                    return false;
                }

                if (!seenRequests && reader.ValueTextEquals("requests"u8))
                {
                    seenRequests = true;
                    if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                    {
                        return false;
                    }

                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !System.Text.Ascii.IsValid(reader.ValueSpan))
                        {
                            return false;
                        }

                        var start = (int)reader.TokenStartIndex + 1; // after the opening quote
                        entries.Add(new Range(start, start + reader.ValueSpan.Length));
                    }
                }
                else if (!seenToken && reader.ValueTextEquals("token_auth"u8))
                {
                    seenToken = true;
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !System.Text.Ascii.IsValid(reader.ValueSpan))
                    {
                        return false;
                    }

                    token = System.Text.Encoding.ASCII.GetString(reader.ValueSpan);
                }
                else
                {
                    return false;
                }
            }

            // Nothing but whitespace may follow the object (the reader throws otherwise).
            return seenRequests && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The parameters of one entry that validation reads, found in its bytes (the last of a repeated key wins, as in
    /// <see cref="TrackedEntry.Parse"/>). Declines (false) when a key or one of these values is percent- or
    /// <c>+</c>-encoded: decoding could change what it says, so <see cref="TrackedEntry.Parse"/> decides.
    /// </summary>
    private struct EntryScan
    {
        public const int IdSite = 0, Cid = 1, Cip = 2, Cdt = 3, Category = 4, Action = 5, CustomAction = 6, ServerTime = 7, Rec = 8, EventName = 9, Count = 10;

        private Bounds _bounds;

        [System.Runtime.CompilerServices.InlineArray(Count)]
        private struct Bounds
        {
            private (int Start, int Length) _first;
        }

        public static bool TryScan(ReadOnlySpan<byte> raw, out EntryScan scan)
        {
            scan = default;
            for (var k = 0; k < Count; k++)
            {
                scan._bounds[k] = (-1, 0);
            }

            var q = raw.IndexOf((byte)'?');
            var offset = q + 1; // 0 when there is no '?'
            var query = raw[offset..];
            while (!query.IsEmpty)
            {
                var amp = query.IndexOf((byte)'&');
                var pair = amp < 0 ? query : query[..amp];
                var pairOffset = offset;
                offset += amp < 0 ? query.Length : amp + 1;
                query = amp < 0 ? default : query[(amp + 1)..];
                if (pair.IsEmpty)
                {
                    continue;
                }

                var eq = pair.IndexOf((byte)'=');
                var key = eq < 0 ? pair : pair[..eq];
                if (key.IndexOfAny((byte)'%', (byte)'+') >= 0)
                {
                    return false;
                }

                var slot = Slot(key);
                if (slot >= 0)
                {
                    scan._bounds[slot] = eq < 0 ? (pairOffset + pair.Length, 0) : (pairOffset + eq + 1, pair.Length - eq - 1);
                }
            }

            for (var k = 0; k < Count; k++)
            {
                if (k != Cip && scan.Has(k) && scan.Value(raw, k).IndexOfAny((byte)'%', (byte)'+') >= 0)
                {
                    return false;
                }
            }

            return true;
        }

        private static int Slot(ReadOnlySpan<byte> key) => key.Length switch
        {
            2 when key.SequenceEqual("ca"u8) => CustomAction,
            3 when key.SequenceEqual("cid"u8) => Cid,
            3 when key.SequenceEqual("cip"u8) => Cip,
            3 when key.SequenceEqual("cdt"u8) => Cdt,
            3 when key.SequenceEqual("e_c"u8) => Category,
            3 when key.SequenceEqual("e_a"u8) => Action,
            3 when key.SequenceEqual("e_n"u8) => EventName,
            3 when key.SequenceEqual("rec"u8) => Rec,
            6 when key.SequenceEqual("idsite"u8) => IdSite,
            6 when key.SequenceEqual("pf_srv"u8) => ServerTime,
            _ => -1,
        };

        public readonly bool Has(int slot) => _bounds[slot].Start >= 0;

        public readonly ReadOnlySpan<byte> Value(ReadOnlySpan<byte> raw, int slot) => raw.Slice(_bounds[slot].Start, _bounds[slot].Length);

        public readonly bool Is(ReadOnlySpan<byte> raw, int slot, ReadOnlySpan<byte> value) => Has(slot) && Value(raw, slot).SequenceEqual(value);

        private readonly bool IsNullOrEmpty(int slot) => !Has(slot) || _bounds[slot].Length == 0;

        private readonly bool IsBlank(ReadOnlySpan<byte> raw, int slot)
        {
            if (!Has(slot) || _bounds[slot].Length == 0)
            {
                return false;
            }

            foreach (var b in Value(raw, slot))
            {
                if (!char.IsWhiteSpace((char)b))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary><see cref="StandInMatomo.Validate"/>, check for check, in the same order, over the bytes.</summary>
        public readonly string? Validate(ReadOnlySpan<byte> raw, bool tokenValid, long now, out bool rollback)
        {
            rollback = false;
            if (!Has(IdSite) || !int.TryParse(Value(raw, IdSite), NumberStyles.None, CultureInfo.InvariantCulture, out var site) || site <= 0)
            {
                return "idsite missing or not a positive integer";
            }

            if (Has(Cid) && (_bounds[Cid].Length != 16 || Value(raw, Cid).ContainsAnyExcept(HexBytes)))
            {
                return "cid must be 16 hexadecimal characters";
            }

            if (Has(Cip) && !tokenValid)
            {
                return "cip requires a valid token_auth";
            }

            if (Has(Cdt))
            {
                if (!long.TryParse(Value(raw, Cdt), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                {
                    return "cdt is not a UNIX timestamp";
                }

                if (now - seconds > 24 * 3600 && !tokenValid)
                {
                    return "cdt older than 24 hours requires a valid token_auth";
                }
            }

            if (IsBlank(raw, Category) || IsBlank(raw, Action))
            {
                return "e_c/e_a must not be whitespace";
            }

            if (Is(raw, CustomAction, "1"u8) && (IsNullOrEmpty(Category) || IsNullOrEmpty(Action)))
            {
                rollback = true;
                return "custom action that no plugin handles";
            }

            if (Has(ServerTime) && _bounds[ServerTime].Length > 0 && raw[_bounds[ServerTime].Start] == (byte)'-')
            {
                return "pf_srv must not be negative";
            }

            return null;
        }
    }

    private static readonly System.Buffers.SearchValues<byte> HexBytes = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF"u8);

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Matomo's validation of one entry; null when valid.</summary>
    private static string? Validate(TrackedEntry entry, bool tokenValid, long now, out bool rollback)
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

            if (now - seconds > 24 * 3600 && !tokenValid)
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
