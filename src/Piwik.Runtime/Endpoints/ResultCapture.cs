using Microsoft.AspNetCore.Http;

namespace Piwik.Endpoints;

/// <summary>
/// The invocation context of a handler whose templates read its result (<c>{result.Id}</c>): the endpoint filter hands
/// this to the recording wrapper instead of ASP.NET Core's context, and sets <see cref="Result"/> once the handler has
/// returned. Arguments are read through to the original. One allocation per request, only on such endpoints.
/// </summary>
internal sealed class ResultCapture : EndpointFilterInvocationContext
{
    private readonly EndpointFilterInvocationContext _inner;

    public ResultCapture(EndpointFilterInvocationContext inner) => _inner = inner;

    /// <summary>What the filter pipeline got from the handler (the awaited value of a <c>Task&lt;T&gt;</c>), once it returned.</summary>
    public object? Result { get; set; }

    public override HttpContext HttpContext => _inner.HttpContext;

    public override IList<object?> Arguments => _inner.Arguments;

    public override T GetArgument<T>(int index) => _inner.GetArgument<T>(index);

    /// <summary>
    /// The value of type <typeparamref name="T"/> in the kept result, as the generator's <c>ResultTypes</c> finds its
    /// type: the object itself, or through <c>Results&lt;…&gt;</c> arms to the value an <see cref="IValueHttpResult{TValue}"/>
    /// carries. Type tests only: no reflection, safe for Native AOT.
    /// </summary>
    public static bool Unwrap<T>(EndpointFilterInvocationContext context, out T value)
    {
        var result = (context as ResultCapture)?.Result;
        for (var depth = 0; depth < 8 && result is not null; depth++)
        {
            switch (result)
            {
                case T found:
                    value = found;
                    return true;
                case IValueHttpResult<T> carrier when carrier.Value is { } carried:
                    value = carried;
                    return true;
                case INestedHttpResult nested:
                    result = nested.Result;
                    continue;
            }

            break;
        }

        value = default!;
        return false;
    }
}
