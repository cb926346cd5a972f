using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Piwik.Testing;

/// <summary>
/// A request header collection that is not a <see cref="HeaderDictionary"/> (as Kestrel's is not) and hands every call
/// to one that is: the recorder reads it header by header, so a test or benchmark can hold that read against the
/// one-pass read of the same <see cref="HeaderDictionary"/>.
/// </summary>
/// <param name="inner">The collection every call goes to.</param>
public sealed class PassThroughHeaders(IHeaderDictionary inner) : IHeaderDictionary
{
    /// <inheritdoc />
    public StringValues this[string key] { get => inner[key]; set => inner[key] = value; }

    /// <inheritdoc />
    public long? ContentLength { get => inner.ContentLength; set => inner.ContentLength = value; }

    /// <inheritdoc />
    public ICollection<string> Keys => inner.Keys;

    /// <inheritdoc />
    public ICollection<StringValues> Values => inner.Values;

    /// <inheritdoc />
    public int Count => inner.Count;

    /// <inheritdoc />
    public bool IsReadOnly => inner.IsReadOnly;

#pragma warning disable ASP0019 // a pass-through: the inner dictionary's Add, as the interface asks
    /// <inheritdoc />
    public void Add(string key, StringValues value) => inner.Add(key, value);
#pragma warning restore ASP0019

    /// <inheritdoc />
    public void Add(KeyValuePair<string, StringValues> item) => inner.Add(item);

    /// <inheritdoc />
    public void Clear() => inner.Clear();

    /// <inheritdoc />
    public bool Contains(KeyValuePair<string, StringValues> item) => inner.Contains(item);

    /// <inheritdoc />
    public bool ContainsKey(string key) => inner.ContainsKey(key);

    /// <inheritdoc />
    public void CopyTo(KeyValuePair<string, StringValues>[] array, int arrayIndex) => inner.CopyTo(array, arrayIndex);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, StringValues>> GetEnumerator() => inner.GetEnumerator();

    /// <inheritdoc />
    public bool Remove(string key) => inner.Remove(key);

    /// <inheritdoc />
    public bool Remove(KeyValuePair<string, StringValues> item) => inner.Remove(item);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out StringValues value) => inner.TryGetValue(key, out value);

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
