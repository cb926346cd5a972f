using System.ComponentModel;
using System.Reflection;

namespace Piwik.Runtime.Tests;

/// <summary>The public surface generated code needs, and nothing more: hidden from IntelliSense, in Piwik.Infrastructure.</summary>
public sealed class InfrastructureSurfaceTests
{
    [Fact]
    public void Only_what_generated_code_calls_is_public_and_all_of_it_is_hidden()
    {
        var exported = typeof(TrackAsAttribute).Assembly.GetExportedTypes();
        Assert.Equal(
            ["Piwik.Infrastructure.HitHandlerRegistry", "Piwik.Infrastructure.TemplateValues", "Piwik.Infrastructure.TrackedEndpointTable", "Piwik.Infrastructure.TrackedHandlerRegistry", "Piwik.Infrastructure.TrackedOrderLine", "Piwik.Infrastructure.TrackedValue"],
            exported.Where(t => t.Namespace == "Piwik.Infrastructure").Select(t => t.FullName!).Order(StringComparer.Ordinal));
        Assert.All(
            exported.Where(t => t.Namespace == "Piwik.Infrastructure"),
            t => Assert.Equal(EditorBrowsableState.Never, t.GetCustomAttribute<EditorBrowsableAttribute>()?.State));

        // Nothing of the generated-code plumbing elsewhere, and no way to register a handler one by one.
        Assert.DoesNotContain(exported, t => t.Name is "TrackedValue" or "TrackedHandler" && t.Namespace != "Piwik.Infrastructure");
        Assert.DoesNotContain(exported, t => t.Name == "TrackedHandler");
        Assert.Equal(
            ["ExcludeRoutes", "RegisterTable"],
            typeof(Piwik.Infrastructure.TrackedHandlerRegistry).GetMethods(BindingFlags.Public | BindingFlags.Static).Select(m => m.Name).Order(StringComparer.Ordinal));
    }
}
