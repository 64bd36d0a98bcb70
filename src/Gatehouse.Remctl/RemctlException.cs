using Gatehouse.Protocol;
using System.Diagnostics.CodeAnalysis;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl;

/// <summary>Base class of every error raised by the remctl library.</summary>
public class RemctlException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public RemctlException() { }

    /// <summary>Creates an exception with a message.</summary>
    public RemctlException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public RemctlException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// A peer violated the remctl protocol. <see cref="ErrorCode"/> is the remctl error code a server sends
/// back in MESSAGE_ERROR for this violation.
/// </summary>
public class RemctlProtocolException : RemctlException
{
    /// <summary>Creates a protocol exception with <see cref="RemctlErrorCode.BadToken"/>.</summary>
    public RemctlProtocolException() : this(RemctlErrorCode.BadToken, RemctlErrorMessages.BadToken) { }

    /// <summary>Creates a protocol exception with <see cref="RemctlErrorCode.BadToken"/>.</summary>
    public RemctlProtocolException(string message) : this(RemctlErrorCode.BadToken, message) { }

    /// <summary>Creates a protocol exception with <see cref="RemctlErrorCode.BadToken"/> and a cause.</summary>
    public RemctlProtocolException(string message, Exception innerException) : base(message, innerException)
        => ErrorCode = RemctlErrorCode.BadToken;

    /// <summary>Creates a protocol exception carrying a remctl error code.</summary>
    public RemctlProtocolException(RemctlErrorCode errorCode, string message) : base(message) => ErrorCode = errorCode;

    /// <summary>The remctl error code for this violation.</summary>
    public RemctlErrorCode ErrorCode { get; }
}

/// <summary>
/// A message carried a protocol version this library does not speak (draft section 3.1). A server answers
/// with MESSAGE_VERSION and otherwise ignores the message.
/// </summary>
public sealed class RemctlVersionException : RemctlProtocolException
{
    /// <summary>Creates the exception for the version seen on the wire.</summary>
    public RemctlVersionException(byte version)
        : base(RemctlErrorCode.BadToken, $"Unsupported protocol version {version}") => Version = version;

    /// <summary>The protocol version seen on the wire.</summary>
    public byte Version { get; }
}

/// <summary>A GSS-API call failed; carries the major and minor status and their display text.</summary>
public sealed class RemctlGssException : RemctlException
{
    /// <summary>Creates the exception.</summary>
    public RemctlGssException(string message, uint majorStatus, uint minorStatus) : base(message)
    {
        MajorStatus = majorStatus;
        MinorStatus = minorStatus;
    }

    /// <summary>GSS-API major status.</summary>
    public uint MajorStatus { get; }

    /// <summary>Mechanism-specific minor status.</summary>
    public uint MinorStatus { get; }
}

/// <summary>Throw helpers keep the hot paths free of inline throw statements.</summary>
/// <summary>A token whose declared length exceeds the reader's limit (remctl's TOKEN_FAIL_LARGE); nothing of it was buffered.</summary>
internal sealed class RemctlTokenTooLargeException(uint length, int limit)
    : RemctlProtocolException(RemctlErrorCode.BadToken, $"Token length {length} exceeds limit {limit}");

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Protocol(RemctlErrorCode code, string message) => throw new RemctlProtocolException(code, message);

    [DoesNotReturn]
    public static T Protocol<T>(RemctlErrorCode code, string message) => throw new RemctlProtocolException(code, message);

    [DoesNotReturn]
    public static void Version(byte version) => throw new RemctlVersionException(version);
}
