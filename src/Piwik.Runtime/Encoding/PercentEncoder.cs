using System.Buffers;
using System.Text;

namespace Piwik.Encoding;

/// <summary>How a <see cref="PercentEncoder"/> counts its budget: what Matomo measures when it cuts or stores a value.</summary>
internal enum TextMeasure : byte
{
    /// <summary>UTF-8 bytes of the value (URLs, user agents: Matomo cuts them with <c>substr</c>).</summary>
    Utf8Bytes = 0,

    /// <summary>
    /// UTF-8 bytes of the value as Matomo stores it, HTML-escaped (<c>&amp;</c> is 5 bytes, <c>&lt;</c>/<c>&gt;</c> 4,
    /// quotes 6): page titles, which Matomo escapes and then cuts at 1,024 bytes.
    /// </summary>
    EscapedUtf8Bytes = 1,

    /// <summary>
    /// Characters (code points) of the value as Matomo stores it, HTML-escaped: event fields, kept in a
    /// <c>VARCHAR(4096)</c> column that refuses (not cuts) a longer value.
    /// </summary>
    EscapedCharacters = 2,
}

/// <summary>
/// Writes a query-string value: the text is cleaned (control characters, CR and LF become a space; lone UTF-16
/// surrogates become U+FFFD), cut to a budget (<see cref="TextMeasure"/>) on a character boundary, never inside a
/// surrogate pair, and percent-encoded (RFC 3986 unreserved characters stay as they are). Several pieces can share one
/// budget, as the parts of a URL do.
/// </summary>
internal ref struct PercentEncoder
{
    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    /// <summary>RFC 3986 unreserved characters, the ones written as they are (<see cref="IsUnreserved"/>).</summary>
    /// <summary>1 for each unreserved ASCII character, by code.</summary>
    private static ReadOnlySpan<byte> UnreservedTable =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, // - . 0-9
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, // A-Z _
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, // a-z ~
    ];

    private static readonly SearchValues<char> UnreservedChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");

    private readonly ArrayBufferWriter<byte> _output;
    private readonly TextMeasure _measure;
    private int _budget;
    private bool _truncated;

    public PercentEncoder(ArrayBufferWriter<byte> output, int maxBytes, TextMeasure measure = TextMeasure.Utf8Bytes)
    {
        _output = output;
        _budget = maxBytes;
        _measure = measure;
    }

    /// <summary>Whether a piece did not fit the budget (and everything after it was left out).</summary>
    public readonly bool Truncated => _truncated;

    public void Append(scoped ReadOnlySpan<char> text)
    {
        if (_truncated || text.IsEmpty)
        {
            return;
        }

        // Worst case 3 output bytes per UTF-8 byte, within the budget; asked for in chunks so a 100 KB header never
        // asks for a 300 KB span.
        var maxUtf8 = _measure == TextMeasure.EscapedCharacters ? _budget * 4L : _budget;
        var span = _output.GetSpan((int)Math.Min(maxUtf8, text.Length * 3L) * 3);
        var written = 0;
        Span<byte> utf8 = stackalloc byte[4];

        // Fast path: the leading run of unreserved ASCII (often the whole value) is found and narrowed with vector
        // instructions; the rest goes one character at a time through a lookup table.
        var start = text.IndexOfAnyExcept(UnreservedChars);
        start = start < 0 ? text.Length : start;
        if (start > 0)
        {
            var take = Math.Min(start, _budget);
            System.Text.Ascii.FromUtf16(text[..take], span, out _);
            written = take;
            _budget -= take;
            if (take < start)
            {
                _truncated = true;
                _output.Advance(written);
                return;
            }
        }

        // Locals, not fields: this struct is reached by reference, so its fields would be stored on every character.
        var unreserved = UnreservedTable;
        var budget = _budget;
        var measure = _measure;
        var truncated = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x80 && unreserved[c] != 0)
            {
                if (budget < 1)
                {
                    truncated = true;
                    break;
                }

                budget--;
                span[written++] = (byte)c;
                continue;
            }

            if (c < 0x80)
            {
                // Reserved or control ASCII: one byte, percent-encoded (control characters become a space).
                var ascii = char.IsControl(c) ? (byte)' ' : (byte)c;
                var cost = measure == TextMeasure.Utf8Bytes ? 1 : EscapedLength(ascii);
                if (budget < cost)
                {
                    truncated = true;
                    break;
                }

                budget -= cost;
                span[written++] = (byte)'%';
                span[written++] = Hex[ascii >> 4];
                span[written++] = Hex[ascii & 0xF];
                continue;
            }

            Rune rune;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                rune = new Rune(c, text[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                rune = Rune.ReplacementChar;
            }
            else if (char.IsControl(c))
            {
                rune = new Rune(' ');
            }
            else
            {
                rune = new Rune(c);
            }

            var length = rune.Utf8SequenceLength;
            var runeCost = measure == TextMeasure.EscapedCharacters ? 1 : length;
            if (runeCost > budget)
            {
                truncated = true;
                break;
            }

            budget -= runeCost;
            if (rune.Value < 0x80 && IsUnreserved((byte)rune.Value))
            {
                span[written++] = (byte)rune.Value;
                continue;
            }

            rune.EncodeToUtf8(utf8);
            for (var b = 0; b < length; b++)
            {
                span[written++] = (byte)'%';
                span[written++] = Hex[utf8[b] >> 4];
                span[written++] = Hex[utf8[b] & 0xF];
            }
        }

        _budget = budget;
        _truncated |= truncated;
        _output.Advance(written);
    }

    /// <summary>
    /// The length of an ASCII character once Matomo has HTML-escaped it (<c>htmlspecialchars</c> with
    /// <c>ENT_QUOTES</c>, core/Common.php). Matomo decodes entities first, so counting the raw text escaped is an
    /// upper bound: what fits by this count fits in Matomo.
    /// </summary>
    public static int EscapedLength(byte ascii) => ascii switch
    {
        (byte)'&' => 5, // &amp;
        (byte)'<' or (byte)'>' => 4, // &lt; &gt;
        (byte)'"' or (byte)'\'' => 6, // &quot; &#039;
        _ => 1,
    };

    public static bool IsUnreserved(byte b) =>
        (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_' || b == '~';
}
