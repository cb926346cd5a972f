using Microsoft.CodeAnalysis;

namespace Piwik.Generator;

/// <summary>Finds <c>[TrackAs]</c> handlers and emits their tracking descriptors. Filled in by the generator issue.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class PiwikGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
