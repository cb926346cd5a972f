using System.Net;
using System.Text.Json;

namespace Piwik.Tool.Matomo;

/// <summary>
/// Calls Matomo's Reporting API (<c>index.php?module=API</c>), the token in the POST body, and turns each way it can fail
/// into a <see cref="ToolException"/> that says what to do: a refused token (Matomo answers 401 with an HTML page), a
/// token without the needed access, an unreachable server, an answer that is not Matomo's.
/// </summary>
internal sealed class MatomoApi(HttpClient http, Settings settings)
{
    /// <summary>Calls <paramref name="method"/>; <paramref name="access"/> names the access it needs, for the message when it is missing.</summary>
    public async Task<JsonElement> CallAsync(string method, string access, CancellationToken cancellationToken, params (string Name, string Value)[] parameters)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("module", "API"), new("format", "json"), new("method", method), new("token_auth", settings.TokenAuth),
        };
        form.AddRange(parameters.Select(static p => new KeyValuePair<string, string>(p.Name, p.Value)));
        using var content = new FormUrlEncodedContent(form);
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(settings.ApiUrl, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ToolException(ToolException.Matomo, $"Cannot reach Matomo at {settings.ApiUrl}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ToolException(ToolException.Matomo, $"Matomo at {settings.ApiUrl} did not answer within {http.Timeout.TotalSeconds:0} s.");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var answer = TryParse(body);

            // A valid token without the access a method needs: 401 with Matomo's JSON error (seen on Matomo 5.1.2).
            if (Error(answer) is { } error)
            {
                if (error.Contains("access", StringComparison.OrdinalIgnoreCase))
                {
                    throw new ToolException(ToolException.Matomo,
                        $"The user of PIWIK_TOKEN_AUTH lacks access to site {settings.SiteId}: {access}. Matomo said: {error}");
                }

                throw new ToolException(ToolException.Matomo, $"Matomo refused {method}: {error}");
            }

            // A token Matomo does not know: 401 with an HTML page, even for format=json.
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new ToolException(ToolException.Matomo,
                    "Matomo refused the token in PIWIK_TOKEN_AUTH (HTTP 401): it is not a valid token_auth of a user of this Matomo. " +
                    "Create one under Administration > Personal > Security > Auth tokens. (Each refusal counts as a failed login; " +
                    "after 20 in an hour Matomo blocks this IP.)");
            }

            if (body.Contains("Too many failed logins", StringComparison.OrdinalIgnoreCase))
            {
                throw new ToolException(ToolException.Matomo, "Matomo blocks this IP after too many failed logins with wrong tokens; it lifts the block after an hour.");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new ToolException(ToolException.Matomo, $"Matomo at {settings.ApiUrl} answered HTTP {(int)response.StatusCode} to {method}.");
            }

            if (answer is not { } json)
            {
                throw new ToolException(ToolException.Matomo, $"{settings.ApiUrl} did not answer {method} as Matomo's Reporting API does: is PIWIK_URL the base URL of Matomo?");
            }

            return json;
        }
    }

    private static JsonElement? TryParse(string body)
    {
        var text = body.TrimStart();
        if (!text.StartsWith('{') && !text.StartsWith('['))
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Error(JsonElement? answer) =>
        answer is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("result", out var result)
            && result.ValueKind == JsonValueKind.String && result.GetString() == "error"
            ? json.TryGetProperty("message", out var m) ? m.GetString() ?? string.Empty : string.Empty
            : null;
}
