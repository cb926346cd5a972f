using Microsoft.AspNetCore.Http.Features;

namespace Piwik.Testing;

/// <summary>
/// A response feature that keeps completion callbacks as Kestrel does (a stack, reused from one request to the next)
/// and fires them on demand, the last registered first, as the server does once a response is out: for a
/// <c>DefaultHttpContext</c>, whose own feature drops them (tracked endpoints record from there).
/// </summary>
internal sealed class CompletingResponse : HttpResponseFeature
{
    private readonly Stack<KeyValuePair<Func<object, Task>, object>> _onCompleted = new();

    public override void OnCompleted(Func<object, Task> callback, object state) => _onCompleted.Push(new(callback, state));

    /// <summary>Runs the callbacks registered since the last call.</summary>
    public void FireOnCompleted()
    {
        while (_onCompleted.TryPop(out var entry))
        {
            entry.Key(entry.Value).GetAwaiter().GetResult();
        }
    }
}
