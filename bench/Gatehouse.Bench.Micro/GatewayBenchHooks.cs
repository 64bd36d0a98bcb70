using Gatehouse.Gateway;
using Gatehouse.Gateway.FrontDoors;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Bench.Micro;

/// <summary>
/// How this build's gateway takes a session's requests: its native front door and request
/// pipeline. (The one part of <see cref="GatewayRelayBenchmarks"/> that differs between builds
/// when the benchmark is run on an older commit for comparison.)
/// </summary>
internal static class GatewayBenchHooks
{
    public static Action<MuxStream> Handler(GatewayRuntime runtime, Func<PeerSession> session)
    {
        var door = new NativeFrontDoor(new RequestPipeline(runtime));
        return stream => door.OnRequest(session(), stream, draining: false);
    }
}
