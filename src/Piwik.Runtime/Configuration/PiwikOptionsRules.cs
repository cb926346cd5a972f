using System.Net;
using Microsoft.Extensions.Options;

namespace Piwik.Configuration;

/// <summary>
/// Validates what the attributes of <see cref="PiwikOptions"/> (checked by <see cref="PiwikOptionsValidator"/>) cannot
/// express: URLs, the token's form, paths, dimension ids. Each failure names the configuration key, so a wrong
/// environment variable is found from the first line of the error.
/// </summary>
internal sealed class PiwikOptionsRules : IValidateOptions<PiwikOptions>
{
    public ValidateOptionsResult Validate(string? name, PiwikOptions options)
    {
        var failures = new List<string>();
        const string S = PiwikOptions.SectionName;

        if (options.Url is not null)
        {
            if (!MatomoEndpoint.TryCreate(options.Url, out var endpoint))
            {
                failures.Add($"{S}:Url must be an absolute http(s) URL of the Matomo server, for example https://matomo.example.com/.");
            }
            else if (endpoint.Scheme == Uri.UriSchemeHttp && !options.AllowInsecureHttp && !IsLoopback(endpoint))
            {
                failures.Add($"{S}:Url uses http:// to a host that is not loopback ({endpoint.Host}): use https://, or set {S}:AllowInsecureHttp=true.");
            }
        }

        if (options.TokenAuth is { } token && !IsHex(token, 32))
        {
            // Never echo the token itself.
            failures.Add($"{S}:TokenAuth must be 32 hexadecimal characters (a Matomo token_auth); the configured value is {token.Length} characters long.");
        }

        // Empty (the spool turned off) was made null by SpoolSwitch before validation.
        if (options.SpoolDirectory is { } spool && spool.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            failures.Add($"{S}:SpoolDirectory must be a directory path, or empty (or unset) for no spool.");
        }

        if (options.UserIdClaim is { } claim && string.IsNullOrWhiteSpace(claim))
        {
            failures.Add($"{S}:UserIdClaim must be a claim type such as 'sub', or left unset.");
        }

        if (options.ApplicationUrl is { } appUrl
            && (!Uri.TryCreate(appUrl, UriKind.Absolute, out var app) || (app.Scheme != Uri.UriSchemeHttp && app.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"{S}:ApplicationUrl must be an absolute http(s) URL: Matomo drops relative URLs.");
        }

        foreach (var id in options.CustomDimensions.Keys)
        {
            if (id <= 0)
            {
                failures.Add($"{S}:CustomDimensions:{id} is not a valid dimension id: ids are positive integers.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    internal static bool IsHex(string value, int length)
    {
        if (value.Length != length)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
