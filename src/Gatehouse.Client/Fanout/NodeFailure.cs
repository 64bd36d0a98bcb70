namespace Gatehouse.Client.Fanout;

/// <summary>
/// Why a node gave no normal answer. <see cref="None"/> means the command ran and exited (with any
/// exit code). The connection kinds match <see cref="Gatehouse.Transport.Connections.ConnectFailure"/>.
/// </summary>
public enum NodeFailure
{
    /// <summary>The command ran and exited; see <see cref="NodeResult.ExitCode"/>.</summary>
    None = 0,
    /// <summary>The host name did not resolve.</summary>
    Unresolved,
    /// <summary>Nothing listens there (TCP RST).</summary>
    Refused,
    /// <summary>No TCP connect, TLS handshake or HELLO within the connect timeout.</summary>
    Timeout,
    /// <summary>The TLS handshake failed for a reason other than the fingerprint.</summary>
    Tls,
    /// <summary>The node presented a fingerprint other than the pinned one; nothing was sent to it.</summary>
    FingerprintMismatch,
    /// <summary>No fingerprint is pinned for the node; nothing was sent to it.</summary>
    NotTrusted,
    /// <summary>The node refused this client's identity.</summary>
    Rejected,
    /// <summary>The node broke the protocol during connection set-up.</summary>
    Protocol,
    /// <summary>Another socket error (unreachable network, reset).</summary>
    Network,
    /// <summary>The connection closed before the request could be sent, on every attempt.</summary>
    ConnectionLost,
    /// <summary>The call's deadline passed; <see cref="NodeResult.Result"/> holds any output so far.</summary>
    Deadline,
    /// <summary>The node answered with an error status (unknown command, access denied, backend failed...).</summary>
    RemoteError,
    /// <summary>The caller cancelled, or the fan-out client was disposed, before the node answered.</summary>
    Cancelled,
    /// <summary>An unexpected exception; <see cref="NodeResult.Message"/> has its text.</summary>
    Internal,
}
