namespace Piwik.Configuration;

/// <summary>Turns the configured Matomo base URL into the tracking endpoint, the way Matomo's PHP tracker does.</summary>
internal static class MatomoEndpoint
{
    /// <summary>
    /// Appends <c>/matomo.php</c> unless the URL already ends in <c>matomo.php</c> or <c>piwik.php</c>. A query string or
    /// fragment is refused: it would end up in access logs.
    /// </summary>
    public static bool TryCreate(string? url, out Uri endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(url)
            || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host)
            || uri.Query.Length > 0
            || uri.Fragment.Length > 0
            || uri.UserInfo.Length > 0)
        {
            return false;
        }

        var path = uri.AbsolutePath;
        if (path.EndsWith("/matomo.php", StringComparison.OrdinalIgnoreCase) || path.EndsWith("/piwik.php", StringComparison.OrdinalIgnoreCase))
        {
            endpoint = uri;
            return true;
        }

        var builder = new UriBuilder(uri) { Path = path.TrimEnd('/') + "/matomo.php" };
        endpoint = builder.Uri;
        return true;
    }
}
