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
    /// <summary>A request arrived on <paramref name="session"/>'s connection (called on its read loop).</summary>
    /// <param name="draining">The gateway began shutting down before this connection was up: the request is refused as not processed.</param>
    public void OnRequest(PeerSession session, MuxStream stream, bool draining)
    {
        var request = new NativeRequest(session.Caller, stream);
        if (draining)
        {
            pipeline.Refuse(request, CallStatus.Error(ErrorCode.ShuttingDown, "Gateway shutting down; not processed"));
        }
        else
        {
            pipeline.Dispatch(request);
        }
    }
}
