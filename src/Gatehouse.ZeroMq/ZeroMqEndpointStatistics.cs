namespace Gatehouse.ZeroMq;

/// <summary>A snapshot of one endpoint's socket pool, for status pages and tests.</summary>
/// <param name="Endpoint">The endpoint string as given to <see cref="ZeroMqBackend.CallAsync"/>.</param>
/// <param name="IdleSockets">Healthy sockets waiting for a call.</param>
/// <param name="BusySockets">Calls holding a socket (sending or awaiting a reply).</param>
/// <param name="QueuedCalls">Calls waiting for a free socket.</param>
/// <param name="SocketsOpened">Sockets opened since the pool was created.</param>
/// <param name="SocketsDiscarded">Sockets thrown away (timeout, cancellation, malformed reply, send failure).</param>
/// <param name="Calls">Calls admitted.</param>
/// <param name="Timeouts">Calls that timed out.</param>
/// <param name="ProtocolErrors">Calls that got a malformed reply.</param>
public sealed record ZeroMqEndpointStatistics(
    string Endpoint,
    int IdleSockets,
    int BusySockets,
    int QueuedCalls,
    long SocketsOpened,
    long SocketsDiscarded,
    long Calls,
    long Timeouts,
    long ProtocolErrors);
