using System.Runtime.Intrinsics.X86;

namespace Piwik.Capture;

/// <summary>
/// Asks the CPU to fetch an event's request strings into its cache before the sender reads them. The sender reads an
/// event up to a thousand requests after it was recorded, and by then its strings (User-Agent, URL, referrer, names)
/// are out of the core's caches: under load, the first read of the User-Agent was the sender's costliest instruction
/// (a cache miss; bench/NOTES.md, "The sender's cache misses"). The read loop issues these hints for the next event
/// while it encodes the current one. Only hints: a prefetch never faults and changes nothing; on CPUs without SSE
/// (ARM64) it does nothing.
/// </summary>
internal static class EventPrefetch
{
    /// <summary>Prefetches the strings an event's entry will read.</summary>
    public static void Strings(in TrackedEvent e)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        var request = e.Request;
        Text(request.UserAgent, 4); // about 100-250 characters: up to four lines
        Text(request.Path, 1);
        Text(request.Query, 1);
        Text(request.Referrer, 2);
        Text(request.AcceptLanguage, 1);
        Text(e.Name.Text, 1);
        Text(e.UserId, 1);
    }

    /// <summary>The string's first <paramref name="lines"/> cache lines (its length and first characters first).</summary>
    private static unsafe void Text(string? text, int lines)
    {
        if (text is null)
        {
            return;
        }

        // No read of the string itself (its length would be the miss this avoids): the lines past its end are only hints.
        fixed (char* start = text)
        {
            var line = (byte*)start;
            for (var i = 0; i < lines; i++, line += 64)
            {
                Sse.Prefetch0(line);
            }
        }
    }
}
