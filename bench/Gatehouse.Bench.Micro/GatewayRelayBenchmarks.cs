using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Bench.Micro;

/// <summary>
/// One request relayed by the gateway's request path, in process: a client connection, the
/// gateway's session for it, and an attached service, joined by in-memory pipes (no TLS, no
/// sockets). The client sends REQUEST (end of input); the service answers 64 B and STATUS, which
/// the gateway splices back. Allocated bytes per operation are the relay path's cost (plus the
/// two multiplexers' round trips, see <see cref="MuxRoundTripBenchmarks"/>).
/// </summary>
[MemoryDiagnoser]
public class GatewayRelayBenchmarks
{
    private static readonly RequestHeader Request = new() { Domain = "bench", Command = "echo" };
    private static readonly byte[] Reply = new byte[64];
    private readonly List<MuxConnection> _connections = [];
    private MuxConnection? _client;
    private string? _state;

    [GlobalSetup]
    public void Setup()
    {
        _state = Directory.CreateTempSubdirectory("gatehouse-bench-").FullName;
        var identity = PeerIdentity.CreateEphemeral("bench-gateway");
        var runtime = new GatewayRuntime(new GatewayOptions { StateDirectory = _state }, identity, NullLogger.Instance);
        var peer = PeerIdentity.CreateEphemeral("bench-peer").Fingerprint;
        var grant = new PeerGrant(peer, "bench", PeerRoles.Client | PeerRoles.Service, ["*"]);

        // The service: answers every request with 64 bytes and exit 0.
        var (_, gatewayToService) = Pair(serviceHandler: s => _ = RespondAsync(s), gatewayHandler: null);
        var serviceSession = new PeerSession(gatewayToService, grant, peer, null);
        runtime.Routes.Register(serviceSession.Endpoint, "bench", "echo", 1024);

        // The client: its requests go through the gateway's front door and pipeline.
        PeerSession? clientSession = null;
        var handler = GatewayBenchHooks.Handler(runtime, () => clientSession!);
        var (client, gatewayToClient) = Pair(serviceHandler: null, gatewayHandler: handler);
        clientSession = new PeerSession(gatewayToClient, grant, peer, null);
        Task.WhenAll(_connections.Select(c => c.StartAsync())).GetAwaiter().GetResult();
        _client = client;
    }

    private (MuxConnection Dialer, MuxConnection Acceptor) Pair(Action<MuxStream>? serviceHandler, Action<MuxStream>? gatewayHandler)
    {
        var options = new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false);
        var ab = new Pipe(options);
        var ba = new Pipe(options);
        var dialer = new MuxConnection(new Duplex(ba.Reader, ab.Writer), isDialer: true, new MuxOptions { InactivityTimeout = TimeSpan.Zero }, onRequest: serviceHandler);
        var acceptor = new MuxConnection(new Duplex(ab.Reader, ba.Writer), isDialer: false, new MuxOptions { DispatchInline = true, InactivityTimeout = TimeSpan.Zero }, onRequest: gatewayHandler);
        _connections.Add(dialer);
        _connections.Add(acceptor);
        return (dialer, acceptor);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var c in _connections)
        {
            c.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        Directory.Delete(_state!, recursive: true);
    }

    [Benchmark]
    public async Task<int> Relay()
    {
        var stream = await _client!.OpenStreamAsync(Request, endStream: true);
        int received = 0;
        while (true)
        {
            var item = await stream.ReadAsync();
            if (item.Kind == StreamEventKind.Status)
            {
                return received;
            }

            received += item.Length;
            stream.Release(item);
        }
    }

    private static async Task RespondAsync(MuxStream stream)
    {
        await stream.WriteAsync(1, Reply);
        stream.Complete(CallStatus.Exit(0));
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
