using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;

namespace Gatehouse.Client.Fanout;

/// <summary>Maps connection failures and final statuses to <see cref="NodeFailure"/>.</summary>
public static class NodeFailures
{
    /// <summary>The node failure for a connection that could not be made.</summary>
    public static NodeFailure From(ConnectFailure failure) => failure switch
    {
        ConnectFailure.Unresolved => NodeFailure.Unresolved,
        ConnectFailure.Refused => NodeFailure.Refused,
        ConnectFailure.Timeout => NodeFailure.Timeout,
        ConnectFailure.Tls => NodeFailure.Tls,
        ConnectFailure.FingerprintMismatch => NodeFailure.FingerprintMismatch,
        ConnectFailure.NotTrusted => NodeFailure.NotTrusted,
        ConnectFailure.Rejected => NodeFailure.Rejected,
        ConnectFailure.Protocol => NodeFailure.Protocol,
        _ => NodeFailure.Network,
    };

    /// <summary>
    /// The node failure for a final status: <see cref="NodeFailure.None"/> for any exit status,
    /// <see cref="NodeFailure.Deadline"/> for DEADLINE_EXCEEDED, else <see cref="NodeFailure.RemoteError"/>.
    /// </summary>
    public static NodeFailure From(CallStatus status) => status switch
    {
        { IsError: false } => NodeFailure.None,
        { ErrorCode: ErrorCode.DeadlineExceeded } => NodeFailure.Deadline,
        _ => NodeFailure.RemoteError,
    };
}
