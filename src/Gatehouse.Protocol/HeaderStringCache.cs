namespace Gatehouse.Protocol;

/// <summary>
/// Reuses the strings a connection's request headers keep repeating (domain, command, metadata
/// names, and values such as REMOTE_USER or the caller's address), so decoding a header does not
/// allocate them again for every request. A small two-way set-associative table keyed by the UTF-8
/// bytes (FNV-1a, so the same strings always land in the same sets): a hit costs a hash and a
/// compare; a miss decodes and takes the set's least recently used way. Colliding strings only
/// cost misses, never a wrong string. One per connection, used by its read loop only: not
/// thread-safe.
/// </summary>
public sealed class HeaderStringCache
{
    /// <summary>Longer strings are decoded every time (they are rarely repeated and cost more to compare).</summary>
    public const int MaxLength = 128;

    private const int Sets = 64;
    private readonly Entry[] _entries = new Entry[Sets * 2]; // way 0 (most recent), way 1, per set

    /// <summary>The cached string for <paramref name="utf8"/>, or null (the caller decodes and calls <see cref="Add"/>).</summary>
    public string? Find(ReadOnlySpan<byte> utf8, out int set)
    {
        set = -1;
        if (utf8.Length > MaxLength)
        {
            return null;
        }

        uint hash = 2166136261;
        foreach (byte b in utf8)
        {
            hash = (hash ^ b) * 16777619;
        }

        set = (int)(hash % Sets);
        int first = set * 2;
        if (_entries[first].Bytes is { } bytes0 && utf8.SequenceEqual(bytes0))
        {
            return _entries[first].Value;
        }

        if (_entries[first + 1].Bytes is { } bytes1 && utf8.SequenceEqual(bytes1))
        {
            // Most recently used goes to way 0.
            (_entries[first], _entries[first + 1]) = (_entries[first + 1], _entries[first]);
            return _entries[first].Value;
        }

        return null;
    }

    /// <summary>Remembers <paramref name="value"/> (decoded from <paramref name="utf8"/>) in the set <see cref="Find"/> gave, evicting the least recently used.</summary>
    public void Add(int set, ReadOnlySpan<byte> utf8, string value)
    {
        if (set >= 0)
        {
            int first = set * 2;
            _entries[first + 1] = _entries[first];
            _entries[first] = new Entry(utf8.ToArray(), value);
        }
    }

    private readonly record struct Entry(byte[]? Bytes, string? Value);
}
