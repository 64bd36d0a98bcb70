using Gatehouse.Cluster.Membership;
using Gatehouse.Gateway.Membership;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Pipeline.Targets;

/// <summary>
/// Requests this gateway has no route for, carried to a member that has one (by the route lists
/// pulled from the members): the caller's identity and the remaining deadline travel in the header
/// (<see cref="ForwardedMetadata.BuildForward"/>), the streams are spliced over the pooled link to
/// the member (<see cref="Relay"/>), so input, output, flow control and cancellation work end to
/// end. Members are tried least loaded first (by their gossiped requests in flight); a member that
/// cannot be reached (no link, the link refused the stream: it is draining or gone) is passed over
/// for the next; once a member has the request it is not tried elsewhere, whatever happens (its
/// backend may have run). An error status names the member. A client that follows redirects may be
/// answered see-other-host instead, naming the member, by the domain's <see cref="RedirectPolicy"/>.
/// </summary>
internal sealed class ForwardTarget(ClusterMembership membership) : IRequestTarget
{
    /// <summary>Most members tried for one request.</summary>
    public const int MaxAttempts = 3;

    public TargetKind Kind => TargetKind.Service;

    /// <summary>True when some live member other than this one serves (domain, command).</summary>
    public bool Serves(RequestHeader header)
    {
        var live = membership.LiveMembers;
        if (live.IsEmpty)
        {
            return false;
        }

        foreach (string id in membership.RemoteRoutes.MembersServing(header.Domain, header.Command))
        {
            if (live.ContainsKey(id))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Live members serving the request, least loaded first (alive before suspect; random among equals).</summary>
    internal List<LiveMember> Candidates(RequestHeader header)
    {
        var live = membership.LiveMembers;
        var found = new List<LiveMember>();
        foreach (string id in membership.RemoteRoutes.MembersServing(header.Domain, header.Command))
        {
            if (live.TryGetValue(id, out var m))
            {
                found.Add(m);
            }
        }

        if (found.Count > 1)
        {
            // Shuffle, then a stable sort: random among equals.
            Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(found));
            found = [.. found.OrderBy(m => m.State == MemberState.Alive ? 0 : 1).ThenBy(m => m.Load)];
        }

        return found;
    }

    public async Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        var candidates = Candidates(request.Header);
        if (candidates.Count == 0)
        {
            return request.UnknownCommand(); // the member went between resolving and now
        }

        if (ShouldRedirect(request) && candidates.FirstOrDefault(m => m.State == MemberState.Alive) is { } target)
        {
            // The client follows redirects and this domain's policy says so: nothing runs here.
            return SeeOtherHost.Status(target.Address.Address.ToString(), target.Address.Port, target.Id);
        }

        bool noInput = request.Stream is not { } callerStream || Relay.HasNoInput(callerStream);
        string? passedOver = null;
        foreach (var member in candidates.Take(MaxAttempts))
        {
            if (!Fingerprint.TryParse(member.Id, out var fingerprint))
            {
                continue;
            }

            MuxStream upstream;
            try
            {
                var link = await membership.Links.ConnectAsync(member.Address, fingerprint, cancellationToken).ConfigureAwait(false);
                uint remaining = request.Deadline is { } d ? (uint)Math.Max(1, (d - DateTimeOffset.UtcNow).TotalMilliseconds) : 0;
                var header = ForwardedMetadata.BuildForward(request.Header, request.Caller, remaining, membership.Id);
                upstream = await link.OpenStreamAsync(header, endStream: noInput, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ConnectException or ConnectionClosedException or InvalidOperationException or UnauthorizedAccessException)
            {
                // The member never saw the request: the next one may serve it.
                passedOver = $"member {Describe(member)} could not be reached ({ex.Message})";
                continue;
            }

            // From here the member has the request: whatever happens, it is not tried elsewhere.
            var status = request.Stream is { } caller
                ? await Relay.SpliceAsync(caller, upstream, noInput, cancellationToken).ConfigureAwait(false)
                : await Relay.PumpAsync(request, upstream, cancellationToken).ConfigureAwait(false);
            return status.Kind == StatusKind.Error
                ? CallStatus.Error((ErrorCode)status.Code, $"{status.Message} (forwarded to member {Describe(member)})")
                : status;
        }

        return CallStatus.Error(ErrorCode.BackendFailed, $"No member could take {request.Header.Domain}/{request.Header.Command}: {passedOver ?? "none reachable"}");
    }

    /// <summary>The metadata a client announces its input size in (for <see cref="RedirectPolicy.RedirectLargeInput"/>).</summary>
    public const string InputBytes = "GATEHOUSE_INPUT_BYTES";

    /// <summary>A native caller whose HELLO says it follows redirects, and the domain's policy redirects this request.</summary>
    private bool ShouldRedirect(GatewayRequest request)
    {
        if (request.Stream is null || request.Caller.Session is not { } session || !session.Connection.PeerSettings.FollowsRedirects)
        {
            return false;
        }

        var options = membership.Options;
        return options.RedirectFor(request.Header.Domain) switch
        {
            RedirectPolicy.Redirect => true,
            RedirectPolicy.RedirectLargeInput => long.TryParse(request.Header.GetMetadata(InputBytes), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) && n >= options.LargeInputBytes,
            _ => false,
        };
    }

    private static string Describe(LiveMember member) =>
        $"{member.Address} ({(member.Id.Length > 19 ? member.Id[..19] + "..." : member.Id)})";
}
