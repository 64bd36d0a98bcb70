using Gatehouse.Protocol;

namespace Gatehouse.Transport.Mux;

/// <summary>The connection is closed or going away; <see cref="Reason"/> says why.</summary>
public sealed class ConnectionClosedException : Exception
{
    public ConnectionClosedException(CallStatus reason) : base(reason.Message) => Reason = reason;

    public ConnectionClosedException() : this(CallStatus.Error(ErrorCode.BackendFailed, "Connection closed")) { }

    public ConnectionClosedException(string message) : this(CallStatus.Error(ErrorCode.BackendFailed, message)) { }

    public ConnectionClosedException(string message, Exception inner) : base(message, inner) => Reason = CallStatus.Error(ErrorCode.BackendFailed, message);

    /// <summary>The status every open request got.</summary>
    public CallStatus Reason { get; }
}

/// <summary>The peer answered the HELLO with GOAWAY (for example: this identity is not authorized).</summary>
public sealed class ConnectionRefusedException : Exception
{
    public ConnectionRefusedException(ErrorCode code, string message) : base(message) => Code = code;

    public ConnectionRefusedException() : this(ErrorCode.ProtocolError, "Connection refused") { }

    public ConnectionRefusedException(string message) : this(ErrorCode.ProtocolError, message) { }

    public ConnectionRefusedException(string message, Exception inner) : base(message, inner) => Code = ErrorCode.ProtocolError;

    /// <summary>The GOAWAY's code.</summary>
    public ErrorCode Code { get; }
}
