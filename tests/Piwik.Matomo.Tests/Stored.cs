using Piwik.Testing;

namespace Piwik.Matomo.Tests;

/// <summary>The rows Matomo stored for one site, in the order they were tracked (SQL from shared/matomo/README.md).</summary>
internal static class Stored
{
    /// <summary>Events: category, action, name, value, URL (without scheme).</summary>
    public static Task<IReadOnlyList<string?[]>> EventsAsync(RealMatomo matomo, int site) => matomo.QueryAsync(
        $"""
        SELECT c.name, a.name, n.name, l.custom_float, u.name
        FROM matomo_log_link_visit_action l
        JOIN matomo_log_action c ON c.idaction = l.idaction_event_category
        JOIN matomo_log_action a ON a.idaction = l.idaction_event_action
        LEFT JOIN matomo_log_action n ON n.idaction = l.idaction_name
        LEFT JOIN matomo_log_action u ON u.idaction = l.idaction_url
        WHERE l.idsite = {site} ORDER BY l.idlink_va
        """);

    /// <summary>Page views: URL (without scheme), its prefix id (0 http, 2 https), title.</summary>
    public static Task<IReadOnlyList<string?[]>> PageViewsAsync(RealMatomo matomo, int site) => matomo.QueryAsync(
        $"""
        SELECT u.name, u.url_prefix, t.name
        FROM matomo_log_link_visit_action l
        JOIN matomo_log_action u ON u.idaction = l.idaction_url AND u.type = 1
        LEFT JOIN matomo_log_action t ON t.idaction = l.idaction_name AND t.type = 4
        WHERE l.idsite = {site} ORDER BY l.idlink_va
        """);

    /// <summary>The visits, with <paramref name="columns"/> of matomo_log_visit (SQL expressions allowed).</summary>
    public static Task<IReadOnlyList<string?[]>> VisitsAsync(RealMatomo matomo, int site, string columns) =>
        matomo.QueryAsync($"SELECT {columns} FROM matomo_log_visit WHERE idsite = {site} ORDER BY idvisit");
}
