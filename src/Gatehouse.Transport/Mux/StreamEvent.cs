using System.Buffers;
using Gatehouse.Protocol;

namespace Gatehouse.Transport.Mux;

/// <summary>What a stream's reader receives next.</summary>
public enum StreamEventKind : byte
{
    /// <summary>Bytes on <see cref="StreamEvent.OutStream"/> (0 for stdin, 1 stdout, 2 stderr, ...).</summary>
    Data,

    /// <summary>The requester sent END_STREAM: no more stdin.</summary>
    EndOfInput,

    /// <summary>
    /// The final status (requester side). Nothing else follows: a read past the end of a stream
    /// (either side) returns a Status event again (see <see cref="MuxStream.ReadAsync"/>).
    /// </summary>
    Status,
}

/// <summary>
/// One item read from a <see cref="MuxStream"/>. A <see cref="StreamEventKind.Data"/> event holds a
/// pooled buffer: pass it back with <see cref="MuxStream.Release"/> once used, which also returns
/// flow-control credit to the sender.
/// </summary>
public readonly struct StreamEvent
{
    internal StreamEvent(StreamEventKind kind, byte outStream, byte[]? buffer, int length, CallStatus status)
    {
        Kind = kind;
        OutStream = outStream;
        Buffer = buffer;
        Length = length;
        Status = status;
    }

    public StreamEventKind Kind { get; }

    public byte OutStream { get; }

    internal byte[]? Buffer { get; }

    public int Length { get; }

    public CallStatus Status { get; }

    /// <summary>The data of a <see cref="StreamEventKind.Data"/> event (valid until released).</summary>
    public ReadOnlyMemory<byte> Data => Buffer is null ? ReadOnlyMemory<byte>.Empty : Buffer.AsMemory(0, Length);

    internal static StreamEvent ForData(byte outStream, ReadOnlySequence<byte> payload)
    {
        int length = (int)payload.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        payload.CopyTo(buffer);
        return new StreamEvent(StreamEventKind.Data, outStream, buffer, length, default);
    }

    internal static StreamEvent ForStatus(in CallStatus status) => new(StreamEventKind.Status, 0, null, 0, status);

    internal static StreamEvent EndOfInput { get; } = new(StreamEventKind.EndOfInput, 0, null, 0, default);
}
