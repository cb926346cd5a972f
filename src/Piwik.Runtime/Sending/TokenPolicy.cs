using Microsoft.Extensions.Logging;

namespace Piwik.Sending;

/// <summary>
/// What the sender knows of <see cref="PiwikOptions.TokenAuth"/>, and a breaker that keeps failed logins rare whatever
/// Matomo answers (Matomo blocks an IP's tokens after 20 failed logins an hour). The token is sent only with requests
/// that need it (<c>cip</c>, events older than 24 hours, or every request once the server requires authentication for
/// bulk); until Matomo has accepted it, such requests go one at a time (<see cref="Gate"/>).
/// <para>
/// The token is held (not sent: <c>cip</c> is left out, events older than 24 hours are dropped) when Matomo refuses it
/// (401, 403, 400 or entries needing it answered invalid), after <see cref="FailureBudget"/> failed answers of any kind
/// to requests carrying a token Matomo never accepted, and, for an hour, when Matomo answers that it blocks this IP. A
/// held token is tried again by one request after <see cref="RefusedHold"/> (or the hour of a block): it recovers by
/// itself once Matomo takes it, at a cost of at most one failed login per hold.
/// </para>
/// </summary>
internal sealed class TokenPolicy : IDisposable
{
    /// <summary>Matomo needs the token to accept an event time older than this.</summary>
    public static readonly long StaleTicks = TimeSpan.FromHours(24).Ticks;

    /// <summary>Failed answers to requests carrying a not yet accepted token before it is held.</summary>
    public const int FailureBudget = 3;

    /// <summary>How long a refused token is held before one request tries it again.</summary>
    public static readonly TimeSpan RefusedHold = TimeSpan.FromMinutes(20);

    /// <summary>How long a token is held once Matomo blocks this IP: Matomo counts failed logins over an hour.</summary>
    public static readonly TimeSpan BlockedHold = TimeSpan.FromHours(1);

    private const int Unknown = 0;
    private const int Suspect = 1;
    private const int Confirmed = 2;
    private const int Held = 3;

    private readonly string? _token;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private int _state;
    private long _heldUntilTicks;
    private volatile bool _blocked;
    private int _failures;
    private volatile bool _alwaysNeeded;
    private int _staleWarningLogged;

    public TokenPolicy(PiwikOptions options, ILogger logger, TimeProvider time)
    {
        _token = options.TokenAuth;
        _logger = logger;
        _time = time;
    }

    /// <summary>One request at a time may carry a token Matomo has not accepted yet.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Whether the token is held now (refused or blocked, and not yet due to be tried again).</summary>
    public bool Rejected => Volatile.Read(ref _state) == Held && _time.GetUtcNow().UtcTicks < Volatile.Read(ref _heldUntilTicks);

    /// <summary>Whether the token is held because Matomo blocks this IP (too many failed logins).</summary>
    public bool Blocked => _blocked && Rejected;

    /// <summary>When a held token is tried again.</summary>
    public DateTimeOffset HeldUntil => new(Volatile.Read(ref _heldUntilTicks), TimeSpan.Zero);

    /// <summary>Whether Matomo accepted the token (since it was last held).</summary>
    public bool IsConfirmed => Volatile.Read(ref _state) == Confirmed;

    /// <summary>A token is configured.</summary>
    public bool Configured => _token is not null;

    /// <summary>A token is configured and not held.</summary>
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
    /// <c>idsite</c> gives, so that must be seen twice before the token is held.
    /// </summary>
    public void Judge(DeliveryResult result, int tokenBound, int count)
    {
        if (tokenBound == 0 || Rejected)
        {
            return;
        }

        if (result.InvalidIndices is not null || result.Invalid < tokenBound)
        {
            lock (_lock)
            {
                Volatile.Write(ref _state, Confirmed);
                _failures = 0;
                _blocked = false;
            }

            return;
        }

        if (result.Invalid < count || Interlocked.CompareExchange(ref _state, Suspect, Unknown) != Unknown)
        {
            NoteRefused(200);
        }
    }

    /// <summary>Matomo refused the token (401, 403, 400 to a request carrying it, or its entries answered invalid).</summary>
    public void NoteRefused(int status) => Hold(RefusedHold, blocked: false, status);

    /// <summary>Matomo answered that it blocks this IP's tokens.</summary>
    public void NoteBlocked() => Hold(BlockedHold, blocked: true, 500);

    /// <summary>
    /// A request carrying the token failed in a way that may be a failed login (any answer but a parsed success while
    /// Matomo has not accepted the token). Returns whether the token is now held.
    /// </summary>
    public bool NoteFailure(int status)
    {
        if (IsConfirmed)
        {
            return false;
        }

        int failures;
        lock (_lock)
        {
            failures = ++_failures;
        }

        if (failures >= FailureBudget)
        {
            NoteRefused(status);
            return true;
        }

        return false;
    }

    private void Hold(TimeSpan hold, bool blocked, int status)
    {
        var until = _time.GetUtcNow() + hold;
        lock (_lock)
        {
            if (Rejected && !(blocked && !_blocked))
            {
                return; // already held (another lane's answer to the same token)
            }

            Volatile.Write(ref _heldUntilTicks, until.UtcTicks);
            Volatile.Write(ref _state, Held);
            _blocked = blocked;
            _failures = FailureBudget - 1; // the one request that tries it again may fail once, no more
        }

        if (blocked)
        {
            SenderLog.TokenBlocked(_logger, until);
        }
        else
        {
            SenderLog.TokenRejected(_logger, status, until);
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
