namespace Piwik.Encoding;

/// <summary>
/// The lengths Matomo stores, in UTF-8 bytes unless noted. Values are cut to these on a character boundary before they
/// are sent, so Matomo's own byte cut never splits a character.
/// </summary>
internal static class MatomoLimits
{
    /// <summary><c>url</c> and <c>urlref</c>: Matomo cuts URLs at 1024 bytes.</summary>
    public const int Url = 1024;

    /// <summary><c>action_name</c>: 1024 bytes.</summary>
    public const int ActionName = 1024;

    /// <summary><c>e_c</c>, <c>e_a</c>, <c>e_n</c>: stored as action names, 1024 bytes kept.</summary>
    public const int EventField = 1024;

    /// <summary><c>ua</c>: longer user agents add nothing to device detection.</summary>
    public const int UserAgent = 1024;

    /// <summary><c>lang</c>.</summary>
    public const int Language = 256;

    /// <summary><c>uid</c>: 200 characters (ASCII after hashing; raw ids are cut on a character boundary within 200 bytes).</summary>
    public const int UserId = 200;

    /// <summary><c>dimensionN</c>: 250 characters; cut at 250 bytes, which is never more than 250 characters.</summary>
    public const int Dimension = 250;

    /// <summary><c>search_cat</c>: stored in a <c>VARCHAR(200)</c>.</summary>
    public const int SearchCategory = 200;

    /// <summary><c>ec_id</c>: the order id is stored in a <c>VARCHAR(100)</c>.</summary>
    public const int OrderId = 100;

    /// <summary>An order line's SKU, name and category, in UTF-16 characters: stored as action names.</summary>
    public const int ItemField = 1024;
}
