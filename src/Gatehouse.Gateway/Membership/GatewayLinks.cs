using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Gatehouse.Cluster.Membership;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// The reliable path between members: TLS connections this gateway dials to other members with
/// its own identity, pinned to the member's fingerprint (its member id). Carries the SWIM
/// push-pull (<c>gatehouse cluster-exchange</c>, which also hands over datagram keys) and the
/// fallback probe when UDP seems blocked (<c>gatehouse cluster-ping</c>), route-list pulls
/// (<c>gatehouse cluster-routes</c>) and forwarded requests. One connection per member, made on first
/// use and made again when it closed, under <see cref="ClusterOptions.Links"/>: a connect timeout, and
/// after failures a backoff schedule that gives up until gossip reports the member alive again
/// (<see cref="LinkSchedule"/>); closed after <see cref="ClusterOptions.LinkInactivityTimeout"/> idle.
/// </summary>
internal sealed class GatewayLinks : IStateExchange, IAsyncDisposable
{
    private readonly ClusterMembership _owner;
    private readonly PeerIdentity _identity;
    private readonly ILogger _logger;
    private readonly ConnectionOptions _dial;
    private readonly MuxOptions _mux;
    private readonly ConcurrentDictionary<string, MuxConnection> _links = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _dialing = new(8, 8);
    private volatile bool _disposed;

    public GatewayLinks(ClusterMembership owner, PeerIdentity identity, ILogger logger, TimeProvider? time = null)
    {
        _owner = owner;
        _identity = identity;
        _logger = logger;
        _dial = owner.Options.Links with { MaxRetries = 0 }; // one attempt per dial; the schedule spaces them
        _mux = new MuxOptions { InactivityTimeout = owner.Options.LinkInactivityTimeout };
        Schedule = new LinkSchedule(owner.Options.Links, time ?? TimeProvider.System);
    }

    /// <summary>When each member may be dialled again.</summary>
    public LinkSchedule Schedule { get; }

    public async Task<IReadOnlyList<MemberSnapshot>> ExchangeAsync(IPEndPoint address, IReadOnlyList<MemberSnapshot> mine, CancellationToken cancellationToken)
    {
        var fingerprint = _owner.FingerprintAt(address) ?? throw new InvalidOperationException($"no member known at {address}");
        var reply = await ExchangeWithAsync(address, fingerprint, mine, cancellationToken).ConfigureAwait(false);
        return reply;
    }

    /// <summary>Push-pull with the member at <paramref name="address"/> that must present <paramref name="fingerprint"/>; installs its key.</summary>
    public async Task<IReadOnlyList<MemberSnapshot>> ExchangeWithAsync(IPEndPoint address, Fingerprint fingerprint, IReadOnlyList<MemberSnapshot> mine, CancellationToken cancellationToken)
    {
        if (!_owner.IsTrusted(fingerprint.ToString()))
        {
            throw new UnauthorizedAccessException($"{fingerprint} is not authorized here in the gateway role");
        }

        _owner.EnsureSelfGrant();
        var connection = await LinkAsync(address, fingerprint, cancellationToken).ConfigureAwait(false);
        var output = await CallAsync(connection, "cluster-exchange", _owner.MessageFor(mine, fingerprint.ToString()).ToUtf8(), _owner.Options.MaxExchangeBytes, fingerprint, cancellationToken).ConfigureAwait(false);
        var message = ExchangeMessage.Parse(output.Span);
        if (message.Id != fingerprint.ToString())
        {
            throw new InvalidDataException($"{address} answered as {message.Id}, not {fingerprint}");
        }

        _owner.InstallKeys(message);
        _owner.MergeGrants(message.Id, message.Grants);
        return message.Snapshots();
    }

    /// <summary>Pulls the route list of the member <paramref name="fingerprint"/> at <paramref name="address"/>.</summary>
    /// <exception cref="FormatException">The list is malformed or does not match its hash.</exception>
    public async Task<RouteList> FetchRoutesAsync(IPEndPoint address, Fingerprint fingerprint, CancellationToken cancellationToken)
    {
        if (!_owner.IsTrusted(fingerprint.ToString()))
        {
            throw new UnauthorizedAccessException($"{fingerprint} is not authorized here in the gateway role");
        }

        var connection = await LinkAsync(address, fingerprint, cancellationToken).ConfigureAwait(false);
        var output = await CallAsync(connection, "cluster-routes", null, _owner.Options.MaxRouteListBytes, fingerprint, cancellationToken).ConfigureAwait(false);
        return RouteList.Parse(output.Span);
    }

    /// <summary>Runs a cluster command on a link and returns its standard output (at most <paramref name="limit"/> bytes).</summary>
    private static async Task<ReadOnlyMemory<byte>> CallAsync(MuxConnection connection, string command, byte[]? input, int limit, Fingerprint peer, CancellationToken cancellationToken)
    {
        var header = new RequestHeader { Domain = RequestHeader.ControlDomain, Command = command };
        var stream = await connection.OpenStreamAsync(header, endStream: input is null, cancellationToken).ConfigureAwait(false);
        if (input is not null)
        {
            await stream.WriteAsync(0, input, endStream: true, cancellationToken).ConfigureAwait(false);
        }

        var output = new ArrayBufferWriter<byte>();
        var status = await stream.ReadToStatusAsync((item, _) =>
        {
            if (item.OutStream == 1)
            {
                if (output.WrittenCount + item.Length > limit)
                {
                    stream.Cancel(ErrorCode.Cancelled);
                    throw new InvalidDataException($"{peer} sent more than {limit} bytes for {command}");
                }

                output.Write(item.Data.Span);
            }

            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        if (!status.IsSuccess)
        {
            throw new InvalidOperationException($"{peer} refused {command}: {status}");
        }

        return output.WrittenMemory;
    }

    public async Task<bool> PingAsync(IPEndPoint address, string memberId, CancellationToken cancellationToken)
    {
        // A member no longer trusted is not alive to us, however it answers (revocation must win
        // over the fallback probe).
        if (!Fingerprint.TryParse(memberId, out var fingerprint) || !_owner.IsTrusted(memberId))
        {
            return false;
        }

        try
        {
            var connection = await LinkAsync(address, fingerprint, cancellationToken).ConfigureAwait(false);
            var stream = await connection.OpenStreamAsync(new RequestHeader { Domain = RequestHeader.ControlDomain, Command = "cluster-ping" }, endStream: true, cancellationToken).ConfigureAwait(false);
            var status = await stream.ReadToStatusAsync(null, cancellationToken).ConfigureAwait(false);
            return status.IsSuccess;
        }
        catch (Exception ex) when (ex is ConnectException or ConnectionClosedException or OperationCanceledException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The link to the member <paramref name="fingerprint"/> at <paramref name="address"/>, made if needed (for forwarding).</summary>
    /// <exception cref="ConnectException">It cannot be reached, or may not be dialled yet (the message says which).</exception>
    public Task<MuxConnection> ConnectAsync(IPEndPoint address, Fingerprint fingerprint, CancellationToken cancellationToken) =>
        LinkAsync(address, fingerprint, cancellationToken);

    /// <summary>The link to member <paramref name="memberId"/> if one is up now (not closing); null otherwise. Never dials.</summary>
    public MuxConnection? TryGetLink(string memberId) =>
        _links.TryGetValue(memberId, out var link) && !link.IsGoingAway && !link.Completion.IsCompleted ? link : null;

    /// <summary>
    /// A link closed. If the member closed it without a word (no GOAWAY: its process died and its
    /// kernel closed the socket, or the network broke), membership probes it next instead of up to a
    /// whole round later. Links this side closed (dropped, idle, stopping) say nothing.
    /// </summary>
    private void OnLinkClosed(string memberId, MuxConnection link)
    {
        var reason = link.CloseReason;
        bool dropped = !_links.TryGetValue(memberId, out var current) || !ReferenceEquals(current, link);
        if (!dropped && !_disposed && reason.ErrorCode is not (ErrorCode.IdleTimeout or ErrorCode.ShuttingDown or ErrorCode.NoError or ErrorCode.UnauthorizedPeer))
        {
            _owner.LinkLost(memberId);
        }
    }

    /// <summary>Closes the link to a member (it was revoked or left).</summary>
    public void Drop(string memberId)
    {
        if (_links.TryRemove(memberId, out var connection))
        {
            connection.GoAway(ErrorCode.NoError, "Member removed");
        }
    }

    private async Task<MuxConnection> LinkAsync(IPEndPoint address, Fingerprint fingerprint, CancellationToken cancellationToken)
    {
        string id = fingerprint.ToString();
        if (_links.TryGetValue(id, out var existing) && !existing.IsGoingAway && !existing.Completion.IsCompleted)
        {
            return existing;
        }

        await _dialing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_links.TryGetValue(id, out existing) && !existing.IsGoingAway && !existing.Completion.IsCompleted)
            {
                return existing;
            }

            if (Schedule.Refusal(id) is { } refusal)
            {
                throw new ConnectException(ConnectFailure.Network, $"member {address} not dialled: {refusal}");
            }

            MuxConnection connection;
            try
            {
                connection = await Dialer.ConnectAsync(new Endpoint(address.Address.ToString(), address.Port), _identity, fp => fp == fingerprint,
                    _dial, _mux, _logger, onRequest: null, cancellationToken).ConfigureAwait(false);
            }
            catch (ConnectException)
            {
                Schedule.Failed(id);
                throw;
            }

            Schedule.Succeeded(id);
            _ = connection.Completion.ContinueWith(
                static (_, state) =>
                {
                    var (links, memberId, link) = ((GatewayLinks, string, MuxConnection))state!;
                    links.OnLinkClosed(memberId, link);
                },
                (this, id, connection),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            if (_links.TryGetValue(id, out var stale))
            {
                await stale.DisposeAsync().ConfigureAwait(false);
            }

            _links[id] = connection;
            return connection;
        }
        finally
        {
            _dialing.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var connection in _links.Values)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _links.Clear();
        _dialing.Dispose();
    }
}
