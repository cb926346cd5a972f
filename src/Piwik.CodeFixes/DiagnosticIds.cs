namespace Piwik.CodeFixes;

/// <summary>
/// The ids and diagnostic property keys this project fixes, repeated from Piwik.Generator's <c>DiagnosticDescriptors</c>
/// and <c>TemplateChecks</c> so that the analyzer assembly does not depend on Workspaces. Keep them in step.
/// </summary>
internal static class DiagnosticIds
{
    public const string UntrackedRoute = "PIWIK001";
    public const string UnknownPlaceholder = "PIWIK002";

    /// <summary>PIWIK001: the action suggested from the route.</summary>
    public const string SuggestedActionKey = "SuggestedAction";

    /// <summary>PIWIK002: the placeholder to write instead (braces included), and where the old one is in the template.</summary>
    public const string ReplacementKey = "Replacement", StartKey = "Start", LengthKey = "Length";
}
