using System.Buffers;

namespace Piwik.Encoding;

/// <summary>
/// The encoded form of request values that repeat from request to request (a browser's User-Agent, its
/// Accept-Language, the page a single-page app calls the API from as its Referer), so the sender encodes each
/// distinct value once instead of once per event: a browser User-Agent has about 30 reserved characters, each
/// percent-encoded one at a time, and a referrer is parsed as a URI (hundreds of nanoseconds and bytes per event).
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="Capacity"/> values, each at most <see cref="LongestCached"/> characters (a longer one,
/// hostile or not, is encoded every time and not kept), cleared when full, so a client sending a new value with
/// every request costs one lookup more and never grows memory. Belongs to the sender's one read loop: not thread-safe.
/// </remarks>
internal sealed class EncodedTextCache
{
    /// <summary>The most values kept.</summary>
    public const int Capacity = 1024;

    /// <summary>The longest value kept (real User-Agents and referrers are mostly 100-300 characters).</summary>
    public const int LongestCached = 512;

    private readonly Dictionary<string, byte[]> _encoded = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _scratch = new(256);
    private readonly Action<string, ArrayBufferWriter<byte>> _encode;
    private string? _lastValue;
    private byte[]? _lastEncoded;

    /// <param name="encode">Writes a value's encoded form (nothing when it has none); the same value always gives the same bytes.</param>
    public EncodedTextCache(Action<string, ArrayBufferWriter<byte>> encode)
    {
        _encode = encode;
    }

    /// <summary>A cache of values percent-encoded within a budget, as <see cref="EntryEncoder.Text"/> writes them.</summary>
    public static EncodedTextCache PercentEncoded(int maxBytes) =>
        new((value, output) => new PercentEncoder(output, maxBytes).Append(value));

    /// <summary>Values kept now (for tests).</summary>
    internal int Count => _encoded.Count;

    /// <summary>
    /// The kept encoding of <paramref name="value"/> (kept now if it was not), or null when the value is null, empty or
    /// too long to keep. The same array for the same text while it is kept, so it can stand for the text (a visitor id
    /// cache keys on it); the value just asked for is remembered by reference, so asking again for it (the encoder right
    /// after the visitor id, or the same header string Kestrel reuses on a connection) costs no lookup.
    /// </summary>
    public byte[]? Encoded(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > LongestCached)
        {
            return null;
        }

        if (ReferenceEquals(value, _lastValue))
        {
            return _lastEncoded;
        }

        if (!_encoded.TryGetValue(value, out var kept))
        {
            kept = Encode(value).ToArray();
            if (_encoded.Count >= Capacity)
            {
                _encoded.Clear();
            }

            _encoded[value] = kept;
        }

        _lastValue = value;
        _lastEncoded = kept;
        return kept;
    }

    /// <summary>Writes <paramref name="prefix"/> and the encoded value; nothing when the value is null or empty or encodes to nothing.</summary>
    public void Write(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> prefix, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        var encoded = Encoded(value) is { } kept ? kept : Encode(value); // a value too long to keep: encoded every time
        if (!encoded.IsEmpty)
        {
            EntryEncoder.Raw(output, prefix);
            EntryEncoder.Raw(output, encoded);
        }
    }

    /// <summary>The value's encoding, in the scratch buffer (valid until the next call).</summary>
    private ReadOnlySpan<byte> Encode(string value)
    {
        _scratch.ResetWrittenCount();
        _encode(value, _scratch);
        return _scratch.WrittenSpan;
    }
}
