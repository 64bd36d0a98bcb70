using System.Buffers;
using System.Text;
using Gatehouse.Protocol;
using Gatehouse.Service.Discovery;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Service;

/// <summary>
/// Discovery (docs/services.md): the member list is read from an attached gateway (configured ones
/// first) when a configured gateway attaches and every <see cref="DiscoveryOptions.Interval"/>; the
/// live members chosen by <see cref="DiscoveryPlan"/> are attached to, each pinned to the fingerprint
/// the gateway reported, and discovered members no longer chosen are detached from. Everything here
/// runs on the one discovery loop.
/// </summary>
public sealed partial class GatehouseService
{
    /// <summary>How long one member-list request may take.</summary>
    private static readonly TimeSpan MemberListTimeout = TimeSpan.FromSeconds(10);

    private static readonly ReadOnlyMemory<byte>[] MembersArguments = [Encoding.UTF8.GetBytes("--json")];

    /// <summary>Released to read the member list now (at most one wake-up pending).</summary>
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Gateways whose refusal was logged (said once per gateway and run; discovery loop only).</summary>
    private readonly HashSet<Fingerprint> _refusalsLogged = [];

    /// <summary>Gateways whose failed read was logged and that have not answered since (discovery loop only).</summary>
    private readonly HashSet<Fingerprint> _failuresLogged = [];

    private void WakeDiscovery()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is pending already: the next read happens anyway.
        }
    }

    private async Task DiscoverLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await _wake.WaitAsync(_options.Discovery.Interval, cancellationToken).ConfigureAwait(false);
                if (PickSource() is { } source)
                {
                    await RefreshAsync(source.Attachment, source.Connection, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The service is stopping; the attach loops drain their connections.
        }
    }

    /// <summary>An attached gateway to ask: configured ones first (in order), then discovered ones; none that refused on its current connection.</summary>
    private (Attachment Attachment, MuxConnection Connection)? PickSource()
    {
        foreach (var attachment in _attachments.Values.OrderBy(a => a.SeedIndex).ThenBy(a => a.Target.Fingerprint.ToString(), StringComparer.Ordinal))
        {
            if (attachment.Connection is { } connection && !ReferenceEquals(attachment.RefusedOn, connection))
            {
                return (attachment, connection);
            }
        }

        return null;
    }

    /// <summary>Reads the member list from <paramref name="source"/> and attaches and detaches accordingly; a failure changes no attachment.</summary>
    private async Task RefreshAsync(Attachment source, MuxConnection connection, CancellationToken cancellationToken)
    {
        var gateway = source.Target;
        IReadOnlyList<ClusterMember> members;
        try
        {
            var (status, output) = await ReadMemberListAsync(connection, cancellationToken).ConfigureAwait(false);
            if (status.ErrorCode is ErrorCode.Access or ErrorCode.UnknownCommand or ErrorCode.BadCommand)
            {
                // An older gateway (no 'members', or only for admins) or no permission: it will say the same
                // until the connection is made again (an upgrade or a grant change closes it).
                Refused(source, connection, status.Message ?? status.ToString());
                return;
            }

            if (!status.IsSuccess)
            {
                Failed(gateway, status.ToString());
                return;
            }

            members = MemberList.Parse(output);
        }
        catch (FormatException ex)
        {
            Refused(source, connection, "its answer is not a member list: " + ex.Message);
            return;
        }
        catch (InvalidDataException ex)
        {
            Refused(source, connection, ex.Message);
            return;
        }
        catch (ConnectionClosedException ex)
        {
            Failed(gateway, ex.Message);
            return;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Failed(gateway, $"no answer within {MemberListTimeout.TotalSeconds:0} s");
            return;
        }

        _failuresLogged.Remove(gateway.Fingerprint);
        var self = members.FirstOrDefault(m => m.Self);
        if (self is null)
        {
            // A gateway whose membership is not running lists nobody: nothing to learn from it.
            Log.MembersRead(_logger, gateway.Endpoint.ToString(), 0, members.Count, _attachments.Count);
            return;
        }

        if (self.Fingerprint != gateway.Fingerprint)
        {
            Refused(source, connection, $"it lists itself as {self.Fingerprint}, not the {gateway.Fingerprint} it proved to be");
            return;
        }

        Reconcile(members, gateway, cancellationToken);
        Log.MembersRead(_logger, gateway.Endpoint.ToString(), members.Count(m => m.IsLive), members.Count, _attachments.Count);
    }

    /// <summary>Attaches to the chosen members not attached to yet; detaches from discovered members no longer chosen (or whose address changed).</summary>
    private void Reconcile(IReadOnlyList<ClusterMember> members, GatewayTarget via, CancellationToken cancellationToken)
    {
        var chosen = DiscoveryPlan.Choose(_options.Gateways, members, _options.Identity.Fingerprint, _options.Discovery.MaxGateways)
            .ToDictionary(t => t.Fingerprint);
        var states = members.DistinctBy(m => m.Fingerprint).ToDictionary(m => m.Fingerprint, m => m.State);
        foreach (var attachment in _attachments.Values.Where(a => !a.IsSeed))
        {
            var fingerprint = attachment.Target.Fingerprint;
            if (chosen.TryGetValue(fingerprint, out var target))
            {
                if (target.Endpoint != attachment.Target.Endpoint)
                {
                    Detach(attachment, $"its address is now {target.Endpoint} according to {via.Endpoint}");
                }

                continue;
            }

            string why = !states.TryGetValue(fingerprint, out var state) ? "no longer a member"
                : state is "alive" or "suspect" ? $"not among the {_options.Discovery.MaxGateways} gateways chosen (MaxGateways)"
                : $"the member is {state}";
            Detach(attachment, $"{why} according to {via.Endpoint}");
        }

        foreach (var target in chosen.Values)
        {
            if (!_attachments.ContainsKey(target.Fingerprint))
            {
                Log.MemberDiscovered(_logger, target.Endpoint.ToString(), target.Fingerprint.ToString(), via.Endpoint.ToString());
                Start(target, int.MaxValue, cancellationToken);
            }
        }
    }

    /// <summary>Sends <c>gatehouse members --json</c> and collects stdout, at most <see cref="DiscoveryOptions.MaxMemberListBytes"/>.</summary>
    /// <exception cref="InvalidDataException">The answer is longer than allowed (the request was cancelled).</exception>
    /// <exception cref="ConnectionClosedException">The connection went away.</exception>
    /// <exception cref="OperationCanceledException">No answer within <see cref="MemberListTimeout"/>, or the service is stopping.</exception>
    private async Task<(CallStatus Status, ReadOnlyMemory<byte> Output)> ReadMemberListAsync(MuxConnection connection, CancellationToken cancellationToken)
    {
        var header = new RequestHeader
        {
            Domain = RequestHeader.ControlDomain,
            Command = "members",
            Arguments = MembersArguments,
            DeadlineMs = (uint)MemberListTimeout.TotalMilliseconds,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(MemberListTimeout);
        var stream = await connection.OpenStreamAsync(header, endStream: true, timeout.Token).ConfigureAwait(false);
        var output = new ArrayBufferWriter<byte>(4096);
        int limit = _options.Discovery.MaxMemberListBytes;
        try
        {
            var status = await stream.ReadToStatusAsync((item, _) =>
            {
                if (item.OutStream == 1)
                {
                    if (output.WrittenCount + item.Length > limit)
                    {
                        throw new InvalidDataException($"its member list is longer than {limit} bytes (Discovery.MaxMemberListBytes)");
                    }

                    output.Write(item.Data.Span);
                }

                return ValueTask.CompletedTask;
            }, timeout.Token).ConfigureAwait(false);
            return (status, output.WrittenMemory);
        }
        catch (Exception ex) when (ex is InvalidDataException or OperationCanceledException)
        {
            stream.Cancel();
            throw;
        }
    }

    /// <summary>The gateway will not list members on this connection: not asked again on it; said once per gateway.</summary>
    private void Refused(Attachment source, MuxConnection connection, string reason)
    {
        source.RefusedOn = connection;
        if (_refusalsLogged.Add(source.Target.Fingerprint))
        {
            Log.MembersRefused(_logger, source.Target.Endpoint.ToString(), reason);
        }
    }

    /// <summary>A read failed for a reason that may pass: asked again next time; said once until a read works.</summary>
    private void Failed(GatewayTarget gateway, string reason)
    {
        if (_failuresLogged.Add(gateway.Fingerprint))
        {
            Log.MembersFailed(_logger, gateway.Endpoint.ToString(), reason);
        }
    }
}
