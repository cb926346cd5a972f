using System.ComponentModel;
using System.Globalization;

namespace Piwik.Infrastructure;

/// <summary>Builds a generated tracking plan (<c>PiwikTrackingPlan.Endpoints</c>) from the table the generator emits.</summary>
/// <remarks>Infrastructure for generated code; not meant to be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TrackedEndpointTable
{
    /// <summary>Reads the plan's rows, in the table's order. Called by generated code, once, when the plan is first used.</summary>
    /// <param name="table">
    /// <c>#piwik-table N</c> (the format version), then one line per endpoint, fields separated by <c>|</c> (<c>~</c> for <c>null</c>, <c>\</c> escapes the next
    /// character): <c>route|isRouteComplete|category|action|nameTemplate|valueTemplate|failureAction|handler</c>, then
    /// the order (<c>~</c>, or <c>o|id|revenue|subtotal|tax|shipping|discount|items</c>), the search (<c>~</c>, or
    /// <c>s|keyword|category|count</c>), the number of dimensions and <c>|id|valueTemplate</c> for each, then
    /// <c>|method</c> for each HTTP method. <c>isRouteComplete</c> is <c>1</c> or <c>0</c>.
    /// </param>
    /// <returns>The rows, read-only.</returns>
    /// <exception cref="FormatException">A row does not have the layout above.</exception>
    public static IReadOnlyList<TrackedEndpointInfo> Read(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var rows = GeneratedTable.Rows(table);
        var header = rows.Count == 0 ? null : rows[0].Next();
        if (header != Piwik.Shared.TableFormat.Header)
        {
            // Read on first use of the plan, not in a module initializer: a clear error is the useful answer here.
            throw new FormatException(
                $"The generated Piwik tracking plan has '{header}' where '{Piwik.Shared.TableFormat.Header}' is expected: the generator and the runtime come from different Piwik releases. Restore one Piwik package and rebuild.");
        }

        var endpoints = new TrackedEndpointInfo[rows.Count - 1];
        for (var r = 1; r < rows.Count; r++)
        {
            var row = rows[r];
            var route = row.NextText();
            var isRouteComplete = row.NextText() switch
            {
                "1" => true,
                "0" => false,
                var other => throw new FormatException($"A generated Piwik plan row has '{other}' where 1 or 0 is required."),
            };
            var category = row.Next();
            var action = row.Next();
            var nameTemplate = row.Next();
            var valueTemplate = row.Next();
            var failureAction = row.Next();
            var handler = row.NextText();
            var order = row.Next() switch
            {
                null => null,
                "o" => new TrackedOrderInfo(row.Next(), row.Next(), row.Next(), row.Next(), row.Next(), row.Next(), row.Next()),
                var other => throw new FormatException($"A generated Piwik plan row has '{other}' where ~ or o is required."),
            };
            var search = row.Next() switch
            {
                null => null,
                "s" => new TrackedSearchInfo(row.Next(), row.Next(), row.Next()),
                var other => throw new FormatException($"A generated Piwik plan row has '{other}' where ~ or s is required."),
            };
            var dimensions = new TrackedDimensionInfo[row.NextIndex()];
            for (var d = 0; d < dimensions.Length; d++)
            {
                var id = row.NextText();
                dimensions[d] = new TrackedDimensionInfo(
                    int.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : throw new FormatException($"A generated Piwik plan row has '{id}' where a dimension id is required."),
                    row.NextText());
            }

            var methods = new List<string>();
            while (row.HasMore)
            {
                methods.Add(row.NextText());
            }

            endpoints[r - 1] = new TrackedEndpointInfo([.. methods], route, isRouteComplete, category, action, nameTemplate, valueTemplate, failureAction, handler, order, search, dimensions);
        }

        return Array.AsReadOnly(endpoints);
    }
}
