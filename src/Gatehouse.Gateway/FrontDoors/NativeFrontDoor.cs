using Gatehouse.Gateway.Pipeline;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.FrontDoors;

/// <summary>
/// Native connections' requests: each stream a peer opens becomes a <see cref="NativeRequest"/>
/// for the pipeline. Runs on the connection's read loop (the pipeline relays most requests from
/// there without waiting and hands everything else to the thread pool).
/// </summary>
internal sealed class NativeFrontDoor(RequestPipeline pipeline)
{
    /// <summary>The request handler for <paramref name="session"/>'s connection.</summary>
    /// <param name="draining">The gateway began shutting down before this connection was up: every request is refused as not processed.</param>
    public Action<MuxStream> HandlerFor(PeerSession session, bool draining) => draining
        ? stream => pipeline.Refuse(new NativeRequest(session.Caller, stream), CallStatus.Error(ErrorCode.ShuttingDown, "Gateway shutting down; not processed"))
        : stream => pipeline.Dispatch(new NativeRequest(session.Caller, stream));
}
