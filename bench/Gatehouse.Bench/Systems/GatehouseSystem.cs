using System.Globalization;
using Gatehouse.Bench.Load;
using Gatehouse.Bench.Processes;
using Gatehouse.Bench.Roles;
using Gatehouse.Client;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Bench.Systems;

/// <summary>
/// Gatehouse: runner (client) -> gateway process -> service process, TLS 1.3 with mutual pinned
/// certificates on both hops. Payloads travel as stdin and come back as stdout.
/// </summary>
public sealed class GatehouseSystem : DriverSystem
{
    private ChildProcess? _gateway;
    private ChildProcess? _service;
    private GatehouseClient? _client;
    private PeerIdentity? _clientIdentity;
    private Endpoint? _endpoint;
    private Fingerprint _gatewayFingerprint;

    public override string Id => "gatehouse";

    public override string Title => "Gatehouse";

    public override IReadOnlyList<MeasuredProcess> Processes =>
        [new("cl", Environment.ProcessId), new("gw", _gateway?.Pid), new("svc", _service?.Pid)];

    protected override bool CanStream => true;

    protected override bool CanHoldIdle => true;

    public override async Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken)
    {
        string stateDir = environment.Sub("gatehouse-gateway");
        string serviceDir = environment.Sub("gatehouse-service");
        var clientIdentity = PeerIdentity.CreateEphemeral("bench-client");
        using (var serviceIdentity = PeerIdentity.LoadOrCreate(serviceDir, "bench-service", out _))
        {
            // Written before the gateway starts, so both peers are known from its first read.
            string authorized = Path.Combine(stateDir, "authorized_peers");
            AuthorizedPeers.Upsert(authorized, new PeerGrant(clientIdentity.Fingerprint, "bench-client", PeerRoles.Client, [ServiceRole.Domain]));
            AuthorizedPeers.Upsert(authorized, new PeerGrant(serviceIdentity.Fingerprint, "bench-service", PeerRoles.Service, [ServiceRole.Domain]));
        }

        _gateway = ChildProcess.StartRole("gateway", "--state", stateDir);
        string[] ready = (await _gateway.WaitReadyAsync(TimeSpan.FromSeconds(60))).Split(' ');
        int port = int.Parse(ready[0], CultureInfo.InvariantCulture);
        var fingerprint = Fingerprint.Parse(ready[1]);
        var endpoint = new Endpoint("127.0.0.1", port);

        _service = ChildProcess.StartRole("service", "--gateway", endpoint.ToString(), "--fingerprint", fingerprint.ToString(), "--identity", serviceDir);
        await _service.WaitReadyAsync(TimeSpan.FromSeconds(60));

        _clientIdentity = clientIdentity;
        _endpoint = endpoint;
        _gatewayFingerprint = fingerprint;
        _client = new GatehouseClient(endpoint, new ClientOptions { Identity = clientIdentity, Pins = ClientOptions.PinTo(fingerprint) });
        await _client.ConnectAsync(cancellationToken);
    }

    protected override async Task<int> EchoAsync(byte[] payload)
    {
        var result = await _client!.CallAsync(new CallRequest("echo") { Domain = ServiceRole.Domain, Stdin = payload });
        return result.Status.IsSuccess ? result.Stdout.Length : throw new InvalidOperationException("gatehouse echo: " + result.Status);
    }

    protected override async Task EmptyAsync()
    {
        var result = await _client!.CallAsync(new CallRequest("true") { Domain = ServiceRole.Domain });
        if (!result.Status.IsSuccess)
        {
            throw new InvalidOperationException("gatehouse true: " + result.Status);
        }
    }

    protected override async Task<long> StreamAsync(long bytes)
    {
        await using var call = await _client!.StartCallAsync(new CallRequest("stream", bytes.ToString(CultureInfo.InvariantCulture)) { Domain = ServiceRole.Domain });
        long received = 0;
        await foreach (var chunk in call.ReadOutputAsync())
        {
            received += chunk.Data.Length;
        }

        var status = await call.Completion;
        return status.IsSuccess ? received : throw new InvalidOperationException("gatehouse stream: " + status);
    }

    /// <summary>
    /// Opens <paramref name="count"/> authenticated connections (TLS 1.3 with client certificate,
    /// HELLO exchanged), leaves them idle for 3 s and reads the gateway's resident memory before and
    /// after; then closes them all.
    /// </summary>
    protected override async Task<Measurement> IdleAsync(int count, CancellationToken cancellationToken)
    {
        int pid = _gateway!.Pid;
        double before = ProcStat.ResidentMegabytes(pid);
        var connections = new Gatehouse.Transport.Mux.MuxConnection[count];
        var options = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(30) };
        var idle = new Gatehouse.Transport.Mux.MuxOptions { InactivityTimeout = TimeSpan.Zero };
        var fingerprint = _gatewayFingerprint;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (i, ct) =>
                connections[i] = await Dialer.ConnectAsync(_endpoint!, _clientIdentity!, f => f == fingerprint, options, idle, cancellationToken: ct));
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            double after = ProcStat.ResidentMegabytes(pid);
            return new Measurement(count, 0, elapsed, ServerMemoryMb: after, ServerMemoryPerConnectionKb: (after - before) * 1024 / count);
        }
        finally
        {
            await Task.WhenAll(connections.Where(c => c is not null).Select(c => c.DisposeAsync().AsTask()));
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        _service?.Stop();
        _gateway?.Stop();
    }
}
