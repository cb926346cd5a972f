using System.Net;
using System.Security.Cryptography;

namespace Piwik.Encoding;

/// <summary>
/// Visitor ids without cookies: stable for one visitor, different between visitors, not reversible.
/// <list type="bullet">
/// <item>A known user: HMAC-SHA256(secret, "user\n" + user id): the same id every day.</item>
/// <item>An anonymous visitor: HMAC-SHA256(daily salt, anonymised IP + "\n" + User-Agent), where the daily salt is
/// HMAC-SHA256(secret, UTC date): the id changes at midnight UTC and cannot be linked across days.</item>
/// </list>
/// The first 8 bytes become the 16 hex characters Matomo's <c>cid</c> requires. Only the background sender calls it.
/// </summary>
internal sealed class VisitorIdGenerator
{
    private const int CacheLimit = 8192;

    private readonly byte[] _secret;
    private readonly Dictionary<AnonymousKey, string> _anonymousCache = new();
    private readonly Dictionary<string, string> _userCache = new(StringComparer.Ordinal);
    private long _saltDay = long.MinValue;
    private byte[] _dailySalt = [];

    public VisitorIdGenerator(string? secret)
    {
        _secret = secret is null ? RandomNumberGenerator.GetBytes(32) : System.Text.Encoding.UTF8.GetBytes(secret);
    }

    /// <summary>True when no secret was configured and a random per-process key is used.</summary>
    public static bool IsEphemeral(string? secret) => secret is null;

    public string ForUser(string userId)
    {
        if (_userCache.TryGetValue(userId, out var cached))
        {
            return cached;
        }

        var id = HexPrefix(Hmac(_secret, "user\n" + userId), 16);
        Remember(_userCache, userId, id);
        return id;
    }

    /// <summary>The hashed user id sent as <c>uid</c> when user ids are hashed: 32 hex characters.</summary>
    public string HashUserId(string userId) => HexPrefix(Hmac(_secret, "uid\n" + userId), 32);

    /// <summary>The visitor id of an anonymous visitor whose IP is already anonymised.</summary>
    public string ForAnonymous(IPAddress? anonymisedIp, string? userAgent, long utcTicks) =>
        ForAnonymous(anonymisedIp, 0, userAgent, utcTicks);

    /// <summary>
    /// The visitor id of an anonymous visitor, from the raw IP and the mask to apply. A cache hit (the usual case: a
    /// visitor makes many requests a day) allocates nothing: the cache is keyed by the masked bytes, not their text.
    /// </summary>
    /// <param name="ip">The visitor's raw IP (null when unknown).</param>
    /// <param name="maskBytes">How many trailing bytes of it to zero.</param>
    /// <param name="userAgent">The User-Agent header.</param>
    /// <param name="utcTicks">The event's time (the salt rotates daily).</param>
    /// <param name="userAgentIdentity">
    /// Optional: an object that stands for this User-Agent's text for as long as it lives (the sender's cached encoding
    /// of it, <see cref="EncodedTextCache.Encoded"/>): the cache is then keyed by that reference instead of by the
    /// text, which is not hashed again. A miss still computes the id from the text, so the id is the same either way.
    /// </param>
    public string ForAnonymous(IPAddress? ip, int maskBytes, string? userAgent, long utcTicks, object? userAgentIdentity = null)
    {
        var day = utcTicks / TimeSpan.TicksPerDay;
        if (day != _saltDay)
        {
            _saltDay = day;
            _dailySalt = Hmac(_secret, "day\n" + day.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _anonymousCache.Clear();
        }

        // Hash at most what is sent (MatomoLimits.UserAgent): a hostile 100 KB header must not grow the cache.
        var ua = userAgent is { Length: > MatomoLimits.UserAgent } ? userAgent[..MatomoLimits.UserAgent] : userAgent ?? string.Empty;
        var (bytes, length, scope) = ip is null ? default : IpAnonymizer.Key(ip, maskBytes);
        var key = new AnonymousKey(bytes, length, scope, userAgentIdentity ?? ua);
        if (_anonymousCache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var ipText = ip is null ? string.Empty : IpAnonymizer.Anonymize(ip, maskBytes).ToString();
        var id = HexPrefix(Hmac(_dailySalt, ipText + "\n" + ua), 16);
        Remember(_anonymousCache, key, id);
        return id;
    }

    /// <summary>
    /// An anonymous visitor: the anonymised IP (see <see cref="IpAnonymizer.Key"/>) and the User-Agent, as its text
    /// (compared by content) or as an object that stands for it (compared by reference: never equal to a text).
    /// </summary>
    private readonly record struct AnonymousKey(UInt128 Ip, int IpLength, long ScopeId, object UserAgent);

    private static void Remember<TKey>(Dictionary<TKey, string> cache, TKey key, string id)
        where TKey : notnull
    {
        if (cache.Count >= CacheLimit)
        {
            cache.Clear();
        }

        cache[key] = id;
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes(data));

    private static string HexPrefix(byte[] hash, int hexChars) => Convert.ToHexStringLower(hash, 0, hexChars / 2);
}
