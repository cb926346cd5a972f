namespace Piwik.Shared;

/// <summary>
/// The diagnostic ids of the Piwik analyzer, and the diagnostic property keys its code fixes read. Compiled into the
/// analyzer and the code fix assemblies from this one file, so that the two never disagree (the code fixes depend on
/// Workspaces, the analyzer must not). Ids are assigned by hand and never reused or renumbered.
/// </summary>
internal static class DiagnosticIds
{
    public const string UntrackedRoute = "PIWIK001";
    public const string UnknownPlaceholder = "PIWIK002";
    public const string MemberNotFound = "PIWIK003";
    public const string ValueNotNumeric = "PIWIK004";
    public const string EmptyEventPart = "PIWIK005";
    public const string TrackAsAndDoNotTrack = "PIWIK006";
    public const string TrackAsNotAnEndpoint = "PIWIK007";
    public const string LiteralTooLong = "PIWIK008";
    public const string AmbiguousEvent = "PIWIK009";
    public const string InvalidTemplate = "PIWIK010";
    public const string TrackAsOnRequestDelegate = "PIWIK011";
    public const string PlaceholderNotScalar = "PIWIK012";
    public const string PlaceholderMaybeUnbound = "PIWIK013";
    public const string OrderIncomplete = "PIWIK014";
    public const string DimensionIdNotPositive = "PIWIK015";
    public const string HitNumberNotNumeric = "PIWIK016";
    public const string SearchWithoutKeyword = "PIWIK017";
    public const string HitAndDoNotTrack = "PIWIK018";
    public const string HitTemplateUnbound = "PIWIK019";
    public const string ResultHasNoValue = "PIWIK020";
    public const string OrderItemsUnreadable = "PIWIK021";
    public const string LanguageVersionTooOld = "PIWIK022";
    public const string RedirectRecordsNothing = "PIWIK023";
    public const string PlanEntryNotInFile = "PIWIK030";
    public const string PlanEntryNotInCode = "PIWIK031";
    public const string PlanEntryChanged = "PIWIK032";
    public const string GoalActionNotUnique = "PIWIK033";
    public const string GoalNameOnTwoActions = "PIWIK034";

    /// <summary>PIWIK001: the action suggested from the route.</summary>
    public const string SuggestedActionKey = "SuggestedAction";

    /// <summary>PIWIK002 and PIWIK012: the placeholder to write instead (braces included), and where the old one is in the template.</summary>
    public const string ReplacementKey = "Replacement", StartKey = "Start", LengthKey = "Length";

    /// <summary>PIWIK030-PIWIK032: the entry's kind and escaped key, and the line the code gives (absent when removed).</summary>
    public const string PlanKindKey = "PlanKind", PlanKeyKey = "PlanKey", PlanLineKey = "PlanLine";
}
