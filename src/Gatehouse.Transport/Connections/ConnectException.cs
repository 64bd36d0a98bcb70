using Gatehouse.Transport.Security;

namespace Gatehouse.Transport.Connections;

/// <summary>Why a connection could not be made.</summary>
public enum ConnectFailure
{
    /// <summary>The host name did not resolve.</summary>
    Unresolved,
    /// <summary>Nothing listens there (TCP RST).</summary>
    Refused,
    /// <summary>No answer within the connect timeout (TCP, TLS or HELLO).</summary>
    Timeout,
    /// <summary>The TLS handshake failed for another reason.</summary>
    Tls,
    /// <summary>The gateway presented a fingerprint other than the pinned one.</summary>
    FingerprintMismatch,
    /// <summary>No fingerprint is pinned for this host.</summary>
    NotTrusted,
    /// <summary>The gateway refused this identity (GOAWAY UNAUTHORIZED_PEER) or another GOAWAY.</summary>
    Rejected,
    /// <summary>The peer broke the protocol during set-up.</summary>
    Protocol,
    /// <summary>Any other socket error (unreachable network, reset).</summary>
    Network,
}

/// <summary>A connection attempt failed; <see cref="Failure"/> says how.</summary>
public sealed class ConnectException : Exception
{
    public ConnectException(ConnectFailure failure, string message, Exception? inner = null, Fingerprint presented = default)
        : base(message, inner)
    {
        Failure = failure;
        Presented = presented;
    }

    public ConnectException() : this(ConnectFailure.Network, "Connection failed") { }

    public ConnectException(string message) : this(ConnectFailure.Network, message) { }

    public ConnectException(string message, Exception inner) : this(ConnectFailure.Network, message, inner) { }

    public ConnectFailure Failure { get; }

    /// <summary>The fingerprint the peer presented, when the TLS handshake got that far.</summary>
    public Fingerprint Presented { get; }

    /// <summary>True when trying again later may succeed (the request never reached a backend).</summary>
    public bool IsTransient => Failure is ConnectFailure.Refused or ConnectFailure.Timeout or ConnectFailure.Network or ConnectFailure.Unresolved;
}
