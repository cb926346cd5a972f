namespace Piwik.Encoding;

/// <summary>
/// What Matomo 5 keeps of each value, measured as Matomo measures it (<see cref="TextMeasure"/>; its code is cited on
/// each limit). Values are cut to these on a character boundary before they are sent, so Matomo never cuts inside a
/// character nor refuses a value. The live suite (tests/Piwik.Matomo.Tests, <c>LimitTests</c>) proves each one.
/// </summary>
internal static class MatomoLimits
{
    /// <summary>
    /// <c>url</c> and <c>urlref</c>: characters of the (ASCII, percent-encoded) URL. Matomo cuts URLs at
    /// <c>page_maximum_length</c> = 1,024 bytes (core/Tracker/PageUrl.php <c>cleanupString</c>).
    /// </summary>
    public const int Url = 1024;

    /// <summary>
    /// <c>action_name</c>: UTF-8 bytes of the HTML-escaped title. Matomo escapes the parameter
    /// (core/Common.php <c>sanitizeInputValue</c>), then cuts it at 1,024 bytes (core/Tracker/Action.php
    /// <c>setActionName</c> → <c>PageUrl::cleanupString</c>), which can split a character or an entity.
    /// </summary>
    public const int ActionName = 1024;

    /// <summary>
    /// <c>e_c</c>, <c>e_a</c>, <c>e_n</c>: characters of the HTML-escaped value. Matomo stores them uncut in
    /// <c>log_action.name VARCHAR(4096)</c> (core/Db/Schema/Mysql.php); a longer value is refused by the database and
    /// the event is stored without it.
    /// </summary>
    public const int EventField = 4096;

    /// <summary><c>ua</c>: longer user agents add nothing to device detection.</summary>
    public const int UserAgent = 1024;

    /// <summary><c>lang</c>.</summary>
    public const int Language = 256;

    /// <summary><c>uid</c>: 200 characters (ASCII after hashing; raw ids are cut on a character boundary within 200 bytes).</summary>
    public const int UserId = 200;

    /// <summary>
    /// <c>dimensionN</c>: 250 characters (plugins/CustomDimensions <c>prepareValue</c>: <c>mb_substr(trim(v), 0, 250)</c>);
    /// cut at 250 bytes, which is never more than 250 characters.
    /// </summary>
    public const int Dimension = 250;

    /// <summary><c>search_cat</c>: stored in a <c>VARCHAR(200)</c>.</summary>
    public const int SearchCategory = 200;

    /// <summary><c>ec_id</c>: the order id is stored in a <c>VARCHAR(100)</c>.</summary>
    public const int OrderId = 100;

    /// <summary>An order line's SKU, name and category, in UTF-16 characters: stored as action names.</summary>
    public const int ItemField = 1024;

    /// <summary><c>uadata</c>: the client hints' JSON (a real browser's is under 400 bytes).</summary>
    public const int ClientHints = 2048;
}

/// <summary>
/// What the request path keeps of each captured string, in UTF-16 characters: at least what the encoder can send of it
/// (a UTF-16 character is at least one byte of a byte limit above; a code point at most two of them), so cutting here never changes what is
/// sent, and a queued event holds a few KB at most whatever the request carried (issue 14, item 12).
/// </summary>
internal static class CaptureLimits
{
    /// <summary>Host header, path base, path, query string, referrer: the URL limit.</summary>
    public const int Url = MatomoLimits.Url;

    /// <summary>Event category, action and name; page title: Matomo counts code points, each up to two UTF-16 characters.</summary>
    public const int EventField = 2 * MatomoLimits.EventField;

    public const int UserAgent = MatomoLimits.UserAgent;

    public const int Language = MatomoLimits.Language;

    /// <summary>The user id: hashed whole when it is hashed, so kept longer than the 200 characters sent raw.</summary>
    public const int UserId = 1024;

    /// <summary>Each client-hint header.</summary>
    public const int ClientHint = 256;

    /// <summary>
    /// <paramref name="value"/>, or a copy of its first <paramref name="max"/> characters (one fewer rather than split a
    /// surrogate pair): a substring, so the original is not kept alive.
    /// </summary>
    public static string? Cut(string? value, int max)
    {
        if (value is null || value.Length <= max)
        {
            return value;
        }

        return value.Substring(0, char.IsHighSurrogate(value[max - 1]) ? max - 1 : max);
    }
}
