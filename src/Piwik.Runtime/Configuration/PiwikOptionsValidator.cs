using System.Net;
using Microsoft.Extensions.Options;

namespace Piwik.Configuration;

/// <summary>
/// Validates <see cref="PiwikOptions"/> at start-up. Each failure names the configuration key, so a wrong
/// environment variable is found from the first line of the error.
/// </summary>
internal sealed class PiwikOptionsValidator : IValidateOptions<PiwikOptions>
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

        if (options.SiteId <= 0)
        {
            failures.Add($"{S}:SiteId must be a positive integer (the Matomo site id), not {options.SiteId}.");
        }

        if (options.TokenAuth is { } token && !IsHex(token, 32))
        {
            // Never echo the token itself.
            failures.Add($"{S}:TokenAuth must be 32 hexadecimal characters (a Matomo token_auth); the configured value is {token.Length} characters long.");
        }

        if (string.IsNullOrWhiteSpace(options.DefaultCategory))
        {
            failures.Add($"{S}:DefaultCategory must not be empty: Matomo drops events without a category.");
        }

        Positive(options.BatchSize, "BatchSize");
        Positive(options.QueueCapacity, "QueueCapacity");
        if (options.QueueCapacity > PiwikOptions.MaxQueueCapacity)
        {
            // The queue's slots are allocated up front (about 225 bytes each).
            failures.Add($"{S}:QueueCapacity must be at most {PiwikOptions.MaxQueueCapacity} (its memory is reserved at start, about 225 bytes an event), not {options.QueueCapacity}.");
        }
        Positive(options.MaxConcurrentBatches, "MaxConcurrentBatches");
        PositiveTime(options.FlushInterval, "FlushInterval");
        PositiveTime(options.RequestTimeout, "RequestTimeout");
        PositiveTime(options.ShutdownTimeout, "ShutdownTimeout");
        PositiveTime(options.MaxRetryDelay, "MaxRetryDelay");
        if (options.MaxRetries < 0)
        {
            failures.Add($"{S}:MaxRetries must be zero or more, not {options.MaxRetries}.");
        }

        if (options.SpoolDirectory is { } spool && (string.IsNullOrWhiteSpace(spool) || spool.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            failures.Add($"{S}:SpoolDirectory must be a directory path, or left unset for no spool.");
        }

        if (options.SpoolMaxBytes < 1024 * 1024)
        {
            failures.Add($"{S}:SpoolMaxBytes must be at least 1048576 (1 MiB), not {options.SpoolMaxBytes}.");
        }

        PositiveTime(options.SpoolMaxAge, "SpoolMaxAge");

        if (options.IpAnonymizationBytes is < 0 or > 4)
        {
            failures.Add($"{S}:IpAnonymizationBytes must be between 0 and 4, not {options.IpAnonymizationBytes}.");
        }

        if (options.VisitorIdSecret is { Length: < 16 })
        {
            failures.Add($"{S}:VisitorIdSecret must be at least 16 characters long.");
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

        void Positive(int value, string key)
        {
            if (value <= 0)
            {
                failures.Add($"{S}:{key} must be greater than zero, not {value}.");
            }
        }

        void PositiveTime(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{S}:{key} must be a positive duration such as 00:00:05, not {value}.");
            }
        }
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
