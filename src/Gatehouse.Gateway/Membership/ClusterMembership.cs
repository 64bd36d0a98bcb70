using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Gatehouse.Cluster.Membership;
using Gatehouse.Cluster.Security;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Cluster;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// This gateway as a cluster member: its SWIM node (member id = its fingerprint), the UDP sockets
/// on its listen addresses (TCP port number), the datagram keys, and the TLS links to other
/// members. Members are gateways authorized in the <c>gateway</c> role (or named in
/// <c>--join</c>); each one's datagram key reaches the others only over their mutual TLS. Alone,
/// it sends nothing.
/// </summary>
public sealed partial class ClusterMembership : IAsyncDisposable
{
    private readonly GatewayRuntime _runtime;
    private int? _remctlPort;
    private readonly ILogger _logger;
    private readonly string _id;
    private readonly DatagramSecurity _security;
    private readonly GatewayLinks _links;
    private readonly GrantSync? _ledger; // gossip only: with a registry store, RegistryGrants keeps the grants
    private readonly ConcurrentDictionary<IPEndPoint, Fingerprint> _joinTargets = new();
    private readonly ConcurrentDictionary<string, byte> _keying = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _pulling = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _pullFailed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _needsKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _keyFailed = new(StringComparer.Ordinal);
    private readonly RemoteRoutes _remoteRoutes;
    private readonly CancellationTokenSource _stop = new();
    private UdpTransport? _udp;
    private SwimNode? _node;
    private long _advertisedRoutesVersion = -1;
    private int _routesChangeQueued;
    private int _rotations;
    private int _disposed;
    private bool _selfGranted;

    public ClusterMembership(GatewayRuntime runtime, ClusterOptions options, ILogger logger)
    {
        _runtime = runtime;
        Options = options.Validate();
        _logger = logger;
        _id = runtime.Identity.Fingerprint.ToString();
        _security = new DatagramSecurity(_id);
        _links = new GatewayLinks(this, runtime.Identity, logger);
        _remoteRoutes = new RemoteRoutes(Options.MaxRemoteRoutes);
        if (Options.Registry == ClusterRegistryKind.Etcd)
        {
            // One source of truth: no SWIM, no UDP, no grant ledger (docs/cluster.md, "etcd registry").
            _registryGrants = new RegistryGrants(runtime.Options.AuthorizedPath, Path.Combine(runtime.Options.StateDirectory, RegistryGrants.FileName), runtime.Identity.Fingerprint);
            return;
        }

        _ledger = GrantSync.Open(runtime.Options.AuthorizedPath, Path.Combine(runtime.Options.StateDirectory, GrantStateFile.FileName), _id, TimeProvider.System);
        if (_ledger.StartupError is { } error)
        {
            MembershipLog.GrantsProblem(logger, error);
        }
    }

    public ClusterOptions Options { get; }

    /// <summary>The gossip membership's grant ledger (not used with a registry store).</summary>
    private GrantSync Ledger => _ledger ?? throw new InvalidOperationException("the grant ledger is gossip's; this gateway keeps its grants in the " + Options.Registry + " registry");

    /// <summary>This member's id: its fingerprint.</summary>
    public string Id => _id;

    /// <summary>The address other members reach this one at; null before start.</summary>
    public IPEndPoint? Address { get; private set; }

    /// <summary>Datagrams dropped by the security layer, by cause.</summary>
    public SecurityCounters SecurityCounters => _security.Counters;

    /// <summary>The TLS link to a member closed without a word from it: probe it next (a hint to SWIM, not a verdict).</summary>
    internal void LinkLost(string memberId)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _node?.ProbeSoon(memberId);
        }
    }

    /// <summary>The links to other members (forwarding dials through them).</summary>
    internal GatewayLinks Links => _links;

    private System.Collections.Immutable.ImmutableDictionary<string, LiveMember> _live = System.Collections.Immutable.ImmutableDictionary.Create<string, LiveMember>(StringComparer.Ordinal);

    private readonly object _liveLock = new();

    private void SetLive(string id, LiveMember? member)
    {
        lock (_liveLock)
        {
            Volatile.Write(ref _live, member is null ? _live.Remove(id) : _live.SetItem(id, member));
        }
    }

    /// <summary>The other members alive or suspect and trusted, with their gossiped load (updated on every change; read lock-free).</summary>
    internal System.Collections.Immutable.ImmutableDictionary<string, LiveMember> LiveMembers => Volatile.Read(ref _live);

    /// <summary>The other members (ids) whose route lists, as pulled, serve (domain, command).</summary>
    public IReadOnlyList<string> MembersServing(string domain, string command) => _remoteRoutes.MembersServing(domain, command);

    /// <summary>The route lists pulled from the other members (which member serves what).</summary>
    internal RemoteRoutes RemoteRoutes => _remoteRoutes;

    /// <summary>The members as this one sees them (itself included); empty before start.</summary>
    public IReadOnlyList<MemberSnapshot> Members => _etcd is not null ? Volatile.Read(ref _registryMembers) : _node?.Members ?? [];

    /// <summary>This membership as a cluster registry (issue 21): the same members, route lists and grants, read through <see cref="Gatehouse.Cluster.Registry.IClusterRegistry"/>.</summary>
    public Gatehouse.Cluster.Registry.IClusterRegistry Registry => (Gatehouse.Cluster.Registry.IClusterRegistry?)_etcd ?? (_registry ??= new GossipRegistry(this));

    private GossipRegistry? _registry;

    /// <summary>
    /// Raised when a member, a pulled route list or a grant changed (for <see cref="GossipRegistry"/>).
    /// Member changes are raised under the node's lock: handlers only queue work.
    /// </summary>
    internal event EventHandler<Gatehouse.Cluster.Registry.RegistryChange>? RegistryChanged;

    private void RaiseRegistryChanged(Gatehouse.Cluster.Registry.RegistryChangeKind kind, string id, bool removed) =>
        RegistryChanged?.Invoke(this, new Gatehouse.Cluster.Registry.RegistryChange(kind, id, removed));

    /// <summary>The grants in force (the ledger's, removals left out).</summary>
    internal IEnumerable<PeerGrant> CurrentGrants() => _registryGrants is { } mirror ? mirror.InForce(Registry.View) : Ledger.Export().Where(e => e.Grant is not null).Select(e => e.Grant!);

    /// <summary>Gossips this member's record again now (its routes and load are read from the gateway).</summary>
    internal void RegossipMetadata()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _node?.UpdateMetadata(Metadata());
        }
    }

    /// <summary>Grants <paramref name="grant"/> in this gateway's authorized_peers and spreads it (as <c>gatehouse authorize</c> on this gateway).</summary>
    internal void GrantHere(PeerGrant grant)
    {
        AuthorizedPeers.Upsert(_runtime.Options.AuthorizedPath, grant);
        Apply(Ledger.OnLocalFileChanged());
    }

    /// <summary>Removes the grant of <paramref name="fingerprint"/> here and spreads the removal.</summary>
    internal void RemoveGrantHere(Fingerprint fingerprint)
    {
        AuthorizedPeers.Remove(_runtime.Options.AuthorizedPath, fingerprint);
        Apply(Ledger.OnLocalFileChanged());
    }

    /// <summary>Binds UDP next to the gateway's TCP listeners and starts the node; joins through <see cref="ClusterOptions.Join"/>, retrying in the background.</summary>
    /// <exception cref="SocketException">A UDP port is taken.</exception>
    public void Start(IReadOnlyList<IPEndPoint> boundTcp, int? remctlPort = null)
    {
        _remctlPort = remctlPort;
        var address = Advertised(boundTcp);
        if (_registryGrants is not null)
        {
            Address = address;
            StartOnRegistry();
            return;
        }

        _udp = new UdpTransport(boundTcp);
        Address = address;
        _node = new SwimNode(_id, address, Options.Swim, _security, _udp, _links, TimeProvider.System, _logger, metadata: Metadata());
        _node.MemberChanged += OnMemberChanged;
        _node.KeyMissing += OnKeyMissing;
        _runtime.Routes.Changed += OnRoutesChanged;
        _node.Start();
        if (Options.Join.Count > 0)
        {
            _ = JoinLoopAsync(_stop.Token);
        }

        if (Options.KeyRotation > TimeSpan.Zero)
        {
            _ = RotationLoopAsync(Options.KeyRotation, _stop.Token);
        }
    }

    /// <summary>The id of the key this member seals its datagrams with now.</summary>
    internal uint CurrentKeyId => _security.CurrentSendKey.KeyId;

    /// <summary>Datagram key rotations done (for tests and status).</summary>
    internal int Rotations => Volatile.Read(ref _rotations);

    private async Task RotationLoopAsync(TimeSpan every, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await RotateKeyAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Replaces this member's datagram send key: the next key is handed to every live trusted member
    /// over TLS (an exchange carries it), then used. A member that could not be reached is given the
    /// key by a direct exchange from the sweep, once a second, until one works; until then it drops
    /// this member's datagrams as of an unknown key, and the fallback probe over TLS keeps this member
    /// alive to it.
    /// </summary>
    internal async Task RotateKeyAsync(CancellationToken cancellationToken)
    {
        if (_node is not { } node)
        {
            return;
        }

        var next = _security.PrepareNextSendKey();
        var members = node.Members.Where(m => m.Id != _id && m.State is MemberState.Alive or MemberState.Suspect && IsTrusted(m.Id)).ToList();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        var handed = await Task.WhenAll(members.Select(async m =>
        {
            try
            {
                if (Fingerprint.TryParse(m.Id, out var fp))
                {
                    node.MergeRemoteState(await _links.ExchangeWithAsync(m.Address, fp, node.LocalState(), limit.Token).ConfigureAwait(false));
                    return true;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (_keyFailed.TryAdd(m.Id, 0))
                {
                    MembershipLog.KeyExchangeFailed(_logger, m.Id, m.Address.ToString(), ex.Message);
                }
            }

            _needsKey.TryAdd(m.Id, 0);
            return false;
        })).ConfigureAwait(false);
        _security.ActivateNextSendKey();
        Interlocked.Increment(ref _rotations);
        MembershipLog.KeyRotated(_logger, next.KeyId, handed.Count(h => h), members.Count);
    }

    private async Task JoinLoopAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        bool quiet = false; // said once; the retries are quiet
        while (!cancellationToken.IsCancellationRequested)
        {
            var seeds = new List<IPEndPoint>();
            foreach (var target in Options.Join)
            {
                try
                {
                    var addresses = await Dns.GetHostAddressesAsync(target.Endpoint.Host, cancellationToken).ConfigureAwait(false);
                    foreach (var a in addresses.Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6).Take(1))
                    {
                        var ep = new IPEndPoint(a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a, target.Endpoint.Port);
                        _joinTargets[ep] = target.Fingerprint;
                        seeds.Add(ep);
                    }
                }
                catch (SocketException ex)
                {
                    MembershipLog.JoinFailed(_logger, target.ToString(), ex.Message);
                }
            }

            int joined = seeds.Count == 0 ? 0 : await _node!.JoinAsync(seeds, cancellationToken).ConfigureAwait(false);
            if (joined > 0)
            {
                MembershipLog.Joined(_logger, joined, _node!.LiveMemberCount);
                return;
            }

            if (!quiet)
            {
                MembershipLog.JoinFailed(_logger, string.Join(", ", Options.Join), "no member answered; retrying until one does (backing off to 30 s)");
                quiet = true;
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    /// <summary>The fingerprint of the member at <paramref name="address"/> (a known member or a join target).</summary>
    internal Fingerprint? FingerprintAt(IPEndPoint address)
    {
        if (_joinTargets.TryGetValue(address, out var fp))
        {
            return fp;
        }

        foreach (var m in Members)
        {
            if (m.Address.Equals(address) && Fingerprint.TryParse(m.Id, out fp))
            {
                return fp;
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="memberId"/> may be a member: authorized here in the gateway role, or named in <c>--join</c>.</summary>
    internal bool IsTrusted(string memberId)
    {
        if (!Fingerprint.TryParse(memberId, out var fp))
        {
            return false;
        }

        if (_registryGrants is { } mirror)
        {
            return mirror.Find(Registry.View, fp)?.Has(PeerRoles.Gateway) == true; // the store's grants: a member is trusted in every gateway at once
        }

        // The ledger, not the file: a revocation applies even while authorized_peers cannot be rewritten.
        if (Ledger.Find(fp) is { } grant && grant.Has(PeerRoles.Gateway))
        {
            return true;
        }

        return _joinTargets.Values.Contains(fp);
    }

    /// <summary>Installs the keys an exchange message carries (its current and, during a rotation, its next).</summary>
    /// <exception cref="UnauthorizedAccessException">The member is not trusted here.</exception>
    internal void InstallKeys(ExchangeMessage message)
    {
        InstallKey(message.Id, message.KeyId, message.KeyBytes());
        if (message.NextKeyBytes() is { } next)
        {
            InstallKey(message.Id, message.NextKeyId!.Value, next);
        }
    }

    /// <summary>Installs a member's datagram key (received over TLS from that member itself).</summary>
    /// <exception cref="UnauthorizedAccessException">The member is not trusted here.</exception>
    internal void InstallKey(string memberId, uint keyId, byte[] key)
    {
        if (!IsTrusted(memberId))
        {
            throw new UnauthorizedAccessException($"{memberId} is not authorized here in the gateway role");
        }

        _security.InstallKey(memberId, keyId, key);
    }

    /// <summary>
    /// Once this gateway is in a cluster (it joined, or was joined), its own identity is granted the
    /// gateway role in its ledger, so the grant spreads and every member accepts this gateway's TLS
    /// connections (key exchanges, the fallback probe) without anyone authorizing it by hand: the
    /// first gateway of a cluster is never authorized anywhere otherwise.
    /// </summary>
    internal void EnsureSelfGrant()
    {
        // Only once: if the ledger holds any entry for this gateway (a grant, or a removal made on
        // some member), that decision stands; a revoked gateway must not grant itself back.
        var self = _runtime.Identity.Fingerprint;
        if (Volatile.Read(ref _selfGranted) || Ledger.Export().Any(e => e.Fingerprint == self))
        {
            Volatile.Write(ref _selfGranted, true);
            return;
        }

        Volatile.Write(ref _selfGranted, true);

        string name = "gateway-" + new string([.. Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_').Take(40)]);
        if (PeerGrant.NameProblem(name) is not null)
        {
            name = "gateway";
        }

        try
        {
            AuthorizedPeers.Upsert(_runtime.Options.AuthorizedPath, new PeerGrant(self, name, PeerRoles.Gateway, []));
            Apply(Ledger.OnLocalFileChanged());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            MembershipLog.GrantsProblem(_logger, $"cannot grant this gateway the gateway role in {_runtime.Options.AuthorizedPath}: {ex.Message}");
        }
    }

    /// <summary>
    /// What this member sends in an exchange with <paramref name="peer"/>: its id, current (and next)
    /// send key, its view, and its grant ledger unless the peer gossips the same ledger hash (the
    /// ledger is most of an exchange's bytes, and exchanges are most of a member's idle traffic).
    /// </summary>
    internal ExchangeMessage MessageFor(IReadOnlyList<MemberSnapshot> state, string? peer)
    {
        var key = _security.CurrentSendKey;
        var next = _security.NextSendKey;
        bool same = peer is not null && _node?.Find(peer) is { } p && MemberMetadata.TryParse(p.Metadata.Span)?.Grants == GrantsTag();
        string? grants = same ? null : System.Text.Encoding.UTF8.GetString(GrantCodec.WriteUtf8(Ledger.Export()));
        return new ExchangeMessage(_id, key.KeyId, Convert.ToBase64String(key.Key.Span), [.. state.Select(MemberDto.From)], grants,
            next?.KeyId, next is null ? null : Convert.ToBase64String(next.Key.Span));
    }

    /// <summary>Merges a member's grant ledger (received over TLS from that member); applies revocations at once.</summary>
    internal void MergeGrants(string from, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        IReadOnlyList<GrantEntry> entries;
        try
        {
            entries = GrantCodec.ReadEntriesUtf8(System.Text.Encoding.UTF8.GetBytes(text), from);
        }
        catch (FormatException ex)
        {
            MembershipLog.GrantsProblem(_logger, ex.Message);
            return;
        }

        Apply(Ledger.ApplyRemote(entries));
    }

    /// <summary>Acts on a grant step: logs its problem, drops members that lost the gateway role, re-reads authorized_peers, gossips a new digest.</summary>
    private void Apply(GrantSyncResult result)
    {
        if (result.Error is { } error)
        {
            MembershipLog.GrantsProblem(_logger, error);
        }

        if (result.Changes.Count == 0 && result.LocalEntries.Count == 0)
        {
            return;
        }

        foreach (var change in result.Changes.Where(c => c.Lost(PeerRoles.Gateway)))
        {
            string id = change.Fingerprint.ToString();
            if (_security.RemoveMember(id))
            {
                MembershipLog.Revoked(_logger, id);
            }

            SetLive(id, null);
            _remoteRoutes.Remove(id);
            _links.Drop(id);
        }

        if (result.Changes.Count > 0)
        {
            _runtime.EnforceAuthorizations(); // the file was rewritten: sessions of changed grants go now
        }

        foreach (var change in result.Changes)
        {
            RaiseRegistryChanged(Gatehouse.Cluster.Registry.RegistryChangeKind.Grant, change.Fingerprint.ToString(), change.After is null);
        }

        _node?.UpdateMetadata(Metadata());
        if (result.LocalEntries.Count > 0)
        {
            // A grant made here: push it to every live member now rather than waiting for gossip.
            foreach (var member in Members.Where(m => m.Id != _id && m.State == MemberState.Alive))
            {
                QueueSync(member);
            }
        }
    }

    /// <summary>
    /// The receiving side of <c>gatehouse cluster-exchange</c>, for a caller authenticated as
    /// <paramref name="caller"/> (its TLS fingerprint) and authorized in the gateway role.
    /// </summary>
    /// <exception cref="FormatException">The message is malformed or claims another id.</exception>
    /// <exception cref="InvalidOperationException">Too many exchanges in progress, or not started.</exception>
    internal ExchangeMessage Answer(string caller, ReadOnlySpan<byte> payload)
    {
        var node = _node ?? throw new InvalidOperationException("cluster membership is not running");
        var message = ExchangeMessage.Parse(payload);
        if (message.Id != caller)
        {
            throw new FormatException($"the exchange claims member id {message.Id} but the connection is {caller}");
        }

        using var admitted = node.TryBeginIncomingExchange() ?? throw new InvalidOperationException("too many exchanges in progress");
        InstallKeys(message);
        EnsureSelfGrant();
        node.MergeRemoteState(message.Snapshots());
        MergeGrants(caller, message.Grants);
        return MessageFor(node.LocalState(), caller);
    }

    /// <summary>
    /// The once-a-second work: revokes members no longer authorized in the gateway role (their
    /// datagrams are dropped from now on) and gossips new metadata when the route table changed.
    /// </summary>
    internal void Sweep()
    {
        if (_etcd is not null)
        {
            SweepRegistry();
            return;
        }

        if (_node is null)
        {
            return;
        }

        Apply(Ledger.OnLocalFileChanged());
        foreach (var member in _node.Members)
        {
            if (member.Id != _id && _security.HasKeyFor(member.Id) && !IsTrusted(member.Id))
            {
                _security.RemoveMember(member.Id);
                _links.Drop(member.Id);
                MembershipLog.Revoked(_logger, member.Id);
            }

            if (member.Id != _id && LiveMembers.ContainsKey(member.Id) && !IsTrusted(member.Id))
            {
                SetLive(member.Id, null); // no longer a member: nothing is forwarded to it
                _remoteRoutes.Remove(member.Id);
            }
        }

        if (_runtime.Routes.Version != Interlocked.Read(ref _advertisedRoutesVersion))
        {
            _node.UpdateMetadata(Metadata()); // a change whose event was missed (it never should be)
        }

        // Route lists that failed to arrive are asked for again; members that missed a key rotation get the key.
        foreach (var member in _node.Members)
        {
            if (_needsKey.ContainsKey(member.Id) && (member.State is not (MemberState.Alive or MemberState.Suspect) || !IsTrusted(member.Id)))
            {
                _needsKey.TryRemove(member.Id, out _); // gone: it gets the key when it comes back (every join exchanges)
            }
            else if (_needsKey.ContainsKey(member.Id))
            {
                QueueSync(member);
            }

            if (member.Id != _id && member.State == MemberState.Alive && IsTrusted(member.Id)
                && MemberMetadata.TryParse(member.Metadata.Span) is { } meta && _remoteRoutes.IsStale(member.Id, meta.RoutesVersion, meta.RoutesHash))
            {
                QueueRoutePull(member);
            }
        }
    }

    private byte[] Metadata()
    {
        string host = Environment.MachineName;
        var routes = LocalRoutes();
        Interlocked.Exchange(ref _advertisedRoutesVersion, routes.Version);
        return new MemberMetadata(host.Length > 64 ? host[..64] : host, routes.Version, routes.Routes.Count, _runtime.InFlight, GrantsTag(), routes.Hash, _remctlPort).ToUtf8();
    }

    /// <summary>This gateway's route list, as <c>gatehouse cluster-routes</c> serves it.</summary>
    internal RouteList LocalRoutes()
    {
        var routes = _runtime.Routes.Snapshot(out long version);
        return RouteList.From(version, routes);
    }

    /// <summary>
    /// The route table changed: gossip its new version soon. Changes coalesce for 20 ms (a service
    /// registering its commands one by one causes one update, not one per command).
    /// </summary>
    internal void OnRoutesChanged()
    {
        if (Interlocked.Exchange(ref _routesChangeQueued, 1) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    // Services detach while the gateway stops, after this member may be disposed.
                    await Task.Delay(20, _stop.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }

                if (Volatile.Read(ref _disposed) != 0)
                {
                    return;
                }

                Volatile.Write(ref _routesChangeQueued, 0);
                if (_runtime.Routes.Version != Interlocked.Read(ref _advertisedRoutesVersion))
                {
                    if (_etcd is not null)
                    {
                        PublishRoutes(); // the list and the record that names its version, to etcd
                    }
                    else
                    {
                        _node?.UpdateMetadata(Metadata());
                    }
                }
            });
        }
    }

    private string GrantsTag() => Ledger.Digest.Hash[..16];

    /// <summary>
    /// A datagram claimed to come from a member under a key we do not hold (it rotated while an
    /// exchange carried its old key, or it restarted): the sweep syncs with it directly over TLS,
    /// at most once a second per member however many such datagrams arrive. Under the node's lock.
    /// </summary>
    private void OnKeyMissing(string memberId)
    {
        if (memberId != _id && IsTrusted(memberId))
        {
            _needsKey.TryAdd(memberId, 0);
        }
    }

    /// <summary>Raised under the node's lock: only queues work.</summary>
    private void OnMemberChanged(object? sender, MemberChange change)
    {
        var m = change.Current;
        if (m.Id == _id)
        {
            return;
        }

        RaiseRegistryChanged(Gatehouse.Cluster.Registry.RegistryChangeKind.Member, m.Id, false);
        if (m.State is not (MemberState.Alive or MemberState.Suspect) || !IsTrusted(m.Id))
        {
            _remoteRoutes.Remove(m.Id); // its services are not reachable through it now
            SetLive(m.Id, null);
            return;
        }

        // What forwarding reads per request, parsed once per change rather than per request.
        var parsed = MemberMetadata.TryParse(m.Metadata.Span);
        SetLive(m.Id, new LiveMember(m.Id, m.Address, m.State, parsed?.InFlight ?? 0));

        if (m.State == MemberState.Alive && change.Previous is not { State: MemberState.Alive })
        {
            _links.Schedule.MemberAlive(m.Id); // confirmed alive by gossip: dialling it starts over
        }

        if (MemberMetadata.TryParse(m.Metadata.Span) is { } meta && _remoteRoutes.IsStale(m.Id, meta.RoutesVersion, meta.RoutesHash))
        {
            QueueRoutePull(m);
        }

        // A member learned of by gossip (no key yet), or whose grants differ from ours: exchange
        // keys, state and grants with it directly over TLS.
        if (!_security.HasKeyFor(m.Id) || MemberMetadata.TryParse(m.Metadata.Span)?.Grants is { } tag && tag != GrantsTag())
        {
            QueueSync(m);
        }
    }

    private void QueueSync(MemberSnapshot member)
    {
        if (_keying.TryAdd(member.Id, 0))
        {
            _ = Task.Run(() => KeyAsync(member));
        }
    }

    private void QueueRoutePull(MemberSnapshot member)
    {
        if (_pulling.TryAdd(member.Id, 0))
        {
            _ = Task.Run(() => PullRoutesAsync(member));
        }
    }

    /// <summary>
    /// Pulls a member's route list over TLS until the list held matches what the member gossips
    /// (it may change again while a pull is under way); a member that gossips no routes is stored
    /// empty without a pull.
    /// </summary>
    private async Task PullRoutesAsync(MemberSnapshot member)
    {
        try
        {
            for (int attempt = 0; attempt < 3 && !_stop.IsCancellationRequested; attempt++)
            {
                var current = _node?.Members.FirstOrDefault(x => x.Id == member.Id);
                if (current is null || current.State is not (MemberState.Alive or MemberState.Suspect) || MemberMetadata.TryParse(current.Metadata.Span) is not { } meta
                    || !_remoteRoutes.IsStale(member.Id, meta.RoutesVersion, meta.RoutesHash) || !Fingerprint.TryParse(member.Id, out var fp))
                {
                    return;
                }

                var list = meta.Routes == 0 && meta.RoutesHash is not null
                    ? new RouteList(meta.RoutesVersion, meta.RoutesHash, [])
                    : await _links.FetchRoutesAsync(current.Address, fp, _stop.Token).ConfigureAwait(false);
                if (!_remoteRoutes.Store(member.Id, list))
                {
                    if (_pullFailed.TryAdd(member.Id, 0))
                    {
                        MembershipLog.RoutesTooMany(_logger, member.Id, list.Routes.Count, Options.MaxRemoteRoutes);
                    }

                    return;
                }

                _pullFailed.TryRemove(member.Id, out _);
                RaiseRegistryChanged(Gatehouse.Cluster.Registry.RegistryChangeKind.Routes, member.Id, false);
                if (_node?.Members.FirstOrDefault(x => x.Id == member.Id) is not { State: MemberState.Alive or MemberState.Suspect })
                {
                    _remoteRoutes.Remove(member.Id); // it died or left while its list was on the way
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Said once per member until a pull from it works; the retries (every second) are quiet.
            if (_pullFailed.TryAdd(member.Id, 0))
            {
                MembershipLog.RoutePullFailed(_logger, member.Id, member.Address.ToString(), ex.Message);
            }
        }
        finally
        {
            _pulling.TryRemove(member.Id, out _);
        }
    }

    private async Task KeyAsync(MemberSnapshot member)
    {
        try
        {
            if (Fingerprint.TryParse(member.Id, out var fp) && _node is { } node)
            {
                var theirs = await _links.ExchangeWithAsync(member.Address, fp, node.LocalState(), _stop.Token).ConfigureAwait(false);
                _needsKey.TryRemove(member.Id, out _);
                _keyFailed.TryRemove(member.Id, out _);
                node.MergeRemoteState(theirs);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Said once per member until an exchange with it works (the sweep may retry every second).
            if (_keyFailed.TryAdd(member.Id, 0))
            {
                MembershipLog.KeyExchangeFailed(_logger, member.Id, member.Address.ToString(), ex.Message);
            }
        }
        finally
        {
            _keying.TryRemove(member.Id, out _);
        }
    }

    /// <summary>Tells the others this member is leaving (on shutdown), waiting at most <paramref name="maxWait"/>.</summary>
    public async Task LeaveAsync(TimeSpan maxWait)
    {
        if (_etcd is not null)
        {
            await LeaveRegistryAsync(maxWait).ConfigureAwait(false);
            return;
        }

        if (_node is { } node && node.LiveMemberCount > 1)
        {
            try
            {
                await node.LeaveAsync(maxWait).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
            {
                // Best effort: the others will find out by probing.
            }
        }
    }

    private IPEndPoint Advertised(IReadOnlyList<IPEndPoint> bound)
    {
        int port = bound[0].Port;
        if (Options.Advertise is { } text)
        {
            var ep = Transport.Connections.Endpoint.Parse(text, port);
            return new IPEndPoint(IPAddress.Parse(ep.Host), ep.Port);
        }

        var specific = bound.FirstOrDefault(b => !b.Address.Equals(IPAddress.Any) && !b.Address.Equals(IPAddress.IPv6Any));
        if (specific is not null)
        {
            return specific;
        }

        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? IPAddress.Loopback;
        return new IPEndPoint(address, port);
    }

    /// <summary>Stops the node, closes the sockets and links. Safe to call more than once (the host disposes it too).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _runtime.Routes.Changed -= OnRoutesChanged;
        _stop.Cancel();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync().ConfigureAwait(false); // revokes the lease: every other gateway drops this one at once
        }

        _node?.Dispose();
        _udp?.Dispose();
        await _links.DisposeAsync().ConfigureAwait(false);
        _security.Dispose();
        _stop.Dispose();
    }
}
