using System.Text.Json.Serialization;

namespace Piwik.Sending;

/// <summary>Matomo's bulk answer: <c>{"status":"success","tracked":N,"invalid":M,"invalid_indices":[...]}</c>.</summary>
internal sealed class BulkResponse
{
    [JsonPropertyName("status")]
    public string? Status { get; set; }

    [JsonPropertyName("tracked")]
    public int Tracked { get; set; }

    [JsonPropertyName("invalid")]
    public int Invalid { get; set; }

    /// <summary>Sent by Matomo only when the token is a super user's.</summary>
    [JsonPropertyName("invalid_indices")]
    public int[]? InvalidIndices { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(BulkResponse))]
internal sealed partial class PiwikJsonContext : JsonSerializerContext;
