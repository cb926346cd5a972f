namespace Piwik.Generator.Model;

// Pipeline models: records of strings, primitives and EquatableArray only (no ISymbol, SyntaxNode or Location), so that
// an unrelated edit produces equal models and every step stays cached.

/// <summary>One <c>[TrackAs]</c> handler, as the emitter needs it.</summary>
/// <param name="Description">Where the handler is, for a comment in the generated code: <c>MapPost("/signup") lambda</c>, <c>Handlers.Login</c>.</param>
/// <param name="Category">The attribute's <c>Category</c>, or null.</param>
/// <param name="Action">The attribute's action.</param>
/// <param name="FailureAction">The attribute's <c>FailureAction</c>, or null.</param>
/// <param name="NameTemplate">The <c>Name</c> template as written, or null.</param>
/// <param name="ValueTemplate">The <c>Value</c> template as written, or null.</param>
/// <param name="Parameters">The handler's parameters, in order.</param>
/// <param name="Name">The bound name accessor, or null (no template, or one that cannot be bound: the analyzer reports it).</param>
/// <param name="Value">The bound value accessor, or null.</param>
internal sealed record TrackedHandlerSpec(
    string Description,
    string? Category,
    string Action,
    string? FailureAction,
    string? NameTemplate,
    string? ValueTemplate,
    EquatableArray<HandlerParameterSpec> Parameters,
    AccessorSpec? Name,
    AccessorSpec? Value);

/// <summary>A handler parameter.</summary>
/// <param name="Name">Its name (without <c>@</c>).</param>
/// <param name="TypeName">Its type, fully qualified, usable in <c>typeof(...)</c> and as a type argument.</param>
internal sealed record HandlerParameterSpec(string Name, string TypeName);

/// <summary>How the emitter turns the bound template into a <c>TrackedValue</c>.</summary>
internal enum AccessorShape
{
    /// <summary>A template without placeholders: a constant text (or, for a value, a constant number).</summary>
    Constant,

    /// <summary>Exactly one placeholder: captured as it is (text or number), without building a string.</summary>
    Single,

    /// <summary>Literal text and placeholders: a string built in the invariant culture.</summary>
    Composite,
}

/// <summary>A bound template.</summary>
/// <param name="Shape">How the value is produced.</param>
/// <param name="Parts">The parts in order (literals and bound placeholders).</param>
/// <param name="IsValue">Whether this is the numeric <c>Value</c> (else the textual <c>Name</c>).</param>
/// <param name="Bindings">What each placeholder binds to, in the table's text (<see cref="Piwik.Shared.PlaceholderBinding.FormatAll"/>): the runtime reads it rather than binding again.</param>
/// <param name="ReadsResult">Whether a placeholder reads the handler's result (<c>{result.Id}</c>).</param>
internal sealed record AccessorSpec(AccessorShape Shape, EquatableArray<AccessorPart> Parts, bool IsValue, string Bindings, bool ReadsResult);

/// <summary>Where a placeholder's value comes from.</summary>
internal enum PartSource
{
    /// <summary>Literal template text.</summary>
    Literal,

    /// <summary>A handler argument (<c>Arguments[index]</c> cast to its type, or <c>GetArgument&lt;T&gt;(index)</c> for a value type) or its result (<c>TemplateValues.Result&lt;T&gt;(context)</c>), then member accesses.</summary>
    Argument,

    /// <summary>A route value (a string), read from <c>HttpContext.Request.RouteValues</c>.</summary>
    RouteValue,
}

/// <summary>One part of a bound template.</summary>
/// <param name="Source">Literal, argument or route value.</param>
/// <param name="Text">Literal: the text. Route value: the route parameter name. Argument: the C# expression reading it (<c>((global::T?)context.Arguments[0])?.A.B</c>).</param>
/// <param name="Kind">The final value's scalar kind (a literal or route value: <see cref="Piwik.Shared.ScalarKind.String"/>).</param>
/// <param name="MaybeNull">Whether the expression's type is nullable (a reference type, or a value type lifted by <c>?.</c>).</param>
internal sealed record AccessorPart(PartSource Source, string Text, Piwik.Shared.ScalarKind Kind, bool MaybeNull);
