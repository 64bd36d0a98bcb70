using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Dispatch;

/// <summary>
/// A source of commands configured on the gateway itself (exec programs, ZeroMQ daemons), as
/// opposed to services that register over the network.
/// </summary>
public interface ICommandBackend
{
    /// <summary>True when this backend has a definition for (domain, command).</summary>
    bool Handles(string domain, string command);

    /// <summary>
    /// Runs the request: writes output to <paramref name="stream"/> (with backpressure), reads stdin
    /// from it, and returns the final status (the caller sends it).
    /// </summary>
    Task<CallStatus> ExecuteAsync(PeerSession caller, RequestHeader forwarded, MuxStream stream, CancellationToken cancellationToken);

    /// <summary>Re-reads configuration; returns an error message, or null on success (the old configuration stays on error).</summary>
    string? Reload();
}
