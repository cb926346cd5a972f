using Microsoft.Extensions.Logging;

namespace Piwik.Sending;

/// <summary>
/// What the sender knows of <see cref="PiwikOptions.TokenAuth"/>. The token is sent only with requests that need it
/// (<c>cip</c>, events older than 24 hours, or every request once the server requires authentication for bulk); until
/// Matomo has accepted it once, such requests go one at a time (<see cref="Gate"/>), and once Matomo refuses it, it is
/// not sent again.
/// </summary>
internal sealed class TokenPolicy : IDisposable
{
    /// <summary>Matomo needs the token to accept an event time older than this.</summary>
    public static readonly long StaleTicks = TimeSpan.FromHours(24).Ticks;

    private const int Unknown = 0;
    private const int Suspect = 1;
    private const int Confirmed = 2;
    private const int Refused = 3;

    private readonly string? _token;
    private readonly ILogger _logger;
    private int _state;
    private volatile bool _alwaysNeeded;
    private int _rejectedWarningLogged;
    private int _staleWarningLogged;

    public TokenPolicy(PiwikOptions options, ILogger logger)
    {
        _token = options.TokenAuth;
        _logger = logger;
    }

    /// <summary>One request at a time may carry a token Matomo has not accepted yet.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Whether Matomo refused the token.</summary>
    public bool Rejected => Volatile.Read(ref _state) == Refused;

    /// <summary>Whether Matomo accepted the token at least once.</summary>
    public bool IsConfirmed => Volatile.Read(ref _state) == Confirmed;

    /// <summary>A token is configured and not refused.</summary>
    public bool Usable => _token is not null && !Rejected;

    /// <summary>The server requires authentication for every bulk request.</summary>
    public bool AlwaysNeeded => _alwaysNeeded;

    /// <summary>The token to send with a request with <paramref name="tokenBound"/> entries that need it, or null.</summary>
    public string? For(int tokenBound) => (tokenBound > 0 || _alwaysNeeded) && Usable ? _token : null;

    /// <summary>Whether an event time needs the token.</summary>
    public static bool IsStale(long nowTicks, long eventTicks) => nowTicks - eventTicks > StaleTicks;

    /// <summary>A request without the token was refused 401/403: the server wants it on every bulk request.</summary>
    public bool TryRequireAlways()
    {
        if (_alwaysNeeded || !Usable)
        {
            return false;
        }

        _alwaysNeeded = true;
        return true;
    }

    /// <summary>
    /// What a bulk answer says of the token it carried. <c>invalid_indices</c> are sent to an accepted super user's
    /// token only; fewer invalid entries than entries needing the token means some of them passed: accepted. As many
    /// or more, while entries that did not need it passed: refused. Everything invalid is also what a wrong
    /// <c>idsite</c> gives, so that must be seen twice (with at most two failed logins) before the token is given up.
    /// </summary>
    public void Judge(DeliveryResult result, int tokenBound, int count)
    {
        if (tokenBound == 0 || Rejected)
        {
            return;
        }

        if (result.InvalidIndices is not null || result.Invalid < tokenBound)
        {
            Interlocked.CompareExchange(ref _state, Confirmed, Unknown);
            Interlocked.CompareExchange(ref _state, Confirmed, Suspect);
            return;
        }

        if (result.Invalid < count || Interlocked.CompareExchange(ref _state, Suspect, Unknown) != Unknown)
        {
            NoteRejected(200);
        }
    }

    public void NoteRejected(int status)
    {
        Volatile.Write(ref _state, Refused);
        if (Interlocked.Exchange(ref _rejectedWarningLogged, 1) == 0)
        {
            SenderLog.TokenRejected(_logger, status);
        }
    }

    /// <summary>Logs, once, that events older than 24 hours are dropped for want of a token.</summary>
    public void NoteStaleDropped()
    {
        if (Interlocked.Exchange(ref _staleWarningLogged, 1) == 0)
        {
            SenderLog.StaleDropped(_logger);
        }
    }

    public void Dispose() => Gate.Dispose();
}
