using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Gatehouse.Gateway.Audit;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// The gateway's instruments (<see cref="System.Diagnostics.Metrics"/>), one meter per gateway. The
/// diagnostics listener publishes them in Prometheus format (<see cref="DiagnosticsEndpoints"/>);
/// with no listener attached, recording a measurement costs a flag check. docs/operations.md lists
/// each instrument and what it means.
/// </summary>
/// <remarks>
/// Label values come from a small fixed set, except a request's domain and command: those are
/// taken only once the gateway found something serving them (an unknown command is counted as
/// <c>-</c>, so a peer cannot make up label values), and at most <see cref="MaxCommandLabels"/>
/// distinct pairs are kept; later ones are counted under <c>(other)</c>.
/// </remarks>
public sealed class GatewayMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Gatehouse.Gateway";

    /// <summary>Most distinct (domain, command) label pairs.</summary>
    public const int MaxCommandLabels = 1000;

    private readonly Meter _meter;
    private readonly ObservableCounter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly ObservableCounter<long> _bytes;
    // Requests by label set and bytes, counted here (an increment per request) and measured only
    // when scraped: cheaper on the request path than a measurement through a listener per request.
    private readonly ConcurrentDictionary<RequestKey, StrongBox<long>> _requestCounts = new();
    private long _bytesIn;
    private long _bytesOut;
    private readonly Counter<long> _handshakes;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _auditDropped;
    private readonly ConcurrentDictionary<(string, string), (string Domain, string Command)> _labels = new();
    private int _remctlConnections;
    private readonly HashSet<string> _rolesSeen = new(StringComparer.Ordinal);

    public GatewayMetrics(GatewayRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _meter = new Meter(MeterName, GatewayRuntime.Version);
        _requests = _meter.CreateObservableCounter("gatehouse.requests", RequestCounts, "{request}", "Requests ended, by front door, domain, command and outcome");
        _duration = _meter.CreateHistogram<double>("gatehouse.request.duration", "s", "Time from a request's arrival to its final status, by front door and target",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _bytes = _meter.CreateObservableCounter("gatehouse.relayed.bytes", () => new Measurement<long>[]
        {
            new(Interlocked.Read(ref _bytesIn), new KeyValuePair<string, object?>("direction", "in")),
            new(Interlocked.Read(ref _bytesOut), new KeyValuePair<string, object?>("direction", "out")),
        }, "By", "Request bytes carried: in (arguments and input from callers), out (output to callers)");
        _handshakes = _meter.CreateCounter<long>("gatehouse.tls.handshakes", "{handshake}", "TLS handshakes completed on the native listeners");
        _reloads = _meter.CreateCounter<long>("gatehouse.config.reloads", "{reload}", "Configuration reloads, by result");
        _auditDropped = _meter.CreateCounter<long>("gatehouse.audit.dropped", "{record}", "Audit records dropped because the audit writer fell behind");

        var queueWait = _meter.CreateHistogram<double>("gatehouse.queue.wait", "s", "How long requests that found every service busy waited in the queue",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 15, 30, 60] });
        runtime.Routes.QueueWaited = seconds => queueWait.Record(seconds);
        _meter.CreateObservableUpDownCounter("gatehouse.requests.in_flight", () => runtime.InFlight, "{request}", "Requests in progress");
        _meter.CreateObservableUpDownCounter("gatehouse.connections", () => Connections(runtime), "{connection}", "Open connections, by role (native peers by their granted roles; remctl)");
        _meter.CreateObservableCounter("gatehouse.connections.refused", () => Refusals(runtime), "{connection}", "Connections turned away before or as they authenticated, by cause (tls_handshake: failed TLS handshakes)");
        _meter.CreateObservableUpDownCounter("gatehouse.queue.length", () => runtime.Routes.Snapshot().Sum(r => (long)r.Queued), "{request}", "Requests waiting for a free service");
        _meter.CreateObservableUpDownCounter("gatehouse.routes", () => runtime.Routes.Count, "{route}", "Routes of services attached here");
        _meter.CreateObservableUpDownCounter("gatehouse.exec.processes", () => runtime.Processes.Total, "{process}", "Exec programs running");
        _meter.CreateObservableCounter("gatehouse.exec.spawns", () => runtime.Processes.Acquired, "{process}", "Exec programs started");
        _meter.CreateObservableCounter("gatehouse.exec.refused", () => runtime.Processes.Refusals, "{process}", "Exec programs not started: a process limit was reached");
        _meter.CreateObservableUpDownCounter("gatehouse.zeromq.sockets", () => ZeroMq(runtime).SelectMany(z => new Measurement<int>[]
        {
            new(z.IdleSockets, new("endpoint", z.Endpoint), new("state", "idle")),
            new(z.BusySockets, new("endpoint", z.Endpoint), new("state", "busy")),
        }), "{socket}", "ZeroMQ daemon sockets pooled, by endpoint and state");
        _meter.CreateObservableUpDownCounter("gatehouse.zeromq.queued", () => ZeroMq(runtime).Select(z => new Measurement<int>(z.QueuedCalls, new KeyValuePair<string, object?>("endpoint", z.Endpoint))), "{call}", "Calls waiting for a free ZeroMQ socket, by endpoint");
        _meter.CreateObservableCounter("gatehouse.zeromq.calls", () => ZeroMq(runtime).SelectMany(z => new Measurement<long>[]
        {
            new(z.Calls, new("endpoint", z.Endpoint), new("result", "all")),
            new(z.Timeouts, new("endpoint", z.Endpoint), new("result", "timeout")),
            new(z.ProtocolErrors, new("endpoint", z.Endpoint), new("result", "protocol_error")),
        }), "{call}", "ZeroMQ daemon calls (all), and those that timed out or broke the protocol, by endpoint");
        _meter.CreateObservableGauge("gatehouse.authorized_peers.invalid", () => runtime.Authorized.LastError is null ? 0 : 1, "{file}", "1 while authorized_peers cannot be loaded (the last good grants stay in force; the log says why)");
        _meter.CreateObservableUpDownCounter("gatehouse.output.buffered", () => runtime.OutputBudget.Used, "By", "Output queued for all connections (bounded by Limits:OutputBudget)");
    }

    /// <summary>True when someone listens to the per-request instruments (the diagnostics listener is on).</summary>
    public bool Active => _requests.Enabled || _duration.Enabled || _bytes.Enabled;

    /// <summary>The meter (the exposition listens to this one only).</summary>
    public Meter Meter => _meter;

    /// <summary>A request ended: counted, timed, its bytes added.</summary>
    internal void RequestEnded(GatewayRequest request, in CallStatus status, string outcome)
    {
        string frontDoor = request.Caller.FrontDoor == FrontDoorKind.Native ? "native" : "remctl";
        if (_requests.Enabled)
        {
            var (domain, command) = Labels(request, status);
            var key = new RequestKey(frontDoor, domain, command, outcome);
            if (!_requestCounts.TryGetValue(key, out var count))
            {
                count = _requestCounts.GetOrAdd(key, static _ => new StrongBox<long>());
            }

            Interlocked.Increment(ref count.Value);
        }

        if (_duration.Enabled)
        {
            _duration.Record(Stopwatch.GetElapsedTime(request.StartedAt).TotalSeconds, new TagList
            {
                { "front_door", frontDoor },
                { "target", AuditTargets.Name(request.Target) },
            });
        }

        if (_bytes.Enabled)
        {
            Interlocked.Add(ref _bytesIn, request.BytesIn + request.ArgumentBytes());
            Interlocked.Add(ref _bytesOut, request.BytesOut);
        }
    }

    private IEnumerable<Measurement<long>> RequestCounts()
    {
        foreach (var (key, count) in _requestCounts)
        {
            yield return new(Interlocked.Read(ref count.Value),
                new("front_door", key.FrontDoor), new("domain", key.Domain), new("command", key.Command), new("outcome", key.Outcome));
        }
    }

    private readonly record struct RequestKey(string FrontDoor, string Domain, string Command, string Outcome);

    /// <summary>A TLS handshake on a native listener completed.</summary>
    internal void HandshakeCompleted() => _handshakes.Add(1);

    /// <summary>A remctl connection opened (+1) or closed (-1).</summary>
    internal void RemctlConnection(int delta) => Interlocked.Add(ref _remctlConnections, delta);

    /// <summary>A configuration reload ended.</summary>
    public void Reloaded(bool ok) => _reloads.Add(1, new KeyValuePair<string, object?>("result", ok ? "ok" : "failed"));

    /// <summary>An audit record was dropped.</summary>
    internal void AuditDropped() => _auditDropped.Add(1);

    /// <summary>Adds the cluster's instruments (members by state, gossip datagrams, registry health).</summary>
    internal void ObserveCluster(Membership.ClusterMembership membership)
    {
        _meter.CreateObservableUpDownCounter("gatehouse.cluster.members", () =>
        {
            var members = membership.Members;
            // Every state, 0 included: a state no longer measured would keep its last value.
            return Enum.GetValues<Gatehouse.Cluster.Membership.MemberState>().Select(state => new Measurement<int>(
                members.Count(m => m.State == state), new KeyValuePair<string, object?>("state", state.ToString().ToLowerInvariant())));
        }, "{member}", "Cluster members known, by state (this gateway included)");
        _meter.CreateObservableCounter("gatehouse.cluster.datagrams", () => Datagrams(membership), "{datagram}", "Gossip datagrams, by direction and outcome");
        _meter.CreateObservableGauge("gatehouse.cluster.registry.up", () =>
        {
            var registry = membership.Registry;
            return new Measurement<int>(registry.Health.Up ? 1 : 0, new KeyValuePair<string, object?>("registry", registry.Kind));
        }, "{registry}", "1 while the cluster registry's store can be reached, 0 while this gateway serves from its last view (gossip: always 1)");
    }

    private static IEnumerable<Measurement<long>> Datagrams(Membership.ClusterMembership membership)
    {
        var s = membership.SecurityCounters;
        yield return new(s.Sealed, new("direction", "sent"), new("result", "ok"));
        yield return new(s.Opened, new("direction", "received"), new("result", "ok"));
        yield return new(s.Malformed, new("direction", "received"), new("result", "malformed"));
        yield return new(s.UnknownSender + s.Revoked, new("direction", "received"), new("result", "unknown_sender"));
        yield return new(s.UnknownKey + s.StaleKey, new("direction", "received"), new("result", "unknown_key"));
        yield return new(s.Forged, new("direction", "received"), new("result", "forged"));
        yield return new(s.Replayed, new("direction", "received"), new("result", "replayed"));
    }

    private IEnumerable<Measurement<int>> Connections(GatewayRuntime runtime)
    {
        // Every role set seen so far is reported, 0 when none is connected now: a gauge that is no
        // longer measured would keep its last value on /metrics.
        var now = runtime.Sessions.Snapshot().GroupBy(s => s.Grant.RolesText).ToDictionary(g => g.Key, g => g.Count());
        string[] roles;
        lock (_rolesSeen)
        {
            _rolesSeen.UnionWith(now.Keys);
            roles = [.. _rolesSeen];
        }

        foreach (string role in roles)
        {
            yield return new(now.GetValueOrDefault(role), new KeyValuePair<string, object?>("role", role));
        }

        yield return new(Volatile.Read(ref _remctlConnections), new KeyValuePair<string, object?>("role", "remctl"));
    }

    private static IEnumerable<ZeroMq.ZeroMqEndpointStatistics> ZeroMq(GatewayRuntime runtime) =>
        runtime.Backends.OfType<Backends.CommandsBackend>().SelectMany(b => b.ZeroMqStatistics());

    private static IEnumerable<Measurement<long>> Refusals(GatewayRuntime runtime)
    {
        foreach (var cause in Enum.GetValues<Hosting.RefusalCause>())
        {
            yield return new(runtime.Refusals.Total(cause), new KeyValuePair<string, object?>("cause", CauseName(cause)));
        }
    }

    private static string CauseName(Hosting.RefusalCause cause) => cause switch
    {
        Hosting.RefusalCause.TlsHandshake => "tls_handshake",
        Hosting.RefusalCause.NoAlpn => "no_alpn",
        Hosting.RefusalCause.NoCertificate => "no_certificate",
        Hosting.RefusalCause.WeakKey => "weak_key",
        Hosting.RefusalCause.UnknownIdentity => "unknown_identity",
        Hosting.RefusalCause.Hello => "hello",
        Hosting.RefusalCause.TooManyFromAddress => "too_many_from_address",
        _ => "too_many_for_peer",
    };

    private (string Domain, string Command) Labels(GatewayRequest request, in CallStatus status)
    {
        if (request.Target == AuditTarget.None || (status.IsError && status.ErrorCode is ErrorCode.UnknownCommand or ErrorCode.BadCommand))
        {
            return ("-", "-"); // nothing served it: the names are the caller's, not the gateway's
        }

        var header = request.Header;
        var key = (header.Domain, header.Command);
        if (_labels.TryGetValue(key, out var labels))
        {
            return labels;
        }

        return _labels.Count >= MaxCommandLabels ? ("(other)", "(other)") : _labels.GetOrAdd(key, key);
    }

    public void Dispose() => _meter.Dispose();
}
