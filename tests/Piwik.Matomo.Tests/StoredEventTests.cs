using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Piwik.Testing;

namespace Piwik.Matomo.Tests;

/// <summary>What a real Matomo 5.1.2 stores for the library's events, read from its database.</summary>
[Collection(MatomoTestGroup.Name)]
public class StoredEventTests
{
    [Fact]
    public async Task A_tracked_endpoint_and_a_manual_event_are_stored_with_every_field()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(A_tracked_endpoint_and_a_manual_event_are_stored_with_every_field));
        await using var app = await TrackingApp.StartAsync(matomo, site, map: a =>
            a.MapPost("/files/{fileId}", [TrackAs("upload", Category = "files", Name = "{fileId}")] (string fileId) => TypedResults.Created()));

        (await app.Client.PostAsync("/files/report-7", null)).EnsureSuccessStatusCode();
        (await app.Client.GetAsync("/track?c=account&a=signup&n=pro&v=3.5")).EnsureSuccessStatusCode();
        await app.SettledAsync(2);

        var rows = await matomo.QueryAsync(
            $"""
            SELECT c.name, a.name, n.name, l.custom_float
            FROM matomo_log_link_visit_action l
            JOIN matomo_log_action c ON c.idaction = l.idaction_event_category
            JOIN matomo_log_action a ON a.idaction = l.idaction_event_action
            LEFT JOIN matomo_log_action n ON n.idaction = l.idaction_name
            WHERE l.idsite = {site} ORDER BY a.name
            """);
        Assert.Equal(2, rows.Count);
        Assert.Equal("account|signup|pro|3.5", string.Join("|", rows[0]));
        Assert.Equal("files|upload|report-7|", string.Join("|", rows[1]));
        Assert.Equal(2, app.Metrics.Sent);
    }
}
