using System.Globalization;
using Gatehouse.Bench.Processes;
using Gatehouse.Bench.Roles;
using NATS.Client.Core;

namespace Gatehouse.Bench.Systems;

/// <summary>
/// NATS: runner (NATS.Net client, request-reply) -> Debian <c>nats-server</c> -> NATS.Net service
/// process (queue-group subscriber). TLS on both hops, client certificates verified by the server.
/// NATS has no natural streamed-response primitive in core request-reply, so the stream row is n/a.
/// </summary>
public sealed class NatsSystem : DriverSystem
{
    private ChildProcess? _server;
    private ChildProcess? _service;
    private NatsConnection? _nats;

    public override string Id => "nats";

    public override string Title => "NATS";

    public override IReadOnlyList<MeasuredProcess> Processes =>
        [new("cl", Environment.ProcessId), new("srv", _server?.Pid), new("svc", _service?.Pid)];

    protected override bool CanStream => false;

    public override async Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken)
    {
        string binary = BenchEnvironment.Which("nats-server")
            ?? throw new SystemUnavailableException("nats-server is not installed (apt-get install nats-server)");
        var (cert, key) = await environment.TlsFilesAsync();
        int port = BenchEnvironment.FreePort();
        string config = Path.Combine(environment.Sub("nats"), "nats.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
            listen: "127.0.0.1:{{port}}"
            max_payload: 8388608
            tls {
              cert_file: "{{cert}}"
              key_file: "{{key}}"
              ca_file: "{{cert}}"
              verify: true
              timeout: 5
            }
            """), cancellationToken);
        _server = ChildProcess.Start("nats-server", binary, ["-c", config], readyMarker: "Server is ready");
        await _server.WaitReadyAsync(TimeSpan.FromSeconds(30));

        string url = $"tls://127.0.0.1:{port}";
        _service = ChildProcess.StartRole("nats-service", "--url", url, "--cert", cert, "--key", key);
        await _service.WaitReadyAsync(TimeSpan.FromSeconds(60));

        _nats = new NatsConnection(NatsBenchOptions.Create(url, cert, key, "bench-client"));
        await _nats.ConnectAsync();
    }

    protected override async Task<int> EchoAsync(byte[] payload)
    {
        var reply = await _nats!.RequestAsync<byte[], byte[]>("bench.echo", payload);
        return reply.Data?.Length ?? 0;
    }

    protected override async Task EmptyAsync() => await _nats!.RequestAsync<byte[], byte[]>("bench.true", []);

    public override async ValueTask DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        _service?.Stop();
        _server?.Stop();
    }
}
