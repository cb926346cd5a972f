using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Piwik.Sending;

/// <summary>
/// Writes the Matomo bulk body <c>{"requests":["?idsite=...", ...],"token_auth":"..."}</c> with System.Text.Json's
/// <see cref="Utf8JsonWriter"/>: no reflection, no per-entry string. Entries are already percent-encoded ASCII, so the
/// relaxed encoder leaves their <c>&amp;</c> and <c>=</c> as they are.
/// </summary>
internal sealed class BulkRequestWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    private readonly ArrayBufferWriter<byte> _buffer = new(32 * 1024);

    /// <param name="batch">The entries.</param>
    /// <param name="first">Index of the first entry to write.</param>
    /// <param name="count">Number of entries to write.</param>
    /// <param name="tokenAuth">The token, or <c>null</c>.</param>
    /// <param name="redactToken">Writes <c>[redacted]</c> in place of the token (for logs).</param>
    public ReadOnlyMemory<byte> Write(Batch batch, int first, int count, string? tokenAuth, bool redactToken = false)
    {
        _buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_buffer, WriterOptions);
        writer.WriteStartObject();
        writer.WriteStartArray("requests"u8);
        for (var i = first; i < first + count; i++)
        {
            writer.WriteStringValue(batch.Entry(i));
        }

        writer.WriteEndArray();
        if (tokenAuth is not null)
        {
            writer.WriteString("token_auth"u8, redactToken ? "[redacted]" : tokenAuth);
        }

        writer.WriteEndObject();
        writer.Flush();
        return _buffer.WrittenMemory;
    }
}
