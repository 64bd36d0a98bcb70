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
    private static readonly MuxOptions Peer = new() { InactivityTimeout = TimeSpan.Zero };
    private static readonly MuxOptions GatewaySide = new() { InactivityTimeout = TimeSpan.Zero, DispatchInline = true };
    private readonly List<MuxConnection> _connections = [];
    private MuxConnection? _client;
    private string? _state;
    private GatewayRuntime? _runtime;
    private Gatehouse.Gateway.Observability.PrometheusBridge? _bridge;

    /// <summary>With the metrics published (as when the diagnostics listener is on) and the audit trail writing a file.</summary>
    [Params(false, true)]
    public bool Observed { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _state = Directory.CreateTempSubdirectory("gatehouse-bench-").FullName;
        var identity = PeerIdentity.CreateEphemeral("bench-gateway");
        var options = new GatewayOptions { StateDirectory = _state };
        if (Observed)
        {
            options = options with { Audit = new Gatehouse.Gateway.Audit.AuditOptions { Destination = Gatehouse.Gateway.Audit.AuditDestination.File, Path = Path.Combine(_state, "audit.jsonl") } };
        }

        var runtime = new GatewayRuntime(options, identity, NullLogger.Instance);
        _runtime = runtime;
        if (Observed)
        {
            _bridge = new Gatehouse.Gateway.Observability.PrometheusBridge(runtime.Metrics.Meter, Prometheus.Metrics.NewCustomRegistry());
        }

        var peer = PeerIdentity.CreateEphemeral("bench-peer").Fingerprint;
        var grant = new PeerGrant(peer, "bench", PeerRoles.Client | PeerRoles.Service, ["*"]);

        // The service: answers every request with 64 bytes and exit 0.
        var (service, gatewayToService) = InMemoryConnections.Pair(Peer, GatewaySide, onDialerRequest: s => _ = InMemoryConnections.RespondAsync(s), onAcceptorRequest: null);
        var serviceSession = new PeerSession(gatewayToService, grant, peer, null);
        runtime.Routes.Register(serviceSession.Endpoint, "bench", "echo", 1024);

        // The client: its requests go through the gateway's front door and pipeline.
        PeerSession? clientSession = null;
        var (client, gatewayToClient) = InMemoryConnections.Pair(Peer, GatewaySide, onDialerRequest: null, onAcceptorRequest: GatewayBenchHooks.Handler(runtime, () => clientSession!));
        clientSession = new PeerSession(gatewayToClient, grant, peer, null);
        _connections.AddRange([service, gatewayToService, client, gatewayToClient]);
        Task.WhenAll(_connections.Select(c => c.StartAsync())).GetAwaiter().GetResult();
        _client = client;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bridge?.Dispose();
        _runtime!.Audit.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var c in _connections)
        {
            c.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        Directory.Delete(_state!, recursive: true);
    }

    [Benchmark]
    public Task<int> Relay() => InMemoryConnections.CallAsync(_client!, Request);
}
