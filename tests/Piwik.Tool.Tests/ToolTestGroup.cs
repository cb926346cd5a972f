namespace Piwik.Tool.Tests;

/// <summary>One test at a time against the run's real Matomo (each on a site of its own), as in Piwik.Matomo.Tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ToolTestGroup
{
    public const string Name = "piwik tool on a real Matomo";
}
