using System.Buffers.Binary;

namespace Gatehouse.Cluster.Wire;

/// <summary>A forward-only reader over a span; every Try* checks the length first and consumes nothing on failure.</summary>
internal ref struct SpanCursor
{
    private ReadOnlySpan<byte> _rest;

    public SpanCursor(ReadOnlySpan<byte> span) => _rest = span;

    public readonly bool IsEmpty => _rest.IsEmpty;

    public readonly int Remaining => _rest.Length;

    public bool TryU8(out byte value)
    {
        if (_rest.IsEmpty)
        {
            value = 0;
            return false;
        }

        value = _rest[0];
        _rest = _rest[1..];
        return true;
    }

    public bool TryU16(out ushort value)
    {
        if (!BinaryPrimitives.TryReadUInt16BigEndian(_rest, out value))
        {
            return false;
        }

        _rest = _rest[2..];
        return true;
    }

    public bool TryU32(out uint value)
    {
        if (!BinaryPrimitives.TryReadUInt32BigEndian(_rest, out value))
        {
            return false;
        }

        _rest = _rest[4..];
        return true;
    }

    public bool TryU64(out ulong value)
    {
        if (!BinaryPrimitives.TryReadUInt64BigEndian(_rest, out value))
        {
            return false;
        }

        _rest = _rest[8..];
        return true;
    }

    public bool TryTake(int length, out ReadOnlySpan<byte> bytes)
    {
        if ((uint)length > (uint)_rest.Length)
        {
            bytes = default;
            return false;
        }

        bytes = _rest[..length];
        _rest = _rest[length..];
        return true;
    }
}
