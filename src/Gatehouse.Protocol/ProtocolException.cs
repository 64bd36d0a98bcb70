using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.Protocol;

/// <summary>
/// A violation of docs/protocol.md found while parsing. <see cref="StreamId"/> is 0 for a
/// connection error (GOAWAY with <see cref="Code"/>) and the stream's id for a stream error
/// (that one request ends; the connection stays).
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(ErrorCode code, string message, uint streamId = 0) : base(message)
    {
        Code = code;
        StreamId = streamId;
    }

    public ProtocolException() : this(ErrorCode.ProtocolError, "Protocol error") { }

    public ProtocolException(string message) : this(ErrorCode.ProtocolError, message) { }

    public ProtocolException(string message, Exception inner) : base(message, inner) => Code = ErrorCode.ProtocolError;

    /// <summary>The wire error code to send.</summary>
    public ErrorCode Code { get; }

    /// <summary>0 for a connection error, else the stream the error belongs to.</summary>
    public uint StreamId { get; }

    /// <summary>True when the whole connection must go away.</summary>
    public bool IsConnectionError => StreamId == 0;

    [DoesNotReturn]
    public static void Throw(ErrorCode code, string message) => throw new ProtocolException(code, message);

    [DoesNotReturn]
    public static void ThrowStream(ErrorCode code, uint streamId, string message) => throw new ProtocolException(code, message, streamId);
}
