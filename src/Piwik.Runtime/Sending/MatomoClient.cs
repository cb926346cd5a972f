using System.Buffers;
using System.Diagnostics;
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

    private readonly bool _traced;

    public MatomoClient(HttpClient http, IOptions<PiwikOptions> options)
    {
        _http = http;
        MatomoEndpoint.TryCreate(options.Value.Url, out _endpoint);
        _traced = options.Value.TraceMatomoRequests;
    }

    /// <summary>The primary handler: no <c>traceparent</c> on the tracker's own requests unless they are traced.</summary>
    internal static HttpMessageHandler CreateHandler(PiwikOptions options) => new SocketsHttpHandler
    {
        ActivityHeadersPropagator = options.TraceMatomoRequests ? DistributedContextPropagator.Current : null,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        MaxResponseDrainSize = MaxAnswerBytes, // an answer not read to its end closes the connection, not drained
    };

    /// <summary>
    /// A parent that is not sampled, current while an untraced request is sent: a parent-based sampler (OpenTelemetry's
    /// default) then records no HTTP client span for it, even when the app's tracing listens to HttpClient.
    /// </summary>
    private static Activity? Unsampled()
    {
        var parent = new Activity("Piwik.Untraced");
        parent.SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        return parent.Start();
    }

    /// <summary>The most bytes of an answer read: Matomo's bulk answer is well under it, and a proxy's 200 MB error page must not be buffered.</summary>
    internal const int MaxAnswerBytes = 16 * 1024;

    public async Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, TimeSpan answerTimeout, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(answerTimeout);
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = Json;
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = content };
        var buffer = ArrayPool<byte>.Shared.Rent(MaxAnswerBytes);
        var untraced = _traced ? null : Unsampled();
        try
        {
            // Headers only: the body is read here, at most MaxAnswerBytes of it (disposing the response drops the rest).
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var length = await ReadAtMostAsync(response, buffer, timeout.Token).ConfigureAwait(false);
            var answer = buffer.AsSpan(0, length);
            if (response.IsSuccessStatusCode)
            {
                return ReadCounts(response, answer, entryCount);
            }

            var retryAfter = RetryAfter(response);
            return status switch
            {
                401 or 403 => new DeliveryResult(DeliveryStatus.Unauthorized, HttpStatus: status, Error: ErrorMessage(answer, status)),
                413 => new DeliveryResult(DeliveryStatus.TooLarge, HttpStatus: status),
                408 or 429 => new DeliveryResult(DeliveryStatus.Retryable, RetryAfter: retryAfter, HttpStatus: status),
                500 => new DeliveryResult(DeliveryStatus.Retryable, RetryAfter: retryAfter, HttpStatus: status, Error: ErrorMessage(answer, status), BatchFailed: true, Blocked: IsBlockedAnswer(answer)),
                >= 500 => new DeliveryResult(DeliveryStatus.Retryable, RetryAfter: retryAfter, HttpStatus: status),
                _ => new DeliveryResult(DeliveryStatus.Rejected, HttpStatus: status, Error: ErrorMessage(answer, status)),
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
        finally
        {
            untraced?.Stop();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the answer into <paramref name="buffer"/> until it ends or the buffer is full; returns the bytes read.</summary>
    private static async Task<int> ReadAtMostAsync(HttpResponseMessage response, byte[] buffer, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var length = 0;
            while (length < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            return length;
        }
    }

    /// <summary>
    /// What a 2xx says. Only Matomo's parsed bulk answer (<c>{"status":"success","tracked":N,...}</c>) confirms a batch.
    /// The QueuedTracking plugin's immediate answer (204 with no body, or a GIF) confirms it too: that plugin queues the
    /// batch and validates later, so there is no per-entry feedback. Anything else (an HTML maintenance or login page,
    /// a wrong URL, a truncated answer) is a failure, retried.
    /// </summary>
    private static DeliveryResult ReadCounts(HttpResponseMessage response, ReadOnlySpan<byte> answer, int entryCount)
    {
        var status = (int)response.StatusCode;
        if (IsQueuedTrackingAnswer(response, answer))
        {
            return DeliveryResult.Delivered(entryCount, 0);
        }

        if (answer.Length == MaxAnswerBytes || answer.IsEmpty || answer[0] != (byte)'{')
        {
            return NotMatomo(response, status);
        }

        BulkResponse? counts;
        try
        {
            counts = JsonSerializer.Deserialize(answer, PiwikJsonContext.Default.BulkResponse);
        }
        catch (JsonException)
        {
            return NotMatomo(response, status);
        }

        if (counts?.Status is null)
        {
            return NotMatomo(response, status);
        }

        if (!string.Equals(counts.Status, "success", StringComparison.OrdinalIgnoreCase))
        {
            // A 2xx with an error status is Matomo failing the batch as a whole.
            return new DeliveryResult(DeliveryStatus.Retryable, HttpStatus: status, Error: Cut(counts.Message) ?? "error status in a 2xx answer", BatchFailed: true);
        }

        return DeliveryResult.Delivered(counts.Tracked, counts.Invalid, counts.InvalidIndices);
    }

    private static DeliveryResult NotMatomo(HttpResponseMessage response, int status) =>
        new(DeliveryStatus.Retryable, HttpStatus: status, Error: "HTTP " + status.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + (response.Content.Headers.ContentType?.MediaType ?? "without a content type") + " that is not Matomo's bulk answer", NotMatomo: true);

    private static bool IsQueuedTrackingAnswer(HttpResponseMessage response, ReadOnlySpan<byte> answer) =>
        (response.StatusCode == HttpStatusCode.NoContent && answer.IsEmpty)
        || (answer.StartsWith("GIF8"u8) && response.Content.Headers.ContentType?.MediaType is null or "image/gif");

    /// <summary>Matomo's <c>message</c> from an error answer, cut short; "HTTP n" when there is none.</summary>
    private static string ErrorMessage(ReadOnlySpan<byte> answer, int status)
    {
        if (answer.Length is > 0 and < MaxAnswerBytes && answer[0] == (byte)'{')
        {
            try
            {
                if (Cut(JsonSerializer.Deserialize(answer, PiwikJsonContext.Default.BulkResponse)?.Message) is { } message)
                {
                    return message;
                }
            }
            catch (JsonException)
            {
            }
        }

        return "HTTP " + status.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Matomo's answer to a bulk request carrying a token from a blocked IP (more than 20 failed logins in an hour):
    /// HTTP 500 <c>{"status":"error","tracked":0,"invalid":0}</c>, with no <c>message</c>, unlike a failed batch.
    /// </summary>
    private static bool IsBlockedAnswer(ReadOnlySpan<byte> answer)
    {
        if (answer.IsEmpty || answer[0] != (byte)'{' || answer.Length >= MaxAnswerBytes)
        {
            return false;
        }

        try
        {
            var parsed = JsonSerializer.Deserialize(answer, PiwikJsonContext.Default.BulkResponse);
            return parsed is { Status: "error", Message: null, Tracked: 0, Invalid: 0 } && answer.IndexOf("\"tracked\""u8) >= 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? Cut(string? message) => string.IsNullOrEmpty(message) ? null : message.Length > 200 ? message[..200] : message;

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

    public Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        var current = Volatile.Read(ref _current);
        if (current is null || now >= current.Until)
        {
            current = new Resolved(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<MatomoClient>(services), now + ReuseMilliseconds);
            Volatile.Write(ref _current, current); // two lanes racing here only resolve one client more
        }

        return current.Client.SendAsync(body, entryCount, timeout, cancellationToken);
    }

    private sealed record Resolved(MatomoClient Client, long Until);
}
