using System.Globalization;

namespace Piwik.Tool;

/// <summary>
/// Where Matomo is and who asks: from the environment only (<c>PIWIK_URL</c>, <c>PIWIK_SITE_ID</c>,
/// <c>PIWIK_TOKEN_AUTH</c>). The token is never an argument, so it stays out of shell history and process lists.
/// </summary>
internal sealed record Settings(Uri ApiUrl, int SiteId, string TokenAuth)
{
    public static Settings FromEnvironment(Func<string, string?> environment)
    {
        var url = Required(environment, "PIWIK_URL");
        var site = Required(environment, "PIWIK_SITE_ID");
        var token = Required(environment, "PIWIK_TOKEN_AUTH");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new ToolException($"PIWIK_URL must be the absolute http(s) URL of Matomo, for example https://matomo.example.com/ (got '{url}').");
        }

        if (!int.TryParse(site, NumberStyles.None, CultureInfo.InvariantCulture, out var siteId) || siteId <= 0)
        {
            throw new ToolException($"PIWIK_SITE_ID must be a positive whole number, the Matomo site id (got '{site}').");
        }

        // The Reporting API answers at index.php beside matomo.php.
        var path = baseUrl.AbsolutePath;
        path = path.EndsWith("index.php", StringComparison.Ordinal) ? path
            : path.EndsWith(".php", StringComparison.Ordinal) ? path[..(path.LastIndexOf('/') + 1)] + "index.php"
            : path.TrimEnd('/') + "/index.php";
        return new Settings(new UriBuilder(baseUrl) { Path = path, Query = string.Empty }.Uri, siteId, token);
    }

    private static string Required(Func<string, string?> environment, string name) =>
        environment(name) is { Length: > 0 } value ? value.Trim()
            : throw new ToolException($"{name} is not set. The piwik tool reads PIWIK_URL, PIWIK_SITE_ID and PIWIK_TOKEN_AUTH from the environment.");

    /// <summary>Never prints the token, should a record be logged.</summary>
    public override string ToString() => $"Settings {{ ApiUrl = {ApiUrl}, SiteId = {SiteId} }}";
}
