using System.Buffers;
using System.Text;

namespace Piwik.Encoding;

/// <summary>
/// Writes a query-string value: the text is cleaned (control characters, CR and LF become a space; lone UTF-16
/// surrogates become U+FFFD), cut to a UTF-8 byte budget on a character boundary, and percent-encoded (RFC 3986
/// unreserved characters stay as they are). Several pieces can share one budget, as the parts of a URL do.
/// </summary>
internal ref struct PercentEncoder
{
    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    /// <summary>RFC 3986 unreserved characters, the ones written as they are (<see cref="IsUnreserved"/>).</summary>
    private static readonly SearchValues<char> UnreservedChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");

    private readonly IBufferWriter<byte> _output;
    private int _budget;
    private bool _truncated;

    public PercentEncoder(IBufferWriter<byte> output, int maxBytes)
    {
        _output = output;
        _budget = maxBytes;
    }

    /// <summary>Whether some text did not fit in the budget.</summary>
    public readonly bool Truncated => _truncated;

    /// <summary>Bytes of decoded value still allowed.</summary>
    public readonly int Remaining => _budget;

    public void Append(scoped ReadOnlySpan<char> text)
    {
        if (_truncated || text.IsEmpty)
        {
            return;
        }

        // Worst case 3 output bytes per UTF-8 byte, within the budget; asked for in chunks so a 100 KB header never
        // asks for a 300 KB span.
        var span = _output.GetSpan(Math.Min(_budget, text.Length * 3) * 3);
        var written = 0;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            // Fast path: a run of unreserved ASCII (most of a User-Agent, a path, a language) is copied as it is, found
            // and narrowed with vector instructions instead of one character at a time.
            var run = text[i..].IndexOfAnyExcept(UnreservedChars);
            if (run != 0)
            {
                run = run < 0 ? text.Length - i : run;
                var take = Math.Min(run, _budget);
                System.Text.Ascii.FromUtf16(text.Slice(i, take), span[written..], out _);
                written += take;
                _budget -= take;
                i += take;
                if (take < run)
                {
                    _truncated = true;
                    break;
                }

                if (i == text.Length)
                {
                    break;
                }
            }

            var c = text[i];
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
            if (length > _budget)
            {
                _truncated = true;
                break;
            }

            _budget -= length;
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

        _output.Advance(written);
    }

    public static bool IsUnreserved(byte b) =>
        (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_' || b == '~';
}
