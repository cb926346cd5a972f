using Microsoft.CodeAnalysis;

namespace Piwik.Generator.Analyzers;

/// <summary>The types the analyzer compares against, resolved once per compilation.</summary>
internal sealed class KnownSymbols
{
    private KnownSymbols(
        INamedTypeSymbol trackAs,
        INamedTypeSymbol doNotTrack,
        INamedTypeSymbol? doNotTrackRoutes,
        INamedTypeSymbol? exclusionExtensions,
        INamedTypeSymbol? endpointRouteBuilderExtensions,
        INamedTypeSymbol? conventionBuilderExtensions,
        INamedTypeSymbol? webApplication,
        INamedTypeSymbol? conventionBuilder,
        INamedTypeSymbol? requestDelegate,
        INamedTypeSymbol? fallbackExtensions)
    {
        FallbackExtensions = fallbackExtensions;
        TrackAs = trackAs;
        DoNotTrack = doNotTrack;
        DoNotTrackRoutes = doNotTrackRoutes;
        ExclusionExtensions = exclusionExtensions;
        EndpointRouteBuilderExtensions = endpointRouteBuilderExtensions;
        ConventionBuilderExtensions = conventionBuilderExtensions;
        WebApplication = webApplication;
        ConventionBuilder = conventionBuilder;
        RequestDelegate = requestDelegate;
    }

    public INamedTypeSymbol TrackAs { get; }

    public INamedTypeSymbol DoNotTrack { get; }

    /// <summary><c>Piwik.DoNotTrackRoutesAttribute</c>; null with an older Piwik.Runtime.</summary>
    public INamedTypeSymbol? DoNotTrackRoutes { get; }

    /// <summary><c>Piwik.TrackingExclusionExtensions</c> (<c>ExcludeFromTracking</c>).</summary>
    public INamedTypeSymbol? ExclusionExtensions { get; }

    /// <summary>ASP.NET Core's <c>Map*</c> extensions; null when the project does not reference ASP.NET Core.</summary>
    public INamedTypeSymbol? EndpointRouteBuilderExtensions { get; }

    /// <summary>ASP.NET Core's <c>WithMetadata</c> and friends.</summary>
    public INamedTypeSymbol? ConventionBuilderExtensions { get; }

    public INamedTypeSymbol? WebApplication { get; }

    public INamedTypeSymbol? ConventionBuilder { get; }

    public INamedTypeSymbol? RequestDelegate { get; }

    /// <summary>ASP.NET Core's <c>MapFallback(RequestDelegate)</c> overloads live here.</summary>
    public INamedTypeSymbol? FallbackExtensions { get; }

    /// <summary>Null when the compilation does not reference Piwik.Runtime: then there is nothing to check.</summary>
    public static KnownSymbols? Create(Compilation compilation)
    {
        var trackAs = compilation.GetTypeByMetadataName("Piwik.TrackAsAttribute");
        var doNotTrack = compilation.GetTypeByMetadataName("Piwik.DoNotTrackAttribute");
        if (trackAs is null || doNotTrack is null)
        {
            return null;
        }

        return new KnownSymbols(
            trackAs,
            doNotTrack,
            compilation.GetTypeByMetadataName("Piwik.DoNotTrackRoutesAttribute"),
            compilation.GetTypeByMetadataName("Piwik.TrackingExclusionExtensions"),
            compilation.GetTypeByMetadataName("Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions"),
            compilation.GetTypeByMetadataName("Microsoft.AspNetCore.Builder.RoutingEndpointConventionBuilderExtensions"),
            compilation.GetTypeByMetadataName("Microsoft.AspNetCore.Builder.WebApplication"),
            compilation.GetTypeByMetadataName("Microsoft.AspNetCore.Builder.IEndpointConventionBuilder"),
            compilation.GetTypeByMetadataName("Microsoft.AspNetCore.Http.RequestDelegate"),
            compilation.GetTypeByMetadataName("Microsoft.AspNetCore.Builder.FallbackEndpointRouteBuilderExtensions"));
    }

    public bool IsTrackAs(AttributeData attribute) => SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, TrackAs);

    /// <summary><c>[TrackOrder]</c> or <c>[TrackSearch]</c>: a handler with either records a hit of its own, so it is tracked.</summary>
    public static bool IsOrderOrSearch(AttributeData attribute) =>
        attribute.AttributeClass is { Name: "TrackOrderAttribute" or "TrackSearchAttribute", Arity: 0, ContainingType: null, ContainingNamespace: { Name: "Piwik", ContainingNamespace.IsGlobalNamespace: true } };

    /// <summary>Whether the attribute is <c>[TrackOrder]</c>, <c>[TrackSearch]</c> or <c>[TrackDimension]</c>.</summary>
    public static bool IsHit(AttributeData attribute) => HitTemplates.Kind(attribute.AttributeClass) is not null;

    public bool IsDoNotTrack(AttributeData attribute) => SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, DoNotTrack);
}
