using System.IO.Pipelines;
using Gatehouse.Gateway;
using Gatehouse.Gateway.FrontDoors;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Bench.Micro;

/// <summary>How this build's gateway takes a session's requests: its native front door and request pipeline.</summary>
internal static class GatewayBenchHooks
{
    private static readonly Dictionary<GatewayRuntime, NativeFrontDoor> FrontDoors = [];

    public static MuxConnection Connection(IDuplexPipe pipe, bool isDialer, Action<MuxStream>? handler, bool inline)
    {
        var c = new MuxConnection(pipe, isDialer, new MuxOptions { DispatchInline = inline, InactivityTimeout = TimeSpan.Zero });
        if (handler is not null)
        {
            c.RequestReceived = handler;
        }

        return c;
    }

    public static void Attach(GatewayRuntime runtime, PeerSession session)
    {
        if (!FrontDoors.TryGetValue(runtime, out var door))
        {
            door = new NativeFrontDoor(new RequestPipeline(runtime));
            FrontDoors[runtime] = door;
        }

        session.Connection.RequestReceived = door.HandlerFor(session, draining: false);
    }
}
