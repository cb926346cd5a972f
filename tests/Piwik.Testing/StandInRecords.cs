using System.Net;
using System.Text.Json;

namespace Piwik.Testing;

/// <summary>A fault applied to one request.</summary>
/// <param name="StatusCode">Answer with this status (and an error JSON body).</param>
/// <param name="RetryAfter">With <paramref name="StatusCode"/>: a <c>Retry-After</c> header, in whole seconds.</param>
/// <param name="Delay">Wait this long before answering (or before resetting).</param>
/// <param name="ResetConnection">Abort the connection after reading the body.</param>
/// <param name="ResetMidBody">Abort the connection after reading only the first bytes of the body (nothing is processed).</param>
/// <param name="Body">Answer this body (with <paramref name="StatusCode"/>, default 200) instead of processing the request: a proxy's page, a wrong URL.</param>
/// <param name="ContentType">With <paramref name="Body"/> or <paramref name="BodyLength"/>: the answer's content type.</param>
/// <param name="BodyLength">Answer this many bytes of filler (with <paramref name="StatusCode"/>) instead of processing the request.</param>
/// <param name="StoreThenDelay">Process and store the request as usual, then wait <paramref name="Delay"/> before answering.</param>
public sealed record Fault(int? StatusCode = null, TimeSpan? RetryAfter = null, TimeSpan Delay = default, bool ResetConnection = false, bool ResetMidBody = false, string? Body = null, string? ContentType = null, long BodyLength = 0, bool StoreThenDelay = false);

/// <summary>One HTTP request received by the stand-in.</summary>
/// <param name="PathAndQuery">The request target: the token must never be here.</param>
/// <param name="ContentType">The request's content type.</param>
/// <param name="Body">The raw body.</param>
public sealed record BulkCall(string PathAndQuery, string? ContentType, string Body)
{
    /// <summary>The request's <c>traceparent</c> header, if any.</summary>
    public string? TraceParent { get; init; }

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
