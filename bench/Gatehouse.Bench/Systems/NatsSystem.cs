using System.Globalization;
using Gatehouse.Bench.Load;
using Gatehouse.Bench.Processes;
using Gatehouse.Bench.Roles;
using NATS.Client.Core;

namespace Gatehouse.Bench.Systems;

/// <summary>
/// NATS: runner (NATS.Net client, request-reply) -> Debian <c>nats-server</c> -> NATS.Net service
/// process (queue-group subscriber). TLS on both hops, client certificates verified by the server.
/// NATS has no natural streamed-response primitive in core request-reply, so the stream rows are n/a.
/// Forwarded scenarios: a second <c>nats-server</c> (B) joins the first (A) as a cluster route (the
/// route is TLS with certificates verified both ways, like Gatehouse's member links); the runner's
/// client talks to B, the service stays on A: runner -> B -> A -> service, the request and the
/// reply each crossing the route.
/// </summary>
public sealed class NatsSystem : DriverSystem
{
    private ChildProcess? _server;
    private ChildProcess? _service;
    private ChildProcess? _forwarder;
    private NatsConnection? _nats;
    private NatsConnection? _forwardNats;
    private BenchEnvironment? _environment;
    private int _clusterPort;

    public override string Id => "nats";

    public override string Title => "NATS";

    public override IReadOnlyList<MeasuredProcess> Processes =>
        [new("cl", Environment.ProcessId), new("srv", _server?.Pid), new("svc", _service?.Pid)];

    protected override MeasuredProcess? Forwarder => _forwarder is { } b ? new("fwd", b.Pid) : null;

    protected override bool CanStream => false;

    protected override bool CanForward => true;

    public override async Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken)
    {
        string binary = BenchEnvironment.Which("nats-server")
            ?? throw new SystemUnavailableException("nats-server is not installed (apt-get install nats-server)");
        var (cert, key) = await environment.TlsFilesAsync();
        int port = BenchEnvironment.FreePort();
        _clusterPort = BenchEnvironment.FreePort();
        _environment = environment;

        // A listens for cluster routes from the start (with no route it serves alone, as before);
        // B, started only for the forwarded scenarios, connects to it.
        _server = await StartServerAsync(binary, environment, "nats-server", port, _clusterPort, route: null, cancellationToken);

        string url = $"tls://127.0.0.1:{port}";
        _service = ChildProcess.StartRole("nats-service", "--url", url, "--cert", cert, "--key", key);
        await _service.WaitReadyAsync(TimeSpan.FromSeconds(60));

        _nats = new NatsConnection(NatsBenchOptions.Create(url, cert, key, "bench-client"));
        await _nats.ConnectAsync();
    }

    /// <summary>Starts one <c>nats-server</c> (client TLS as above) listening for cluster routes on <paramref name="clusterPort"/>, with a route to <paramref name="route"/> if given.</summary>
    private static async Task<ChildProcess> StartServerAsync(string binary, BenchEnvironment environment, string name, int port, int clusterPort, int? route, CancellationToken cancellationToken)
    {
        var (cert, key) = await environment.TlsFilesAsync();
        string tls = $$"""
            tls {
                cert_file: "{{cert}}"
                key_file: "{{key}}"
                ca_file: "{{cert}}"
                verify: true
                timeout: 5
              }
            """;
        string routes = route is { } r ? $"routes: [ \"nats-route://127.0.0.1:{r}\" ]" : string.Empty;
        string config = Path.Combine(environment.Sub(name), "nats.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
            server_name: "{{name}}"
            listen: "127.0.0.1:{{port}}"
            max_payload: 8388608
            {{tls}}
            cluster {
              name: "bench"
              listen: "127.0.0.1:{{clusterPort}}"
              {{routes}}
              {{tls}}
            }
            """), cancellationToken);
        var server = ChildProcess.Start(name, binary, ["-c", config], readyMarker: "Server is ready");
        await server.WaitReadyAsync(TimeSpan.FromSeconds(30));
        return server;
    }

    /// <summary>
    /// Starts server B with a route to A and connects the forwarded client to it; returns once a
    /// request through B is answered by the service on A (the route is up and the service's
    /// subscription has reached B).
    /// </summary>
    protected override async Task StartForwardingAsync(CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string binary = BenchEnvironment.Which("nats-server")!;
        int port = BenchEnvironment.FreePort();
        _forwarder = await StartServerAsync(binary, _environment!, "nats-server-b", port, BenchEnvironment.FreePort(), _clusterPort, cancellationToken);
        var (cert, key) = await _environment!.TlsFilesAsync();
        _forwardNats = new NatsConnection(NatsBenchOptions.Create($"tls://127.0.0.1:{port}", cert, key, "bench-client-b"));
        await _forwardNats.ConnectAsync();
        string last = "no attempt";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var reply = await _forwardNats.RequestAsync<byte[], byte[]>("bench.echo", "x"u8.ToArray(), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(1) }, cancellationToken: cancellationToken);
                if (reply.Data is [(byte)'x'])
                {
                    break;
                }

                last = $"reply of {reply.Data?.Length ?? 0} bytes";
            }
            catch (NatsException ex)
            {
                last = ex.Message;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"NATS server B never routed to the service on A within 60 s (last: {last})");
            }

            await Task.Delay(50, cancellationToken);
        }

        BenchRunner.Progress(string.Create(CultureInfo.InvariantCulture, $"NATS: server B routes to A ({clock.Elapsed.TotalSeconds:0.0} s after it started)"));
    }

    protected override async Task<int> EchoAsync(byte[] payload, MemberPath path)
    {
        var reply = await (path == MemberPath.Forwarded ? _forwardNats! : _nats!).RequestAsync<byte[], byte[]>("bench.echo", payload);
        return reply.Data?.Length ?? 0;
    }

    protected override async Task EmptyAsync() => await _nats!.RequestAsync<byte[], byte[]>("bench.true", []);

    public override async ValueTask DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        if (_forwardNats is not null)
        {
            await _forwardNats.DisposeAsync();
        }

        _service?.Stop();
        _forwarder?.Stop();
        _server?.Stop();
    }
}
