namespace Piwik.CodeFixes;

/// <summary>
/// The ids and diagnostic property keys this project fixes, repeated from Piwik.Generator's <c>DiagnosticDescriptors</c>
/// and <c>TemplateChecks</c> so that the analyzer assembly does not depend on Workspaces. Keep them in step.
/// </summary>
internal static class DiagnosticIds
{
    public const string UntrackedRoute = "PIWIK001";
    public const string UnknownPlaceholder = "PIWIK002";
    public const string PlanEntryNotInFile = "PIWIK030";
    public const string PlanEntryNotInCode = "PIWIK031";
    public const string PlanEntryChanged = "PIWIK032";

    /// <summary>PIWIK030-PIWIK032: the entry's kind and escaped key, and the line the code gives (absent when removed).</summary>
    public const string PlanKindKey = "PlanKind", PlanKeyKey = "PlanKey", PlanLineKey = "PlanLine";

    /// <summary>PIWIK001: the action suggested from the route.</summary>
    public const string SuggestedActionKey = "SuggestedAction";

    /// <summary>PIWIK002: the placeholder to write instead (braces included), and where the old one is in the template.</summary>
    public const string ReplacementKey = "Replacement", StartKey = "Start", LengthKey = "Length";
}
