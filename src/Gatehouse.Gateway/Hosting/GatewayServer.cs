using System.Net;
using Gatehouse.Transport.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Gatehouse.Gateway.Membership;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// A running gateway: the Generic Host with Kestrel listening on every configured address, TLS as
/// Kestrel connection middleware with one shared server context, and
/// <see cref="GatewayConnectionHandler"/> behind it. The listener stays up for the whole life of
/// the process; a certificate rotation only swaps the context used by new handshakes.
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConnectionGuard _guard;
    private volatile System.Net.Security.SslServerAuthenticationOptions _tls;
    private Timer? _authorizationSweep;
    private IDisposable? _diagnostics;

    private GatewayServer(WebApplication app, GatewayRuntime runtime, System.Net.Security.SslServerAuthenticationOptions tls)
    {
        _app = app;
        Runtime = runtime;
        _tls = tls;
        _guard = new ConnectionGuard(runtime);
    }

    /// <summary>Shared state of this gateway.</summary>
    public GatewayRuntime Runtime { get; }

    /// <summary>This gateway's fingerprint.</summary>
    public Fingerprint Fingerprint => Runtime.Identity.Fingerprint;

    /// <summary>The bound endpoints (real ports when port 0 was asked for).</summary>
    public IReadOnlyList<IPEndPoint> Endpoints { get; private set; } = [];

    /// <summary>The remctl-compatible listener's endpoint, when it is on.</summary>
    public IPEndPoint? RemctlEndpoint { get; private set; }

    /// <summary>The diagnostics listener's endpoint (<c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c>), when it is on.</summary>
    public IPEndPoint? DiagnosticsEndpoint => Runtime.DiagnosticsEndpoint;

    /// <summary>The first bound port.</summary>
    public int Port => Endpoints[0].Port;

    /// <summary>True when the identity was created by this start.</summary>
    public bool IdentityCreated { get; private set; }

    /// <summary>
    /// Loads or creates the identity in the state directory, binds every listener and starts
    /// accepting. <paramref name="configureLogging"/> may replace the console logger.
    /// </summary>
    public static async Task<GatewayServer> StartAsync(GatewayOptions options, Action<ILoggingBuilder>? configureLogging = null, Action<GatewayRuntime>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(); // before anything is created or bound
        if (options.Cluster.Registry == ClusterRegistryKind.Etcd)
        {
            options.Cluster.Etcd.CheckFiles();
        }
        IdentityRotation.RecoverAtStart(options.StateDirectory);
        var identity = PeerIdentity.LoadOrCreate(options.StateDirectory, "gatehouse-gateway " + Environment.MachineName, out bool created);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "gatehouse" });
        builder.Logging.ClearProviders();
        // Kestrel's start-up lines speak of https:// URLs, which would mislead for a non-HTTP protocol.
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        if (configureLogging is not null)
        {
            configureLogging(builder.Logging);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
        }

        if (options.Audit.Destination == Audit.AuditDestination.Log)
        {
            // Audit entries are Information: a higher minimum level (set for the rest) must not drop them.
            builder.Logging.AddFilter("Gatehouse.Audit", LogLevel.Information);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(5));
        GatewayServer? server = null;
        var tls = TlsSettings.ServerOptions(identity);
        // Socket continuations run inline instead of through Kestrel's I/O queues: every handler on
        // these connections is non-blocking (a read loop that parses and relays frames), and each
        // hop saved is a thread wake-up saved per message.
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        // Each listener's options; Kestrel puts the bound address (real port for port 0) in them at start.
        var gatewayListeners = new List<ListenOptions>();
        ListenOptions? remctlListener = null;
        ListenOptions? diagnosticsListener = null;
        // systemd socket activation: passed sockets replace Listen (and RemctlListen, for the one named remctl).
        var activated = SocketActivation.Take();
        var activatedGateway = activated.Where(a => a.Name != SocketActivation.RemctlName).ToList();
        var activatedRemctl = activated.FirstOrDefault(a => a.Name == SocketActivation.RemctlName);
        var handleEndpoints = new Dictionary<ListenOptions, IPEndPoint>();
        bool remctlOn = options.RemctlListen is not null || activatedRemctl is not null;
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = options.MaxConnections;
            void Listen(string? address, ActivatedSocket? socket, Action<ListenOptions> configure)
            {
                if (socket is not null)
                {
                    kestrel.ListenHandle((ulong)socket.Fd, lo =>
                    {
                        handleEndpoints[lo] = socket.Endpoint;
                        configure(lo);
                    });
                }
                else
                {
                    kestrel.Listen(ParseListen(address!), configure);
                }
            }

            var gatewaySockets = activatedGateway.Count > 0
                ? activatedGateway.Select(a => (Address: (string?)null, Socket: (ActivatedSocket?)a))
                : options.Listen.Select(l => (Address: (string?)l, Socket: (ActivatedSocket?)null));
            foreach (var (address, socket) in gatewaySockets)
            {
                Listen(address, socket, lo =>
                {
                    gatewayListeners.Add(lo);
                    // Outermost: per-address cap and counting of failed handshakes, before TLS.
                    lo.Use(next => context => server!._guard.RunAsync(next, context));
                    lo.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        // One options object (and so one certificate context) for every connection.
                        OnConnection = _ => ValueTask.FromResult(server?._tls ?? tls),
                        HandshakeTimeout = options.HandshakeTimeout,
                    });
                    lo.UseConnectionHandler<GatewayConnectionHandler>();
                });
            }

            if (options.DiagnosticsListen is { } diagnosticsListen)
            {
                // Plain HTTP/1.1 for scrapers and health checks (loopback unless allowed otherwise).
                kestrel.Listen(ParseListen(diagnosticsListen), lo =>
                {
                    diagnosticsListener = lo;
                    lo.Protocols = HttpProtocols.Http1;
                });
            }

            if (remctlOn)
            {
                // The remctl-compatible port: no TLS (GSS-API protects it), same routes and ACLs.
                Listen(options.RemctlListen, activatedRemctl, lo =>
                {
                    remctlListener = lo;
                    // The per-address cap applies here too (no TLS handshake to count on this port).
                    lo.Use(next => async context =>
                    {
                        context.Items[ConnectionGuard.ReachedHandler] = true;
                        var metrics = server!.Runtime.Metrics;
                        metrics.RemctlConnection(1);
                        try
                        {
                            await server._guard.RunAsync(next, context).ConfigureAwait(false);
                        }
                        finally
                        {
                            metrics.RemctlConnection(-1);
                        }
                    });
                    lo.UseConnectionHandler<Remctl.RemctlConnectionHandler>();
                });
            }
        });

        if (options.ReceiveBlockSize > 0)
        {
            // Kestrel resolves its pools from the container, the last registration winning; UseKestrel
            // registers its own factory, so this one must come after it.
            builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(new ReceiveBlockPoolFactory(options.ReceiveBlockSize, ReceiveBlockPool.DefaultRetainedBlocks));
        }

        builder.Services.AddSingleton(sp =>
        {
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            var runtime = new GatewayRuntime(options, identity, loggers.CreateLogger("Gatehouse.Gateway"), loggers.CreateLogger("Gatehouse.Audit"));
            if (options.CommandsFile is { } commandsFile)
            {
                runtime.AddBackend(new Backends.CommandsBackend(commandsFile, loggers, runtime.Processes));
            }

            configure?.Invoke(runtime);
            return runtime;
        });
        // The request pipeline and the front doors that feed it.
        builder.Services.AddSingleton(sp => new ClusterMembership(
            sp.GetRequiredService<GatewayRuntime>(), options.Cluster, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Gatehouse.Cluster")));
        builder.Services.AddSingleton(sp => new Pipeline.RequestPipeline(sp.GetRequiredService<GatewayRuntime>(), sp.GetRequiredService<ClusterMembership>()));
        builder.Services.AddSingleton(sp => new FrontDoors.NativeFrontDoor(sp.GetRequiredService<Pipeline.RequestPipeline>()));
        builder.Services.AddSingleton(sp => new Remctl.RemctlConnectionHandler(
            new Remctl.RemctlServerOptions { KeytabPath = options.RemctlKeytab, AcceptorPrincipal = options.RemctlPrincipal, ProtocolV1 = options.RemctlProtocolV1 },
            new FrontDoors.RemctlFrontDoor(sp.GetRequiredService<GatewayRuntime>(), sp.GetRequiredService<Pipeline.RequestPipeline>()),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<Remctl.RemctlConnectionHandler>()));
        builder.Services.AddSingleton<GatewayConnectionHandler>();
        var app = builder.Build();
        var runtime = app.Services.GetRequiredService<GatewayRuntime>();
        if (remctlOn)
        {
            // Fail at start-up, not at the first client, when the keytab or principal is wrong.
            app.Services.GetRequiredService<Remctl.RemctlConnectionHandler>();
        }
        server = new GatewayServer(app, runtime, tls) { IdentityCreated = created };
        if (options.DiagnosticsListen is not null)
        {
            server._diagnostics = Observability.DiagnosticsEndpoints.Map(app, runtime);
        }

        app.Lifetime.ApplicationStopping.Register(server.BeginDrain);
        // Sweep never throws (an exception escaping a timer callback would end the process).
        var membership = app.Services.GetRequiredService<ClusterMembership>();
        server.Membership = membership;
        runtime.Rotation = new IdentityRotation(options.StateDirectory, runtime, server.RotateCertificate,
            () => membership.Members.Any(m => m.Id != membership.Id));
        server._authorizationSweep = new Timer(static s => ((GatewayServer)s!).Sweep(), server, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        try
        {
            // A broken authorized_peers at start is refused (file:line), never served around: the
            // operator sees the typo at once instead of a gateway that silently grants nothing.
            if (runtime.Authorized.LastError is { } authorizedError)
            {
                throw new Authorization.AuthorizedPeersException(authorizedError);
            }

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A listener could not be bound (a port in use): nothing may keep running behind the
            // caller's back (the sweep timer, the audit writer and its file).
            await server.CleanUpFailedStartAsync().ConfigureAwait(false);
            throw;
        }

        IPEndPoint Bound(ListenOptions listener) => handleEndpoints.GetValueOrDefault(listener) ?? BoundEndpoint(listener);
        server.Endpoints = gatewayListeners.Select(Bound).ToList();
        server.RemctlEndpoint = remctlListener is null ? null : Bound(remctlListener);
        runtime.DiagnosticsEndpoint = diagnosticsListener is null ? null : BoundEndpoint(diagnosticsListener);
        runtime.Listening = server.Endpoints.Select(e => e.ToString()).ToList();
        try
        {
            // UDP on the same addresses and port numbers as the TCP listeners.
            membership.Start(server.Endpoints, server.RemctlEndpoint?.Port);
            if (membership.Etcd is null)
            {
                MembershipLog.Started(runtime.Logger, membership.Address!.ToString(), membership.Id);
            }
        }
        catch (System.Net.Sockets.SocketException ex) when (options.Listen.All(l => l.EndsWith(":0", StringComparison.Ordinal)))
        {
            // "Any free port" was asked for: TCP got one, but the same number is taken for UDP by
            // someone else. The gateway serves; it just cannot be a cluster member.
            MembershipLog.UdpUnavailable(runtime.Logger, string.Join(", ", runtime.Listening), ex.Message);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"Cannot bind UDP for cluster membership on {string.Join(", ", runtime.Listening)}: {ex.Message}", ex);
        }

        runtime.Metrics.ObserveCluster(membership);
        runtime.ClusterRegistry = () => membership.Registry.Health.Describe(membership.Registry.Kind);
        runtime.ClusterProblem = () => membership.Registry.Health is { Up: false } health && membership.Etcd is not null ? health.Describe(membership.Registry.Kind) : null;
        Log.Listening(runtime.Logger, string.Join(", ", runtime.Listening), identity.Fingerprint.ToString());
        if (runtime.BeforeReadyHook is { } hook)
        {
            await hook().ConfigureAwait(false);
        }

        runtime.MarkReady();
        return server;
    }

    private static IPEndPoint BoundEndpoint(ListenOptions listener) =>
        listener.IPEndPoint ?? throw new InvalidOperationException($"Listener {listener.EndPoint} has no IP endpoint");

    /// <summary>Parses <c>ADDR:PORT</c>, <c>*:PORT</c> or <c>[v6]:PORT</c>.</summary>
    public static IPEndPoint ParseListen(string text)
    {
        var ep = Transport.Connections.Endpoint.Parse(text.StartsWith("*:", StringComparison.Ordinal) ? "[::]" + text[1..] : text);
        if (!IPAddress.TryParse(ep.Host, out var address))
        {
            address = ep.Host == "localhost" ? IPAddress.Loopback : throw new FormatException($"'{text}': listen on an IP address, '*' or localhost");
        }

        return new IPEndPoint(address, ep.Port);
    }

    /// <summary>The host's services (for tests).</summary>
    internal IServiceProvider Services => _app.Services;

    /// <summary>Uses <paramref name="identity"/> for new handshakes; existing connections keep theirs.</summary>
    public void RotateCertificate(PeerIdentity identity) => _tls = TlsSettings.ServerOptions(identity);

    /// <summary>
    /// Shutdown began (SIGTERM, StopAsync): every live session is sent GOAWAY. The flag is set
    /// first (a full fence), so a connection registered after the snapshot below sees it and is sent
    /// GOAWAY by its handler instead.
    /// </summary>
    /// <summary>This gateway's cluster membership.</summary>
    public ClusterMembership? Membership { get; private set; }

    /// <summary>The once-a-second work (never throws: the timer would end the process).</summary>
    private void Sweep()
    {
        Runtime.Sweep();
        Runtime.Rotation?.Check(DateTimeOffset.UtcNow);
        try
        {
            Membership?.Sweep();
        }
        catch (Exception ex)
        {
            Log.SweepFailed(Runtime.Logger, ex);
        }
    }

    internal void BeginDrain()
    {
        // Tell the other members first (best effort, bounded), then the connections.
        _ = Membership?.LeaveAsync(TimeSpan.FromSeconds(1));
        Runtime.BeginDraining();
        // Clients that follow redirects are told another live member to reconnect to (spread by session).
        var others = Membership?.Members.Where(m => m.Id != Membership.Id && m.State == global::Gatehouse.Cluster.Membership.MemberState.Alive).OrderBy(m => m.Id, StringComparer.Ordinal).ToList() ?? [];
        int count = Runtime.Sessions.GoAwayAll(Protocol.ErrorCode.NoError, session =>
        {
            if (others.Count == 0 || !session.Connection.PeerSettings.FollowsRedirects)
            {
                return "Gateway shutting down";
            }

            var member = others[(int)(session.Id % others.Count)];
            return Protocol.SeeOtherHost.GoAwayMessage("Gateway shutting down", member.Address.Address.ToString(), member.Address.Port, member.Id);
        });
        Log.Draining(Runtime.Logger, count);
    }

    /// <summary>Stops accepting, sends GOAWAY to every peer, waits for open requests (up to the drain timeout), then stops.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Completes when the host shuts down (Ctrl-C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Cancelled when shutdown begins (SIGTERM, StopAsync), before the sessions are told to go away.</summary>
    public CancellationToken ShutdownStarted => _app.Lifetime.ApplicationStopping;

    private async Task CleanUpFailedStartAsync()
    {
        try
        {
            await DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The start's own failure is what the caller hears about.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_authorizationSweep is not null)
        {
            await _authorizationSweep.DisposeAsync().ConfigureAwait(false);
        }

        await _app.StopAsync().ConfigureAwait(false);
        if (Membership is not null)
        {
            await Membership.DisposeAsync().ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _diagnostics?.Dispose();
        await Runtime.Audit.DisposeAsync().ConfigureAwait(false);
        Runtime.Metrics.Dispose();
    }
}
