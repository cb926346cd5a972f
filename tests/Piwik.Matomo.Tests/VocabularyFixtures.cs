using System.Globalization;
using Piwik.Testing;

namespace Piwik.Matomo.Tests;

/// <summary>Goals, custom dimensions and the SQL that reads orders, searches and conversions, for the vocabulary tests.</summary>
internal static class VocabularyFixtures
{
    /// <summary>A manually triggered goal that may convert more than once per visit; returns its id.</summary>
    public static async Task<int> AddManualGoalAsync(this RealMatomo matomo, int site, string name)
    {
        var answer = await matomo.ApiAsync("Goals.addGoal",
            ("idSite", site.ToString(CultureInfo.InvariantCulture)),
            ("name", name),
            ("matchAttribute", "manually"),
            ("pattern", ".*"),
            ("patternType", "regex"),
            ("allowMultipleConversionsPerVisit", "1"));
        return answer.GetProperty("value").GetInt32();
    }

    /// <summary>
    /// A custom dimension of <paramref name="scope"/> (<c>visit</c> or <c>action</c>); returns its id (what the tracker
    /// sends as <c>dimension{id}</c>) and the column Matomo stores it in (<c>custom_dimension_{index}</c>).
    /// </summary>
    public static async Task<(int Id, string Column)> AddDimensionAsync(this RealMatomo matomo, int site, string name, string scope)
    {
        var answer = await matomo.ApiAsync("CustomDimensions.configureNewCustomDimension",
            ("idSite", site.ToString(CultureInfo.InvariantCulture)),
            ("name", name),
            ("scope", scope),
            ("active", "1"));
        var id = answer.GetProperty("value").GetInt32();
        var configured = await matomo.ApiAsync("CustomDimensions.getConfiguredCustomDimensions", ("idSite", site.ToString(CultureInfo.InvariantCulture)));
        foreach (var dimension in configured.EnumerateArray())
        {
            if (int.Parse(dimension.GetProperty("idcustomdimension").ToString(), CultureInfo.InvariantCulture) == id)
            {
                return (id, "custom_dimension_" + dimension.GetProperty("index").ToString());
            }
        }

        throw new InvalidOperationException($"Custom dimension {id} not found among the configured ones: {configured}");
    }

    public static string Orders(int site) =>
        $"SELECT idorder, revenue, revenue_subtotal, revenue_tax, revenue_shipping, revenue_discount, items FROM matomo_log_conversion WHERE idsite = {site} AND idgoal = 0 ORDER BY idorder";

    public static string OrderLines(int site) =>
        $"""
        SELECT i.idorder, s.name, n.name, c.name, i.price, i.quantity
        FROM matomo_log_conversion_item i
        JOIN matomo_log_action s ON s.idaction = i.idaction_sku
        LEFT JOIN matomo_log_action n ON n.idaction = i.idaction_name
        LEFT JOIN matomo_log_action c ON c.idaction = i.idaction_category
        WHERE i.idsite = {site} AND i.idorder <> '0' ORDER BY i.idorder, s.name
        """;

    public static string Conversions(int site) =>
        $"SELECT idgoal, revenue FROM matomo_log_conversion WHERE idsite = {site} AND idgoal > 0 ORDER BY revenue";

    public static string Searches(int site) =>
        $"""
        SELECT k.name, l.search_cat, l.search_count
        FROM matomo_log_link_visit_action l
        JOIN matomo_log_action k ON k.idaction = l.idaction_name AND k.type = 8
        WHERE l.idsite = {site} ORDER BY k.name
        """;

    public static string Events(int site) =>
        $"""
        SELECT c.name, a.name
        FROM matomo_log_link_visit_action l
        JOIN matomo_log_action c ON c.idaction = l.idaction_event_category
        JOIN matomo_log_action a ON a.idaction = l.idaction_event_action
        WHERE l.idsite = {site} ORDER BY a.name
        """;

    public static string Row(string?[] row) => string.Join("|", row);
}
