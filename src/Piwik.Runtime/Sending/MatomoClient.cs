using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Piwik.Configuration;

namespace Piwik.Sending;

/// <summary>
/// The typed <see cref="HttpClient"/> that POSTs bulk bodies to <c>matomo.php</c>. Customise it through the
/// <see cref="Microsoft.Extensions.DependencyInjection.IHttpClientBuilder"/> that <c>AddPiwikTracking</c> returns.
/// The token travels only in the body; the endpoint URL carries no query string.
/// </summary>
internal sealed class MatomoClient
{
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly TimeSpan _timeout;

    public MatomoClient(HttpClient http, IOptions<PiwikOptions> options)
    {
        _http = http;
        MatomoEndpoint.TryCreate(options.Value.Url, out _endpoint);
        _timeout = options.Value.RequestTimeout;
    }

    public async Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = Json;
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = content };
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return await ReadCountsAsync(response, entryCount, timeout.Token).ConfigureAwait(false);
            }

            var retryAfter = RetryAfter(response);
            return status switch
            {
                401 or 403 => new DeliveryResult(DeliveryStatus.Unauthorized, HttpStatus: status),
                408 or 429 => new DeliveryResult(DeliveryStatus.Retryable, RetryAfter: retryAfter, HttpStatus: status),
                500 => new DeliveryResult(DeliveryStatus.Retryable, RetryAfter: retryAfter, HttpStatus: status, Error: await ErrorMessageAsync(response, timeout.Token).ConfigureAwait(false), BatchFailed: true),
                >= 500 => new DeliveryResult(DeliveryStatus.Retryable, RetryAfter: retryAfter, HttpStatus: status),
                _ => new DeliveryResult(DeliveryStatus.Rejected, HttpStatus: status),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryResult(DeliveryStatus.Ambiguous, Error: "timeout");
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError)
        {
            // The connection was never made: nothing reached Matomo.
            return new DeliveryResult(DeliveryStatus.Retryable, Error: ex.HttpRequestError.ToString());
        }
        catch (HttpRequestException ex)
        {
            // Broken after the body may have gone out (reset, truncated answer).
            return new DeliveryResult(DeliveryStatus.Ambiguous, Error: ex.HttpRequestError.ToString());
        }
        catch (IOException ex)
        {
            return new DeliveryResult(DeliveryStatus.Ambiguous, Error: ex.GetType().Name);
        }
    }

    private static async Task<DeliveryResult> ReadCountsAsync(HttpResponseMessage response, int entryCount, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentType?.MediaType is { } type && !type.Contains("json", StringComparison.OrdinalIgnoreCase) && !LooksLikeJson(bytes))
        {
            // QueuedTracking answers a GIF or 204 at once and validates later: no per-entry feedback to read.
            return DeliveryResult.Delivered(entryCount, 0);
        }

        if (bytes.Length == 0)
        {
            return DeliveryResult.Delivered(entryCount, 0);
        }

        try
        {
            var counts = JsonSerializer.Deserialize(bytes, PiwikJsonContext.Default.BulkResponse);
            if (counts is null || !string.Equals(counts.Status, "success", StringComparison.OrdinalIgnoreCase))
            {
                // A 2xx with an error status is Matomo failing the batch as a whole.
                return new DeliveryResult(DeliveryStatus.Retryable, HttpStatus: (int)response.StatusCode, Error: counts?.Message ?? "error status in a 2xx answer", BatchFailed: true);
            }

            return DeliveryResult.Delivered(counts.Tracked, counts.Invalid, counts.InvalidIndices);
        }
        catch (JsonException)
        {
            return DeliveryResult.Delivered(entryCount, 0);
        }
    }

    /// <summary>Matomo's <c>message</c> from an error body, cut short; never more than the first 4 KB are read.</summary>
    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (bytes.Length is > 0 and < 4096 && LooksLikeJson(bytes))
            {
                var message = JsonSerializer.Deserialize(bytes, PiwikJsonContext.Default.BulkResponse)?.Message;
                if (!string.IsNullOrEmpty(message))
                {
                    return message.Length > 200 ? message[..200] : message;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException)
        {
        }

        return "HTTP 500";
    }

    private static bool LooksLikeJson(byte[] bytes) => bytes.Length > 0 && bytes[0] == (byte)'{';

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}

/// <summary>
/// Sends through a <see cref="MatomoClient"/> resolved anew at most once a second (and shared by the lanes meanwhile),
/// so the client factory still rotates its handlers (after its handler lifetime, 2 minutes by default). Resolving one
/// per batch (a typed client, its <see cref="HttpClient"/> and the endpoint <see cref="Uri"/> parsed again) was about
/// 0.4 % of the app's CPU in the load test, for nothing.
/// </summary>
internal sealed class HttpBulkTransport(IServiceProvider services) : IBulkTransport
{
    private const long ReuseMilliseconds = 1000;

    private Resolved? _current;

    public Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        var current = Volatile.Read(ref _current);
        if (current is null || now >= current.Until)
        {
            current = new Resolved(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<MatomoClient>(services), now + ReuseMilliseconds);
            Volatile.Write(ref _current, current); // two lanes racing here only resolve one client more
        }

        return current.Client.SendAsync(body, entryCount, cancellationToken);
    }

    private sealed record Resolved(MatomoClient Client, long Until);
}
