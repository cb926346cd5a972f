namespace Piwik.Shared;

/// <summary>
/// The version of the text tables the generator emits and the runtime reads. The first line of every table is
/// <see cref="Header"/>; a runtime that finds another version (a package restored with a generator of another
/// release) does not read the table: it logs the skew once and tracks from the attributes alone.
/// </summary>
internal static class TableFormat
{
    /// <summary>Raised whenever a table's layout changes: 2 added the placeholder bindings, 3 the handler's result (<c>x:</c> bindings), 4 the plan's orders, searches and dimensions.</summary>
    public const int Version = 4;

    /// <summary>The first line of a table: <c>#piwik-table 4</c>.</summary>
    public const string HeaderPrefix = "#piwik-table ";

    /// <summary>The header of this version.</summary>
    public static string Header => HeaderPrefix + Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
