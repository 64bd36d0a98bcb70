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
/// certificates on both hops. Payloads travel as stdin and come back as stdout. Forwarded
/// scenarios: a second gateway process (B) joins the first (A) as a cluster member, authorized on A
/// in the gateway role; the runner's client talks to B, which has no route of its own and forwards
/// over its pooled mutual-TLS link to A: runner -> B -> A -> service, three TLS hops.
/// Redirected scenarios: the same B, started with <c>--redirect bench-redir=redirect</c>; a second
/// client of B (following redirects, as every client of the library does by default) calls the
/// service's commands in domain <c>bench-redir</c>: B answers see-other-host naming A, the client
/// makes the call on A over a new connection, pinned to the fingerprint B gave, and sends later calls
/// of that command straight to A: runner -> A -> service. B forwards domain <c>bench</c> (the
/// default policy) even to clients that follow redirects; <see cref="CheckPathsAsync"/> checks both.
/// </summary>
public sealed class GatehouseSystem : DriverSystem
{
    private ChildProcess? _gateway;
    private ChildProcess? _service;
    private ChildProcess? _forwarder;
    private GatehouseClient? _client;
    private GatehouseClient? _forwardClient;
    private GatehouseClient? _redirectClient;
    private ClientOptions? _redirectOptions;
    private string? _stateDir;
    private BenchEnvironment? _environment;
    private PeerIdentity? _clientIdentity;
    private Endpoint? _endpoint;
    private Endpoint? _forwardEndpoint;
    private Fingerprint _forwarderFingerprint;
    private Fingerprint _gatewayFingerprint;

    private readonly bool _observed;

    /// <param name="observed">
    /// The same with the gateway's metrics and audit trail on (system id <c>gatehouse-observed</c>):
    /// the diagnostics listener scraped once a second and a record per request to a file, so the
    /// columns side by side show what they cost. Direct scenarios only.
    /// </param>
    public GatehouseSystem(bool observed = false) => _observed = observed;

    public override string Id => _observed ? "gatehouse-observed" : "gatehouse";

    public override string Title => _observed ? "GH+obs" : "Gatehouse";

    public override IReadOnlyList<MeasuredProcess> Processes =>
        [new("cl", Environment.ProcessId), new("gw", _gateway?.Pid), new("svc", _service?.Pid)];

    protected override MeasuredProcess? Forwarder => _forwarder is { } b ? new("fwd", b.Pid) : null;

    protected override bool CanStream => true;

    protected override bool CanHoldIdle => true;

    protected override bool CanForward => !_observed;

    protected override bool CanStall => !_observed;

    protected override bool CanRedirect => !_observed;

    public override async Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken)
    {
        string stateDir = environment.Sub("gatehouse-gateway");
        string serviceDir = environment.Sub("gatehouse-service");
        var clientIdentity = PeerIdentity.CreateEphemeral("bench-client");
        using (var serviceIdentity = PeerIdentity.LoadOrCreate(serviceDir, "bench-service", out _))
        {
            // Written before the gateway starts, so both peers are known from its first read.
            string authorized = Path.Combine(stateDir, "authorized_peers");
            AuthorizedPeers.Upsert(authorized, new PeerGrant(clientIdentity.Fingerprint, "bench-client", PeerRoles.Client, [ServiceRole.Domain, ServiceRole.RedirectDomain]));
            AuthorizedPeers.Upsert(authorized, new PeerGrant(serviceIdentity.Fingerprint, "bench-service", PeerRoles.Service, [ServiceRole.Domain, ServiceRole.RedirectDomain]));
        }

        _gateway = _observed ? ChildProcess.StartRole("gateway", "--state", stateDir, "--observe") : ChildProcess.StartRole("gateway", "--state", stateDir);
        string[] ready = (await _gateway.WaitReadyAsync(TimeSpan.FromSeconds(60))).Split(' ');
        int port = int.Parse(ready[0], CultureInfo.InvariantCulture);
        var fingerprint = Fingerprint.Parse(ready[1]);
        var endpoint = new Endpoint("127.0.0.1", port);

        _service = ChildProcess.StartRole("service", "--gateway", endpoint.ToString(), "--fingerprint", fingerprint.ToString(), "--identity", serviceDir);
        await _service.WaitReadyAsync(TimeSpan.FromSeconds(60));

        _clientIdentity = clientIdentity;
        _environment = environment;
        _stateDir = stateDir;
        _endpoint = endpoint;
        _gatewayFingerprint = fingerprint;
        _client = new GatehouseClient(endpoint, new ClientOptions { Identity = clientIdentity, Pins = ClientOptions.PinTo(fingerprint) });
        await _client.ConnectAsync(cancellationToken);
    }

    /// <summary>
    /// Starts gateway B joined to A (redirecting domain <c>bench-redir</c>, forwarding the rest),
    /// authorizes it on A in the gateway role (A's authorized file, as <c>gatehouse authorize</c>
    /// does), and waits until an echo through B succeeds: B has then the client's grant (spread from
    /// A) and A's routes (pulled over TLS).
    /// </summary>
    protected override async Task StartForwardingAsync(CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _forwarder = ChildProcess.StartRole("gateway", "--state", _environment!.Sub("gatehouse-gateway-b"), "--join", $"{_endpoint}={_gatewayFingerprint}",
            "--redirect", $"{ServiceRole.RedirectDomain}=redirect");
        string[] ready = (await _forwarder.WaitReadyAsync(TimeSpan.FromSeconds(60))).Split(' ');
        var endpoint = new Endpoint("127.0.0.1", int.Parse(ready[0], CultureInfo.InvariantCulture));
        var fingerprint = Fingerprint.Parse(ready[1]);
        _forwardEndpoint = endpoint;
        _forwarderFingerprint = fingerprint;
        AuthorizedPeers.Upsert(Path.Combine(_stateDir!, "authorized_peers"), new PeerGrant(fingerprint, "bench-gw-b", PeerRoles.Gateway, []));
        _forwardClient = new GatehouseClient(endpoint, new ClientOptions
        {
            Identity = _clientIdentity!,
            Pins = ClientOptions.PinTo(fingerprint),
            Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 },
            FollowRedirects = true, // the default, said here: B's policy for domain bench is forward, so B still forwards
        });
        _redirectOptions = new ClientOptions { Identity = _clientIdentity!, Pins = ClientOptions.PinTo(fingerprint), FollowRedirects = true };
        _redirectClient = new GatehouseClient(endpoint, _redirectOptions);
        string last = "no attempt";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var result = await _forwardClient.CallAsync(new CallRequest("echo") { Domain = ServiceRole.Domain, Stdin = "x"u8.ToArray() }, cancellationToken);
                if (result.Status.IsSuccess && result.StdoutText == "x")
                {
                    break;
                }

                last = result.Status.ToString();
            }
            catch (ConnectException ex)
            {
                last = ex.Message;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"gateway B never forwarded to A within 60 s (last: {last})");
            }

            await Task.Delay(50, cancellationToken);
        }

        BenchRunner.Progress(string.Create(CultureInfo.InvariantCulture, $"Gatehouse: gateway B forwards to A ({clock.Elapsed.TotalSeconds:0.0} s after it started)"));
    }

    /// <summary>The client and the domain of <paramref name="path"/>'s calls.</summary>
    private (GatehouseClient Client, string Domain) Route(MemberPath path) => path switch
    {
        MemberPath.Forwarded => (_forwardClient!, ServiceRole.Domain),
        MemberPath.Redirected => (_redirectClient!, ServiceRole.RedirectDomain),
        _ => (_client!, ServiceRole.Domain),
    };

    protected override async Task<int> EchoAsync(byte[] payload, MemberPath path)
    {
        var (client, domain) = Route(path);
        var result = await client.CallAsync(new CallRequest("echo") { Domain = domain, Stdin = payload });
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

    protected override async Task<long> StreamAsync(long bytes, MemberPath path)
    {
        var (client, domain) = Route(path);
        await using var call = await client.StartCallAsync(new CallRequest("stream", bytes.ToString(CultureInfo.InvariantCulture)) { Domain = domain });
        long received = 0;
        await foreach (var chunk in call.ReadOutputAsync())
        {
            received += chunk.Data.Length;
        }

        var status = await call.Completion;
        return status.IsSuccess ? received : throw new InvalidOperationException("gatehouse stream: " + status);
    }

    /// <summary>
    /// Before the first redirected scenario: <c>paths</c> in domain <c>bench</c> through B (the
    /// forwarded rows' client, which follows redirects) must arrive naming B (forwarded), and in
    /// domain <c>bench-redir</c> through B (the redirected rows' client) must arrive naming no member:
    /// B has no route of its own, so the call reached A only by following B's redirect.
    /// </summary>
    protected override async Task CheckPathsAsync(CancellationToken cancellationToken)
    {
        var forwarded = await PathsAsync(_forwardClient!, ServiceRole.Domain, cancellationToken);
        if (!Fingerprint.TryParse(forwarded.Via, out var via) || via != _forwarderFingerprint)
        {
            throw new InvalidOperationException($"a call in domain {ServiceRole.Domain} through gateway B was not forwarded by B (it arrived via {forwarded.Via})");
        }

        var redirected = await PathsAsync(_redirectClient!, ServiceRole.RedirectDomain, cancellationToken);
        if (redirected.Via != "-")
        {
            throw new InvalidOperationException($"a call in domain {ServiceRole.RedirectDomain} through gateway B was forwarded (via {redirected.Via}), not redirected");
        }

        BenchRunner.Progress($"Gatehouse: through gateway B, domain {ServiceRole.Domain} is forwarded and domain {ServiceRole.RedirectDomain} redirected to A (checked)");
    }

    /// <summary>After a measured redirected run: no echo or stream of domain <c>bench-redir</c> has ever arrived forwarded.</summary>
    protected override async Task CheckRedirectedAsync(CancellationToken cancellationToken)
    {
        var counts = await PathsAsync(_client!, ServiceRole.RedirectDomain, cancellationToken);
        if (counts.Forwarded != 0)
        {
            throw new InvalidOperationException($"{counts.Forwarded} calls in domain {ServiceRole.RedirectDomain} were forwarded by gateway B, not redirected ({counts.Direct} direct)");
        }
    }

    /// <summary>The service's <c>paths</c> answer in <paramref name="domain"/> through <paramref name="client"/>.</summary>
    private static async Task<(long Forwarded, long Direct, string Via)> PathsAsync(GatehouseClient client, string domain, CancellationToken cancellationToken)
    {
        var result = await client.CallAsync(new CallRequest(ServiceRole.Paths) { Domain = domain }, cancellationToken);
        if (!result.Status.IsSuccess)
        {
            throw new InvalidOperationException($"gatehouse {domain}/{ServiceRole.Paths}: {result.Status}");
        }

        var fields = result.StdoutText.Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        return (long.Parse(fields["forwarded"], CultureInfo.InvariantCulture), long.Parse(fields["direct"], CultureInfo.InvariantCulture), fields["via"]);
    }

    /// <summary>
    /// New clients of B, one at a time, each as the redirected rows' client is made: connected to B
    /// (TLS handshake and HELLO, not timed), then its first echo in domain <c>bench-redir</c> timed:
    /// B's see-other-host answer, a new connection to A (TLS 1.3 handshake with client certificate,
    /// HELLO), and the echo there. Then the client is closed (both its connections). The time each
    /// took to connect to B is kept too: what a new connection costs, for comparison.
    /// </summary>
    protected override async Task<Measurement> FirstCallAsync(int clients, CancellationToken cancellationToken)
    {
        var latencies = new double[clients];
        var connects = new double[clients];
        var payload = new byte[64];
        long bytes = 0;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < clients; i++)
        {
            await using var client = new GatehouseClient(_forwardEndpoint!, _redirectOptions!);
            long c0 = System.Diagnostics.Stopwatch.GetTimestamp();
            await client.ConnectAsync(cancellationToken);
            connects[i] = System.Diagnostics.Stopwatch.GetElapsedTime(c0).TotalMicroseconds;
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = await client.CallAsync(new CallRequest("echo") { Domain = ServiceRole.RedirectDomain, Stdin = payload }, cancellationToken);
            latencies[i] = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            if (!result.Status.IsSuccess || result.Stdout.Length != payload.Length)
            {
                throw new InvalidOperationException($"gatehouse first redirected echo: {result.Status}, {result.Stdout.Length} bytes");
            }

            bytes += result.Stdout.Length;
        }

        Array.Sort(latencies);
        Array.Sort(connects);
        return new Measurement(clients, bytes, System.Diagnostics.Stopwatch.GetElapsedTime(start), latencies, ConnectLatenciesUs: connects);
    }

    /// <summary>
    /// The forwarded stream whose caller stops reading: B's resident memory at rest (the median of
    /// five samples 50 ms apart), then the call through B, its first chunk read, and nothing more
    /// read for <paramref name="hold"/> while B's RSS is sampled every 50 ms (the highest kept).
    /// Before cancelling, the call must still be running (the service was held back, not done).
    /// Also the bytes B holds at the end: what it read from its sockets to A less what it wrote to
    /// the runner's connection, over the call (<see cref="SocketCounters"/>).
    /// </summary>
    protected override async Task<Measurement> StallAsync(long bytes, TimeSpan hold, CancellationToken cancellationToken)
    {
        int pid = _forwarder!.Pid;
        var resting = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            resting.Add(ProcStat.ResidentMegabytes(pid));
            await Task.Delay(50, cancellationToken);
        }

        double idle = Report.Stats.Median(resting);
        var socketsBefore = await SocketCounters.SnapshotAsync();
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var call = await _forwardClient!.StartCallAsync(new CallRequest("stream", bytes.ToString(CultureInfo.InvariantCulture)) { Domain = ServiceRole.Domain }, cancellationToken);
        await using var output = call.ReadOutputAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        if (!await output.MoveNextAsync())
        {
            throw new InvalidOperationException("gatehouse stall: the stream ended before its first chunk: " + await call.Completion);
        }

        long received = output.Current.Data.Length;
        double peak = double.NaN;
        long stopAt = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(hold.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < stopAt)
        {
            await Task.Delay(50, cancellationToken);
            double rss = ProcStat.ResidentMegabytes(pid);
            peak = double.IsNaN(peak) ? rss : Math.Max(peak, rss);
        }

        if (call.Completion.IsCompleted)
        {
            throw new InvalidOperationException("gatehouse stall: the call finished while its caller read nothing: " + await call.Completion);
        }

        var socketsAfter = await SocketCounters.SnapshotAsync();
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
        call.Cancel();

        // B reads the stream from its link to A (peer port A's) and writes it to the runner's
        // connection (local port B's, peer one of this process's sockets to B).
        long? held = null;
        if (socketsBefore is not null && socketsAfter is not null)
        {
            var runnerToB = socketsAfter.Where(x => x.Pid == Environment.ProcessId && TcpSocket.Port(x.Peer) == _forwardEndpoint!.Port).Select(x => x.Local).ToHashSet();
            held = SocketCounters.Held(socketsBefore, socketsAfter, pid,
                from: x => TcpSocket.Port(x.Peer) == _endpoint!.Port,
                to: x => runnerToB.Contains(x.Peer));
        }

        return new Measurement(1, received, elapsed, ServerMemoryMb: peak, BaselineMemoryMb: idle, HeldBytes: held);
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

        if (_forwardClient is not null)
        {
            await _forwardClient.DisposeAsync();
        }

        if (_redirectClient is not null)
        {
            await _redirectClient.DisposeAsync();
        }

        _service?.Stop();
        _forwarder?.Stop();
        _gateway?.Stop();
    }
}
