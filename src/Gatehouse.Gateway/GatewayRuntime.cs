using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Backends;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Gateway.Pipeline.Targets;
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
    private ImmutableArray<ICommandBackend> _backends = [];
    private readonly ConcurrentDictionary<string, PrincipalLoad> _principals = new(StringComparer.Ordinal);
    private long _requests;
    private long _inFlight;
    private int _enforcedVersion = -1;
    private int _ready;
    private readonly LogThrottle _throttle = new(TimeProvider.System, TimeSpan.FromMinutes(1));
    private readonly Lock _stateDirectoryCheck = new();
    private string? _stateDirectoryProblem;

    /// <param name="auditLogger">The audit trail's logger (category Gatehouse.Audit); default: <paramref name="logger"/>.</param>
    public GatewayRuntime(GatewayOptions options, PeerIdentity identity, ILogger logger, ILogger? auditLogger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        HostNames = Options.ResolveRemoteHost ? new RemoteHostNames(Options.RemoteHostTimeout) : null;
        Identity = identity;
        Logger = logger;
        Authorized = new AuthorizedPeers(options.AuthorizedPath);
        LastSeen = new PeerLastSeen(options.LastSeenPath);
        Routes = new RouteTable(options.QueueLength);
        var limits = options.Limits;
        OutputBudget = new Transport.Mux.BufferBudget(limits.OutputBudget);
        Processes = new Commands.Limits.KeyedLimiter("exec processes", limits.MaxExecProcesses, limits.MaxExecProcessesPerPrincipal);
        AddressConnections = new Commands.Limits.KeyedLimiter("connections", 0, limits.MaxConnectionsPerAddress);
        PeerConnections = new Commands.Limits.KeyedLimiter("connections", 0, limits.MaxConnectionsPerPeer);
        Refusals = new Hosting.RefusalLog(logger);
        Metrics = new Observability.GatewayMetrics(this);
        Audit = new Audit.AuditTrail(options.Audit, auditLogger ?? logger, Metrics);
        CheckStateDirectory(always: true);
        ReportAuthorizedFile();
    }

    /// <summary>When each peer was last connected (saved to <c>peers_seen</c> by the sweep).</summary>
    public PeerLastSeen LastSeen { get; }

    /// <summary>The gateway's instruments (published by the diagnostics listener).</summary>
    public Observability.GatewayMetrics Metrics { get; }

    /// <summary>The audit trail (a record per request, when on).</summary>
    public Audit.AuditTrail Audit { get; }

    /// <summary>True once every listener is bound and the configuration loaded (<c>/readyz</c>).</summary>
    public bool IsReady => Volatile.Read(ref _ready) != 0 && !IsDraining;

    internal void MarkReady() => Interlocked.Exchange(ref _ready, 1);

    /// <summary>For tests: awaited at start-up once every listener is bound, just before the gateway counts as ready.</summary>
    internal Func<Task>? BeforeReadyHook { get; set; }

    /// <summary>One line on what is wrong with the cluster registry (etcd out of reach), or null; for <c>/readyz</c> and <c>status</c>.</summary>
    internal Func<string?>? ClusterProblem { get; set; }

    /// <summary>The cluster registry's one-line state (<c>registry etcd: up</c>), for <c>status</c>.</summary>
    internal Func<string>? ClusterRegistry { get; set; }

    /// <summary>Connections refused before or as they authenticated, by cause (rate-limited logging).</summary>
    public Hosting.RefusalLog Refusals { get; }

    /// <summary>The request counter of <paramref name="principal"/>, shared by all its sessions.</summary>
    public PrincipalLoad LoadOf(string principal) => _principals.GetOrAdd(principal, static _ => new PrincipalLoad());

    /// <summary>Output queued for all connections together (<see cref="GatewayLimits.OutputBudget"/>).</summary>
    public Transport.Mux.BufferBudget OutputBudget { get; }

    /// <summary>Exec processes running, in total and per principal.</summary>
    public Commands.Limits.KeyedLimiter Processes { get; }

    /// <summary>Native connections per remote IP address.</summary>
    public Commands.Limits.KeyedLimiter AddressConnections { get; }

    /// <summary>Authenticated native connections per fingerprint.</summary>
    public Commands.Limits.KeyedLimiter PeerConnections { get; }

    public GatewayOptions Options { get; }

    /// <summary>Callers' host names (REMOTE_HOST); null when <see cref="GatewayOptions.ResolveRemoteHost"/> is off.</summary>
    internal RemoteHostNames? HostNames { get; }

    public PeerIdentity Identity
    {
        get => Volatile.Read(ref field);
        internal set => Volatile.Write(ref field, value);
    }

    /// <summary>The key rotation under way, if the gateway runs one (set by the server).</summary>
    public Hosting.IdentityRotation? Rotation { get; internal set; }

    public ILogger Logger { get; }

    public AuthorizedPeers Authorized { get; }

    public RouteTable Routes { get; }

    /// <summary>Live native sessions.</summary>
    public SessionRegistry Sessions { get; } = new();

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

    /// <summary>The diagnostics listener's bound endpoint, once bound (null when off).</summary>
    public System.Net.IPEndPoint? DiagnosticsEndpoint { get; internal set; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// Configured command backends (exec, ZeroMQ), tried in this order after attached services.
    /// Immutable: a request reads the array it started with, and adding one (at start-up) swaps it.
    /// </summary>
    public ImmutableArray<ICommandBackend> Backends => _backends;

    /// <summary>Adds a backend.</summary>
    public void AddBackend(ICommandBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ImmutableInterlocked.Update(ref _backends, static (list, b) => list.Add(b), backend);
    }

    internal void RequestStarted()
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
    }

    internal void RequestEnded() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Requests in progress now.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>
    /// Re-reads the authorized file and every backend's configuration; returns the errors (empty on
    /// success). Never throws: whatever fails keeps its previous configuration and is reported.
    /// </summary>
    public IReadOnlyList<string> Reload()
    {
        var errors = new List<string>();
        if (Authorized.Reload() is { } authError)
        {
            errors.Add(authError);
        }

        foreach (var backend in Backends)
        {
            try
            {
                if (backend.Reload() is { } error)
                {
                    errors.Add(error);
                }
            }
            catch (Exception ex)
            {
                // A backend's own bug must not end the caller (a signal handler or an admin request).
                Log.ReloadFailed(Logger, ex, backend.GetType().Name);
                errors.Add($"{backend.GetType().Name}: {ex.Message}");
            }
        }

        if (Audit.Reopen() is { } auditError)
        {
            errors.Add(auditError);
        }

        CheckStateDirectory(always: true);
        Log.Reloaded(Logger, errors.Count);
        Metrics.Reloaded(errors.Count == 0);
        return errors;
    }

    /// <summary>For tests: runs at the start of every <see cref="Sweep"/>, to inject faults into it.</summary>
    internal Action? SweepHook { get; set; }

    /// <summary>
    /// The gateway's once-a-second background work, run by a timer: re-reads the authorized file if
    /// it changed (or is in error), enforces it on live sessions, reports errors (rate-limited) and
    /// unsafe state-directory modes (once per change). Never throws: an exception escaping a timer
    /// callback would end the process, so anything unexpected is logged (at most once a minute while it
    /// repeats) and the next tick tries again.
    /// </summary>
    public void Sweep()
    {
        try
        {
            SweepHook?.Invoke();
            EnforceAuthorizations();
            ReportAuthorizedFile();
            SaveLastSeen();
            CheckStateDirectory(always: false);
            Refusals.Flush();
        }
        catch (Exception ex)
        {
            if (_throttle.ShouldLog("sweep", ex.GetType().FullName + ": " + ex.Message))
            {
                Log.SweepFailed(Logger, ex);
            }
        }
    }

    /// <summary>Writes <c>peers_seen</c> when it changed (at most every 10 s); an error is logged like other sweep errors, once a minute.</summary>
    private void SaveLastSeen()
    {
        try
        {
            LastSeen.Save(Sessions.Snapshot().Select(s => s.Fingerprint), fp => Authorized.Find(fp) is not null, DateTimeOffset.UtcNow);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (_throttle.ShouldLog("peers_seen", ex.Message))
            {
                Log.LastSeenNotSaved(Logger, Options.LastSeenPath, ex.Message);
            }
        }
    }

    /// <summary>Logs the authorized file's error (at once when new, then once a minute) or its recovery.</summary>
    private void ReportAuthorizedFile()
    {
        if (Authorized.LastError is { } error)
        {
            if (_throttle.ShouldLog("authorized", error))
            {
                Log.AuthorizedFileFailed(Logger, error);
            }
        }
        else if (_throttle.Clear("authorized"))
        {
            Log.AuthorizedFileRecovered(Logger, Authorized.Path, Authorized.All().Count);
        }
    }

    /// <summary>
    /// Warns when the state directory is owned by another user or writable by group or others (the
    /// identity and the authorized file could be replaced by someone else). Logs at start and on
    /// reload (<paramref name="always"/>), and from the sweep only when the problem changed.
    /// </summary>
    private void CheckStateDirectory(bool always)
    {
        string? problem = FileStatus.TryGet(Options.StateDirectory, out var status, out _)
            ? StrictModes.DirectoryProblem(Options.StateDirectory, status)
            : null; // A missing directory is made (0700) when the identity is created.
        lock (_stateDirectoryCheck)
        {
            if (problem is not null && (always || problem != _stateDirectoryProblem))
            {
                Log.UnsafeStateDirectory(Logger, problem);
            }

            _stateDirectoryProblem = problem;
        }
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
        foreach (var session in Sessions.Snapshot())
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
        InFlight,
        ClusterRegistry?.Invoke());

    /// <summary>The product version.</summary>
    public static string Version { get; } =
        typeof(GatewayRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
