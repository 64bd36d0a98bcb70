using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.FrontDoors;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;
using Gatehouse.Transport.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Tests;

/// <summary>
/// A gateway's request pipeline with its native front door, fed by in-memory connections (no TLS,
/// no sockets): clients and services are real <see cref="MuxConnection"/>s whose gateway side is a
/// real <see cref="PeerSession"/>, so requests take exactly the path they take in the gateway.
/// </summary>
internal sealed class PipelineHarness : IAsyncDisposable
{
    private readonly List<MuxConnection> _connections = [];
    private readonly string _state;

    private PipelineHarness(GatewayOptions options)
    {
        _state = options.StateDirectory;
        Runtime = new GatewayRuntime(options, PeerIdentity.CreateEphemeral("gateway"), NullLogger.Instance);
        Pipeline = new RequestPipeline(Runtime);
        FrontDoor = new NativeFrontDoor(Pipeline);
    }

    public GatewayRuntime Runtime { get; }

    public RequestPipeline Pipeline { get; }

    public NativeFrontDoor FrontDoor { get; }

    public static PipelineHarness Create(Func<GatewayOptions, GatewayOptions>? configure = null)
    {
        var options = new GatewayOptions { StateDirectory = Directory.CreateTempSubdirectory("gatehouse-pipeline-").FullName };
        return new PipelineHarness(configure?.Invoke(options) ?? options);
    }

    public static PeerGrant Grant(string name, PeerRoles roles, params string[] domains) =>
        new(PeerIdentity.CreateEphemeral(name).Fingerprint, name, roles, domains);

    /// <summary>A peer connected to the gateway with <paramref name="grant"/>: its own side and its gateway session.</summary>
    public async Task<(MuxConnection Peer, PeerSession Session)> ConnectAsync(PeerGrant grant, Action<MuxStream>? onPeerRequest = null)
    {
        PeerSession? session = null;
        var (peer, gatewaySide) = await InMemoryPair.StartAsync(
            onAcceptorRequest: s => FrontDoor.OnRequest(session!, s, draining: false),
            onDialerRequest: onPeerRequest);
        session = new PeerSession(gatewaySide, grant, grant.Fingerprint, null, Runtime.LoadOf(grant.Name));
        _connections.Add(peer);
        _connections.Add(gatewaySide);
        return (peer, session);
    }

    /// <summary>
    /// A service attached for (domain, command) that answers every request with <paramref name="serve"/>;
    /// it registers with the gateway's own <c>gatehouse register</c> command, as the SDK does.
    /// </summary>
    public async Task<(MuxConnection Service, PeerSession Session)> AttachServiceAsync(string domain, string command, int concurrency, Func<MuxStream, Task> serve, string name = "svc")
    {
        var (service, session) = await ConnectAsync(Grant(name, PeerRoles.Service), s => _ = serve(s));
        var (output, status) = await CallAsync(service, RequestHeader.ControlDomain, "register", [domain, command, concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!status.IsSuccess)
        {
            throw new InvalidOperationException($"register failed: {status} {output}");
        }

        return (service, session);
    }

    /// <summary>Sends one request (no input) and reads it to its end: stdout as text and the status.</summary>
    public static async Task<(string Stdout, CallStatus Status)> CallAsync(MuxConnection peer, string domain, string command, string[]? args = null, uint deadlineMs = 0, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        var header = new RequestHeader
        {
            Domain = domain,
            Command = command,
            Arguments = (args ?? []).Select(a => (ReadOnlyMemory<byte>)System.Text.Encoding.UTF8.GetBytes(a)).ToArray(),
            DeadlineMs = deadlineMs,
            Metadata = metadata ?? [],
        };
        var stream = await peer.OpenStreamAsync(header, endStream: true);
        return await ReadAllAsync(stream);
    }

    /// <summary>Reads a stream to its status; fails if a second status or anything after it arrives within a moment.</summary>
    public static async Task<(string Stdout, CallStatus Status)> ReadAllAsync(MuxStream stream)
    {
        var stdout = new System.Text.StringBuilder();
        while (true)
        {
            var item = await stream.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            if (item.Kind == StreamEventKind.Status)
            {
                return (stdout.ToString(), item.Status);
            }

            if (item.OutStream == 1)
            {
                stdout.Append(System.Text.Encoding.UTF8.GetString(item.Data.Span));
            }

            stream.Release(item);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _connections)
        {
            await c.DisposeAsync();
        }

        Directory.Delete(_state, recursive: true);
    }
}
