using System.Collections.Concurrent;
using System.Reflection;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Dispatch;
using Gatehouse.Gateway.Routing;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway;

/// <summary>
/// The state one gateway shares across its connections: identity, authorized peers, routes,
/// sessions, backends and counters.
/// </summary>
public sealed class GatewayRuntime
{
    private readonly List<ICommandBackend> _backends = [];
    private long _requests;
    private long _inFlight;
    private int _enforcedVersion = -1;

    public GatewayRuntime(GatewayOptions options, PeerIdentity identity, ILogger logger)
    {
        Options = options;
        Identity = identity;
        Logger = logger;
        Authorized = new AuthorizedPeers(options.AuthorizedPath);
        Routes = new RouteTable(options.QueueLength);
        Dispatcher = new RequestDispatcher(this);
    }

    public GatewayOptions Options { get; }

    public PeerIdentity Identity { get; }

    public ILogger Logger { get; }

    public AuthorizedPeers Authorized { get; }

    public RouteTable Routes { get; }

    internal RequestDispatcher Dispatcher { get; }

    /// <summary>Live sessions by id.</summary>
    public ConcurrentDictionary<long, PeerSession> Sessions { get; } = new();

    private int _draining;

    /// <summary>
    /// True once shutdown began. Kestrel still accepts connections for a moment after that (until
    /// its listeners are unbound), so a connection that arrives then is sent GOAWAY as soon as it is
    /// up, like the ones open when the drain began.
    /// </summary>
    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    /// <summary>Marks the gateway as draining (before the live sessions are told to go away).</summary>
    internal void BeginDraining() => Interlocked.Exchange(ref _draining, 1);

    /// <summary>The addresses actually bound (filled in at start).</summary>
    public IReadOnlyList<string> Listening { get; internal set; } = [];

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Configured command backends (exec, ZeroMQ), tried after registered services.</summary>
    public IReadOnlyList<ICommandBackend> Backends
    {
        get
        {
            lock (_backends)
            {
                return [.. _backends];
            }
        }
    }

    /// <summary>Adds a backend.</summary>
    public void AddBackend(ICommandBackend backend)
    {
        lock (_backends)
        {
            _backends.Add(backend);
        }
    }

    internal void RequestStarted()
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
    }

    internal void RequestEnded() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Re-reads the authorized file and every backend's configuration; returns the errors (empty on success).</summary>
    public IReadOnlyList<string> Reload()
    {
        var errors = new List<string>();
        if (Authorized.Reload() is { } authError)
        {
            errors.Add(authError);
        }

        foreach (var backend in Backends)
        {
            if (backend.Reload() is { } error)
            {
                errors.Add(error);
            }
        }

        Log.Reloaded(Logger, errors.Count);
        return errors;
    }

    /// <summary>
    /// Re-reads the authorized file if it changed and sends GOAWAY UNAUTHORIZED_PEER to every session
    /// whose grant was removed or changed (its requests in flight finish; a changed peer reconnects
    /// with its new grant). Called about once a second.
    /// </summary>
    /// <returns>How many sessions were told to go.</returns>
    public int EnforceAuthorizations()
    {
        Authorized.ReloadIfChanged();
        int version = Authorized.Version;
        if (Interlocked.Exchange(ref _enforcedVersion, version) == version)
        {
            return 0; // no load since the last sweep (a connection may have triggered it: compare versions, not this call)
        }

        int revoked = 0;
        foreach (var session in Sessions.Values)
        {
            var current = Authorized.Find(session.Fingerprint);
            if (current is null || current.ToLine() != session.Grant.ToLine())
            {
                revoked++;
                session.Connection.GoAway(Protocol.ErrorCode.UnauthorizedPeer,
                    current is null ? "This identity's authorization was revoked" : "This identity's authorization changed; reconnect");
                Log.PeerRevoked(Logger, session.Describe());
            }
        }

        return revoked;
    }

    /// <summary>A snapshot for <c>gatehouse status</c>.</summary>
    public GatewayStatus GetStatus() => new(
        Version,
        Identity.Fingerprint.ToString(),
        Listening,
        (long)(DateTimeOffset.UtcNow - StartedAt).TotalSeconds,
        Sessions.Count,
        Routes.Snapshot().Count,
        Interlocked.Read(ref _requests),
        Interlocked.Read(ref _inFlight));

    /// <summary>The product version.</summary>
    public static string Version { get; } =
        typeof(GatewayRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
