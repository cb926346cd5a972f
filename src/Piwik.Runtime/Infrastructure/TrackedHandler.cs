using Microsoft.AspNetCore.Http;
using Piwik.Shared;

namespace Piwik.Infrastructure;

/// <summary>
/// What is known about one <see cref="TrackAsAttribute"/> handler: its constant category and actions, accessors for its
/// name and value templates, and what each placeholder binds to. The generator decides all of it at compile time (one
/// row of the table it registers through <see cref="TrackedHandlerRegistry.RegisterTable"/>);
/// <c>app.UsePiwikTracking()</c> matches the rows to endpoints. Without generated code the runtime makes one from the
/// attribute and the route alone.
/// </summary>
internal sealed class TrackedHandler
{
    public TrackedHandler(
        string? category,
        string action,
        string? failureAction,
        string? nameTemplate,
        string? valueTemplate,
        Type[] parameterTypes,
        string[] parameterNames,
        Func<EndpointFilterInvocationContext, TrackedValue>? name,
        Func<EndpointFilterInvocationContext, TrackedValue>? value,
        IReadOnlyList<PlaceholderBinding>? nameBindings = null,
        IReadOnlyList<PlaceholderBinding>? valueBindings = null)
    {
        Category = category;
        Action = action;
        FailureAction = failureAction;
        NameTemplate = nameTemplate;
        ValueTemplate = valueTemplate;
        ParameterTypes = parameterTypes;
        ParameterNames = parameterNames;
        Name = name;
        Value = value;
        NameBindings = nameBindings;
        ValueBindings = valueBindings;
        ReadsResult = (name is not null && PlaceholderBinding.ReadsResult(nameBindings)) || (value is not null && PlaceholderBinding.ReadsResult(valueBindings));
    }

    /// <summary>The assembly whose generated table registered this descriptor; null when unknown (built at run time, or an older table).</summary>
    public System.Reflection.Assembly? Origin { get; init; }

    /// <summary>Whether a bound template reads the handler's result (<c>{result.Id}</c>): its filter keeps the result.</summary>
    public bool ReadsResult { get; }

    /// <summary>The category, or <c>null</c> for <see cref="PiwikOptions.DefaultCategory"/>.</summary>
    public string? Category { get; }

    /// <summary>The action recorded on success.</summary>
    public string Action { get; }

    /// <summary>The action recorded on a 4xx answer, or <c>null</c>.</summary>
    public string? FailureAction { get; }

    /// <summary>The name template as written.</summary>
    public string? NameTemplate { get; }

    /// <summary>The value template as written.</summary>
    public string? ValueTemplate { get; }

    /// <summary>The handler's parameter types: with the attribute values, they identify the handler at run time.</summary>
    public IReadOnlyList<Type> ParameterTypes { get; }

    /// <summary>The handler's parameter names: they break ties between handlers of the same shape.</summary>
    public IReadOnlyList<string> ParameterNames { get; }

    /// <summary>Reads the event name, or <c>null</c> (no template, or one that does not bind).</summary>
    public Func<EndpointFilterInvocationContext, TrackedValue>? Name { get; }

    /// <summary>Reads the event value, or <c>null</c>.</summary>
    public Func<EndpointFilterInvocationContext, TrackedValue>? Value { get; }

    /// <summary>What each placeholder of the bound name template reads, in order; <c>null</c> when <see cref="Name"/> is.</summary>
    public IReadOnlyList<PlaceholderBinding>? NameBindings { get; }

    /// <summary>What each placeholder of the bound value template reads, in order; <c>null</c> when <see cref="Value"/> is.</summary>
    public IReadOnlyList<PlaceholderBinding>? ValueBindings { get; }
}
