using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;
using Piwik.Configuration;

namespace Piwik;

/// <summary>
/// Options of Piwik tracking, bound from the <c>Piwik</c> configuration section
/// (environment variables <c>Piwik__Url</c>, <c>Piwik__SiteId</c>, ...). Every option is validated at start-up (the
/// attributes below, by a generated validator, and the rules they cannot express); each error names its key.
/// </summary>
public sealed class PiwikOptions
{
    /// <summary>The configuration section the options are usually bound from: <c>Piwik</c>.</summary>
    public const string SectionName = "Piwik";

    /// <summary>
    /// Base URL of the Matomo server, for example <c>https://matomo.example.com/</c>; <c>/matomo.php</c> is appended
    /// unless the URL already ends in <c>matomo.php</c> or <c>piwik.php</c>. Default: <c>null</c>, meaning no Matomo:
    /// each batch that would be sent is written to the log instead (token redacted).
    /// </summary>
    public string? Url { get; set; }

    /// <summary>The Matomo site id (<c>idsite</c>), a positive integer. Default: <c>1</c>.</summary>
    [Within(1, int.MaxValue, ErrorMessage = "Piwik:SiteId must be a positive integer (the Matomo site id).")]
    public int SiteId { get; set; } = 1;

    /// <summary>
    /// Matomo <c>token_auth</c> (32 hexadecimal characters) of a user with write access to the site. Needed to send the
    /// anonymised visitor IP (<c>cip</c>) and events older than 24 hours. It is sent only in the bulk request body, never
    /// in a URL or a log line. Default: <c>null</c>.
    /// </summary>
    public string? TokenAuth { get; set; }

    /// <summary>Turns tracking on or off. When off, nothing is queued or sent. Default: <c>true</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The event category used when <see cref="TrackAsAttribute.Category"/> is not set. Default: <c>api</c>.</summary>
    [Required(ErrorMessage = "Piwik:DefaultCategory must not be empty: Matomo drops events without a category.")]
    public string DefaultCategory { get; set; } = "api";

    /// <summary>
    /// How many events make a batch full, sent in one Matomo bulk request, 1 to 1000 (a thousand events of about a
    /// kilobyte each already come near the 1 MiB request body that common proxies allow). Default: <c>100</c>.
    /// Under sustained traffic batches grow: a batch that filled within a quarter of a second doubles the next, up to
    /// 1000 events and 512 KiB, as long as Matomo, at its slowest recent time per event, answers such a batch within a
    /// quarter of a second (and an eighth of <see cref="RequestTimeout"/>); a batch holding this many events then waits
    /// at most half a second for the rest. When traffic is light, batches are this size again.
    /// </summary>
    [Within(1, MaxBatchSize, ErrorMessage = "Piwik:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 100;

    /// <summary>The largest <see cref="BatchSize"/> accepted.</summary>
    internal const int MaxBatchSize = 1000;

    /// <summary>The longest an event waits in a partial batch before that batch is sent, at most an hour. Default: <c>00:00:05</c>.</summary>
    [Within("00:00:00.001", "01:00:00", ErrorMessage = "Piwik:FlushInterval must be a duration between {1} and {2}, such as 00:00:05.")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most events held in memory waiting to be sent. When full, new events are dropped (and counted), never
    /// waited for. The queue's memory is reserved at start: about 225 bytes per event, rounded up to a power of two
    /// (3.7 MB for the default). Default: <c>10000</c>; at most <c>1048576</c>.
    /// </summary>
    [Within(1, MaxQueueCapacity, ErrorMessage = "Piwik:QueueCapacity must be between {1} and {2} (its memory is reserved at start, about 225 bytes an event).")]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>The largest <see cref="QueueCapacity"/> accepted (about 235 MB of queue).</summary>
    internal const int MaxQueueCapacity = 1 << 20;

    /// <summary>
    /// The number of delivery lanes: the most bulk requests in flight at once. Each visitor's events take one lane, so
    /// they stay in order. With <see cref="AdaptiveConcurrency"/> (the default) it is the cap of the number the sender
    /// finds by itself; without, the number in flight whenever there is a backlog. 1 to 64: with the spool each lane
    /// has a thread of its own, and a Matomo rarely has more PHP workers than that. Default: <c>8</c>.
    /// </summary>
    [Within(1, MaxLanes, ErrorMessage = "Piwik:MaxConcurrentBatches must be between {1} and {2}.")]
    public int MaxConcurrentBatches { get; set; } = 8;

    /// <summary>
    /// Whether the sender finds how many bulk requests to keep in flight (up to <see cref="MaxConcurrentBatches"/>): it
    /// adds one while Matomo's latency per event holds and it is what holds a backlog back, takes one away when that
    /// latency doubles or a request takes half of <see cref="RequestTimeout"/>, and halves on timeouts and overload
    /// answers (429, 502-504). <c>false</c> keeps <see cref="MaxConcurrentBatches"/> in flight. Default: <c>true</c>.
    /// </summary>
    public bool AdaptiveConcurrency { get; set; } = true;

    /// <summary>The largest <see cref="MaxConcurrentBatches"/> accepted.</summary>
    internal const int MaxLanes = 64;

    /// <summary>Timeout of one bulk request to Matomo, at most 10 minutes. Default: <c>00:00:10</c>.</summary>
    [Within("00:00:00.001", "00:10:00", ErrorMessage = "Piwik:RequestTimeout must be a duration between {1} and {2}, such as 00:00:10.")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long graceful shutdown may spend sending what is still queued; keep it well inside the host's shutdown
    /// timeout; at most 10 minutes. Default: <c>00:00:05</c>.
    /// </summary>
    [Within("00:00:00.001", "00:10:00", ErrorMessage = "Piwik:ShutdownTimeout must be a duration between {1} and {2}, such as 00:00:05.")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the library's own requests to Matomo take part in distributed tracing: a <c>traceparent</c> header and
    /// an HTTP client span per bulk request. Off by default, so tracing shows the app's traffic, not the tracker's.
    /// Default: <c>false</c>.
    /// </summary>
    public bool TraceMatomoRequests { get; set; }

    /// <summary>
    /// How many times a batch is retried after a network error, 408, 429 or 5xx before it is dropped. With a
    /// <see cref="SpoolDirectory"/>, a batch is kept in the spool and retried for as long as Matomo is unreachable
    /// instead (within <see cref="SpoolMaxBytes"/> and <see cref="SpoolMaxAge"/>). 0 to 1000. Default: <c>5</c>.
    /// </summary>
    [Within(0, 1000, ErrorMessage = "Piwik:MaxRetries must be between {1} and {2}.")]
    public int MaxRetries { get; set; } = 5;

    /// <summary>The longest wait between two attempts, <c>Retry-After</c> included; at most an hour. Default: <c>00:00:30</c>.</summary>
    [Within("00:00:00.001", "01:00:00", ErrorMessage = "Piwik:MaxRetryDelay must be a duration between {1} and {2}, such as 00:00:30.")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// What to do with a batch whose outcome is unknown (a timeout or a broken connection after the body was sent):
    /// Matomo cannot de-duplicate, so sending it again may count it twice, and not sending it may lose it.
    /// Default: <see cref="Piwik.DeliveryGuarantee.AtLeastOnce"/>.
    /// </summary>
    public DeliveryGuarantee DeliveryGuarantee { get; set; } = DeliveryGuarantee.AtLeastOnce;

    /// <summary>
    /// A directory where batches are kept on disk until Matomo confirms them (the durable spool): with it, batches
    /// survive an outage of Matomo, a shutdown deadline and a crash of the process, and are replayed in order when the
    /// app starts again and as soon as Matomo answers again. Each instance of the app needs its own directory.
    /// Default: <c>null</c>: no spool; batches Matomo cannot take within the retry budget are dropped (and counted). An
    /// empty value turns the spool off too (<c>Piwik__SpoolDirectory=</c>), so an environment variable can override a
    /// directory set in <c>appsettings.json</c>. The directory is created owner-only (0700) and its files are 0600:
    /// they hold visitor data.
    /// </summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>
    /// The most bytes of unconfirmed batches the spool keeps; past it the oldest batches are dropped (counted with
    /// the reason <c>spool_full</c>). 1 MiB to 1 TiB. Default: <c>104857600</c> (100 MiB).
    /// </summary>
    [Within(1048576L, 1099511627776L, ErrorMessage = "Piwik:SpoolMaxBytes must be between {1} (1 MiB) and {2} (1 TiB).")]
    public long SpoolMaxBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>
    /// The oldest an event may be and still be replayed from the spool; older batches are dropped (counted with the
    /// reason <c>spool_expired</c>). Events older than 24 hours are sent only with an accepted <see cref="TokenAuth"/>.
    /// At most 30 days. Default: <c>3.00:00:00</c> (3 days).
    /// </summary>
    [Within("00:00:00.001", "30.00:00:00", ErrorMessage = "Piwik:SpoolMaxAge must be a duration between {1} and {2}, such as 3.00:00:00.")]
    public TimeSpan SpoolMaxAge { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// Allows an <c>http://</c> <see cref="Url"/> to a host that is not loopback. Default: <c>false</c>: the token and
    /// the visitors' data would cross the network in clear text.
    /// </summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>Requests with the header <c>DNT: 1</c> are not recorded at all. Default: <c>true</c>.</summary>
    public bool HonorDoNotTrack { get; set; } = true;

    /// <summary>Requests with the header <c>Sec-GPC: 1</c> (Global Privacy Control) are not recorded at all. Default: <c>true</c>.</summary>
    public bool HonorGlobalPrivacyControl { get; set; } = true;

    /// <summary>
    /// How many bytes of the visitor IP are masked before it leaves the process, with Matomo's own masks: for IPv4 the
    /// last N bytes are zeroed; for IPv6, 1 keeps /64, 2 keeps /48, 3 keeps /24 and 4 keeps nothing. 0 to 4.
    /// Default: <c>2</c>.
    /// </summary>
    [Within(0, 4, ErrorMessage = "Piwik:IpAnonymizationBytes must be between {1} and {2}.")]
    public int IpAnonymizationBytes { get; set; } = 2;

    /// <summary>
    /// Sends the anonymised visitor IP as <c>cip</c>. Matomo accepts <c>cip</c> only with <see cref="TokenAuth"/>, so it is
    /// sent only when a token is configured. Default: <c>true</c>.
    /// </summary>
    public bool SendVisitorIp { get; set; } = true;

    /// <summary>
    /// What happens to the query string of the tracked <c>url</c> and of the referrer (<c>urlref</c>); campaign
    /// parameters (<see cref="CampaignParameterPrefixes"/>) are kept in both modes. Default: <see cref="QueryStringMode.Omit"/>.
    /// </summary>
    public QueryStringMode QueryString { get; set; } = QueryStringMode.Omit;

    /// <summary>
    /// Query parameters whose values are replaced by <c>REDACTED</c> when <see cref="QueryString"/> is
    /// <see cref="QueryStringMode.Redact"/> (case-insensitive). Default: <c>token, access_token, code, password, secret,
    /// key, api_key, apikey, signature, sig, session, auth, email</c>.
    /// </summary>
    public IList<string> RedactedQueryParameters { get; } = new List<string>
    {
        "token", "access_token", "code", "password", "secret", "key", "api_key", "apikey", "signature", "sig", "session",
        "auth", "email",
    };

    /// <summary>
    /// Keeps the campaign parameters (<see cref="CampaignParameterPrefixes"/>) in the tracked <c>url</c> and
    /// <c>urlref</c> whatever <see cref="QueryString"/> says, so Matomo can attribute visits to campaigns from the
    /// landing URL. Default: <c>true</c>.
    /// </summary>
    public bool KeepCampaignParameters { get; set; } = true;

    /// <summary>
    /// The name prefixes (case-insensitive) of the campaign parameters kept by <see cref="KeepCampaignParameters"/>.
    /// Default: <c>mtm_, utm_, pk_, matomo_, piwik_</c> (every name in Matomo's default <c>campaign_var_name</c> and
    /// <c>campaign_keyword_var_name</c>); configuration entries are added to the defaults.
    /// </summary>
    public IList<string> CampaignParameterPrefixes { get; } = new List<string> { "mtm_", "utm_", "pk_", "matomo_", "piwik_" };

    /// <summary>
    /// The claim type whose value identifies the signed-in user (for example <c>sub</c>), sent as Matomo's user id
    /// (<c>uid</c>) and used for the visitor id. Default: <c>null</c>: no user id is sent.
    /// </summary>
    public string? UserIdClaim { get; set; }

    /// <summary>
    /// Sends a keyed hash of the user id instead of the user id itself. Default: <c>true</c>.
    /// </summary>
    public bool HashUserId { get; set; } = true;

    /// <summary>
    /// The secret key of the visitor-id and user-id hashes (HMAC-SHA256), at least 16 characters. Set the same value
    /// on every instance of the app so a visitor keeps one id across instances and restarts. Default: <c>null</c>: a
    /// random key per process (visitor ids then change when the process restarts).
    /// </summary>
    [StringLength(int.MaxValue, MinimumLength = 16, ErrorMessage = "Piwik:VisitorIdSecret must be at least {2} characters long.")]
    public string? VisitorIdSecret { get; set; }

    /// <summary>
    /// Custom dimensions sent with every event, by dimension id (<c>dimension1</c>, ...), for example the app version.
    /// Values are cut to 250 characters. Default: none.
    /// </summary>
    public IDictionary<int, string> CustomDimensions { get; } = new Dictionary<int, string>();

    /// <summary>
    /// Records requests to endpoints that are neither <see cref="TrackAsAttribute"/> nor <see cref="DoNotTrackAttribute"/>
    /// (nor excluded with <c>ExcludeFromTracking()</c> or <see cref="DoNotTrackRoutesAttribute"/>) as page views named by verb and route pattern (<c>GET /groups/{groupId}</c>), never by raw path. Default: <c>false</c>.
    /// </summary>
    public bool TrackUntrackedEndpointsAsPageViews { get; set; }

    /// <summary>
    /// The app's public URL, for example <c>https://app.example.com/</c>. Tracked URLs take their scheme and host from
    /// it (the request's path follows), and events tracked outside an HTTP request (background jobs, webhooks) through
    /// <see cref="IPiwikTracker"/> carry it as their URL. Set it in production: without it, the host comes from each
    /// request's Host header, which a client can set to anything (a header that is not a host name becomes
    /// <c>unknown.invalid</c>), and a warning is logged at start-up. Default: <c>null</c>.
    /// </summary>
    public string? ApplicationUrl { get; set; }

    /// <summary>
    /// The app's own consent rule, asked for every request after Do-Not-Track and Global Privacy Control: return
    /// <c>false</c> to not record it. It runs on the request path: keep it cheap and make it never throw (an exception
    /// counts as no consent). Default: <c>null</c>.
    /// </summary>
    public Func<HttpContext, bool>? ShouldTrack { get; set; }
}

/// <summary>What the tracked <c>url</c> keeps of the request's query string.</summary>
public enum QueryStringMode
{
    /// <summary>The query string is left out.</summary>
    Omit = 0,

    /// <summary>The query string is kept, with the values of <see cref="PiwikOptions.RedactedQueryParameters"/> replaced by <c>REDACTED</c>.</summary>
    Redact = 1,
}

/// <summary>What the sender does when it cannot tell whether Matomo stored a batch.</summary>
public enum DeliveryGuarantee
{
    /// <summary>Send it again: nothing is lost, a batch may be counted twice.</summary>
    AtLeastOnce = 0,

    /// <summary>Drop it (counted as <c>unconfirmed</c>): nothing is counted twice, a batch may be lost.</summary>
    AtMostOnce = 1,
}
