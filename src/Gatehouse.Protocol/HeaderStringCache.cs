namespace Gatehouse.Protocol;

/// <summary>
/// Reuses the strings a connection's request headers keep repeating (domain, command, metadata
/// names, and values such as REMOTE_USER or the caller's address), so decoding a header does not
/// allocate them again for every request. A small direct-mapped table keyed by the UTF-8 bytes:
/// a hit costs a hash and a compare; a miss decodes and takes the slot. One per connection, used
/// by its read loop only: not thread-safe.
/// </summary>
public sealed class HeaderStringCache
{
    /// <summary>Longer strings are decoded every time (they are rarely repeated and cost more to compare).</summary>
    public const int MaxLength = 128;

    private const int Slots = 64;
    private readonly Entry[] _entries = new Entry[Slots];

    /// <summary>The cached string for <paramref name="utf8"/>, or null (the caller decodes and calls <see cref="Add"/>).</summary>
    public string? Find(ReadOnlySpan<byte> utf8, out int slot)
    {
        slot = -1;
        if (utf8.Length > MaxLength)
        {
            return null;
        }

        var hash = new HashCode();
        hash.AddBytes(utf8);
        slot = hash.ToHashCode() & (Slots - 1);
        ref var entry = ref _entries[slot];
        return entry.Bytes is { } bytes && utf8.SequenceEqual(bytes) ? entry.Value : null;
    }

    /// <summary>Remembers <paramref name="value"/> (decoded from <paramref name="utf8"/>) in the slot <see cref="Find"/> gave.</summary>
    public void Add(int slot, ReadOnlySpan<byte> utf8, string value)
    {
        if (slot >= 0)
        {
            _entries[slot] = new Entry(utf8.ToArray(), value);
        }
    }

    private readonly record struct Entry(byte[]? Bytes, string? Value);
}
