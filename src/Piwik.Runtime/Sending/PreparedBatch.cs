using Piwik.Diagnostics;

namespace Piwik.Sending;

/// <summary>
/// One batch on its way: the source entries, and what is actually sent. That is the source itself in the usual case
/// (nothing delivered yet, nothing to leave out or change); otherwise a prepared copy (entries older than 24 hours
/// left out when there is no usable token, <c>cip</c> stripped once the token was refused), with the map back. The
/// copy is made only when needed: copying every batch cost a new buffer of the batch's size (about 50 KB per 100
/// events) per delivery, which lived through the HTTP request and so was promoted out of gen0.
/// </summary>
internal sealed class PreparedBatch(Batch source, int start, Action<int>? commit, TokenPolicy token, PiwikMetrics metrics, TimeProvider time)
{
    private List<int>? _map;
    private List<bool>? _staleDropped;
    private Batch? _copy;

    public Batch Source { get; } = source;

    public Batch Prepared { get; private set; } = source;

    /// <summary>Source entries, from the first, whose fate is final and counted.</summary>
    public int Committed { get; private set; } = start;

    public void Prepare()
    {
        var usable = token.Usable;
        var now = time.GetUtcNow().UtcTicks;
        if (Committed == 0 && (usable || !AnyNeedsToken(now)))
        {
            // Sent as it is: the identity map.
            Prepared = Source;
            _map = null;
            return;
        }

        _copy ??= new Batch();
        _map ??= new List<int>();
        _staleDropped ??= new List<bool>();
        var prepared = _copy;
        prepared.Reset();
        _map.Clear();
        _staleDropped.Clear();
        for (var i = 0; i < Source.Count; i++)
        {
            _staleDropped.Add(false);
            if (i < Committed)
            {
                continue;
            }

            var ticks = Source.EventTicks(i);
            if (!usable && TokenPolicy.IsStale(now, ticks))
            {
                _staleDropped[i] = true;
                token.NoteStaleDropped();
                continue;
            }

            var hasIp = Source.HasIp(i);
            var entry = Source.Entry(i);
            if (hasIp && !usable)
            {
                prepared.Add(EntryParameters.Without(entry, "cip"u8), ticks, hasIp: false);
            }
            else
            {
                prepared.Add(entry, ticks, hasIp);
            }

            _map.Add(i);
        }

        Prepared = prepared;
    }

    /// <summary>Whether an entry would have to be left out or changed without a usable token.</summary>
    private bool AnyNeedsToken(long now)
    {
        for (var i = 0; i < Source.Count; i++)
        {
            if (Source.HasIp(i) || TokenPolicy.IsStale(now, Source.EventTicks(i)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Entries of a prepared slice that need the token: with <c>cip</c>, or older than 24 hours.</summary>
    public int TokenBound(int first, int count)
    {
        var now = time.GetUtcNow().UtcTicks;
        var bound = 0;
        for (var i = first; i < first + count; i++)
        {
            if (Prepared.HasIp(i) || TokenPolicy.IsStale(now, Prepared.EventTicks(i)))
            {
                bound++;
            }
        }

        return bound;
    }

    public int SourceIndex(int prepared) => _map is null ? prepared : _map[prepared];

    /// <summary>Marks prepared entries before <paramref name="preparedEnd"/> final: counts the stale entries left out on the way, and commits.</summary>
    public void FinalizeThrough(int preparedEnd)
    {
        var sourceEnd = _map is null
            ? Math.Min(preparedEnd, Source.Count)
            : preparedEnd < _map.Count ? _map[preparedEnd] : Source.Count;
        if (sourceEnd <= Committed)
        {
            return;
        }

        if (_map is not null)
        {
            var stale = 0;
            for (var i = Committed; i < sourceEnd; i++)
            {
                stale += _staleDropped![i] ? 1 : 0;
            }

            metrics.AddDropped(DropReason.StaleWithoutToken, stale);
        }

        Committed = sourceEnd;
        commit?.Invoke(sourceEnd);
    }
}
