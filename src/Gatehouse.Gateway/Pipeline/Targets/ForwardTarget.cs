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

    /// <summary>The metadata a caller marks a call idempotent with (<c>1</c>): a member lost mid-call is then replaced by another (before any output came back).</summary>
    public const string Idempotent = "GATEHOUSE_IDEMPOTENT";

    /// <summary>The metadata a client announces its input size in (for <see cref="RedirectPolicy.RedirectLargeInput"/>).</summary>
    public const string InputBytes = "GATEHOUSE_INPUT_BYTES";

    /// <summary>Metadata a client sets when it streams its stdin: the call is never redirected (the input could not be replayed elsewhere).</summary>
    public const string StreamsInput = "GATEHOUSE_STREAMS_INPUT";

    public TargetKind Kind => TargetKind.Service;

    /// <summary>True when some live member other than this one serves (domain, command).</summary>
    public bool Serves(RequestHeader header)
    {
        var serving = membership.RemoteRoutes.MembersServing(header.Domain, header.Command);
        if (serving.IsEmpty)
        {
            return false;
        }

        var live = membership.LiveMembers;
        foreach (string id in serving)
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

    /// <summary>A target that forwards to <paramref name="member"/> only (a locator placed the request there).</summary>
    public IRequestTarget To(LiveMember member) => new Pinned(this, member);

    public Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken) =>
        ForwardAsync(request, Candidates(request.Header), perKey: false, cancellationToken);

    /// <summary>The next member to try: the first candidate not tried yet; for a retry after a member was lost, from a fresh look at the cluster.</summary>
    private LiveMember? Next(GatewayRequest request, ref List<LiveMember> candidates, List<string> tried, bool refresh)
    {
        if (refresh)
        {
            candidates = Candidates(request.Header); // the lost member's routes may be gone, another's may have come
        }

        foreach (var m in candidates)
        {
            if (!tried.Contains(m.Id))
            {
                return m;
            }
        }

        return null;
    }

    /// <summary>
    /// The fast path, on the caller connection's read loop: when the best member serving the request
    /// has a link up now with a free stream slot, opens the stream there and splices the request to
    /// it with no task and no thread hop (the request ends from the splice's completion, its error
    /// naming the member). False (nothing done) when a redirect, a retry, a dial or a queue may be
    /// needed: the thread-pool path (<see cref="ExecuteAsync"/>) takes it then.
    /// </summary>
    public bool TryStartNow(GatewayRequest request, MuxStream stream)
    {
        var header = request.Header;
        var serving = membership.RemoteRoutes.MembersServing(header.Domain, header.Command);
        if (serving.IsEmpty || ShouldRedirect(request) || header.GetMetadata(Idempotent) is not null)
        {
            return false;
        }

        // The least loaded live member whose link is up; among equals, the first from a random
        // starting point (so equal members share the load, with no allocation).
        var live = membership.LiveMembers;
        LiveMember? best = null;
        MuxConnection? bestLink = null;
        int start = serving.Length == 1 ? 0 : Random.Shared.Next(serving.Length);
        for (int i = 0; i < serving.Length; i++)
        {
            string id = serving[(start + i) % serving.Length];
            if (live.TryGetValue(id, out var m) && m.State == MemberState.Alive && (best is null || m.Load < best.Load)
                && membership.Links.TryGetLink(id) is { } link)
            {
                best = m;
                bestLink = link;
            }
        }

        if (best is null)
        {
            return false;
        }

        bool noInput = Relay.HasNoInput(stream);
        var upstream = bestLink!.TryOpenStream(ForwardedMetadata.BuildForward(header, request.Caller, 0, membership.Id), noInput);
        if (upstream is null)
        {
            return false;
        }

        request.Target = Audit.AuditTarget.Forward;
        request.TargetName = best.Id;
        MuxSplice.Start(stream, upstream, noInput, new ForwardedSplice(request, best));
        return true;
    }

    private async Task<CallStatus> ForwardAsync(GatewayRequest request, List<LiveMember> candidates, bool perKey, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0)
        {
            return request.UnknownCommand(); // the member went between resolving and now
        }

        if (ShouldRedirect(request) && candidates.FirstOrDefault(m => m.State == MemberState.Alive) is { } target)
        {
            // The client follows redirects and this domain's policy says so: nothing runs here.
            return CallStatus.Error(ErrorCode.SeeOtherHost, SeeOtherHost.Format(target.Address.Address.ToString(), target.Address.Port, target.Id, perKey));
        }

        bool noInput = request.Stream is not { } callerStream || Relay.HasNoInput(callerStream);
        bool idempotent = noInput && request.Header.GetMetadata(Idempotent) == "1";
        string? passedOver = null;
        var tried = new List<string>(MaxAttempts);
        bool refresh = false;
        while (tried.Count < MaxAttempts && Next(request, ref candidates, tried, refresh && !perKey) is { } member)
        {
            tried.Add(member.Id);
            refresh = false;
            if (!Fingerprint.TryParse(member.Id, out var fingerprint))
            {
                continue;
            }

            MuxConnection link;
            MuxStream upstream;
            try
            {
                link = await membership.Links.ConnectAsync(member.Address, fingerprint, cancellationToken).ConfigureAwait(false);
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

            request.Target = Audit.AuditTarget.Forward;
            request.TargetName = member.Id;

            // From here the member has the request: it is not tried elsewhere, unless the caller
            // said running it twice is harmless, the member's link died under it and nothing came back yet.
            var (status, output) = await Relay.CarryAsync(request, upstream, noInput, cancellationToken).ConfigureAwait(false);
            if (idempotent && !output && status.Kind == StatusKind.Error && link.IsGoingAway && !cancellationToken.IsCancellationRequested)
            {
                passedOver = $"member {Describe(member)} was lost during the call ({status.Message}; the call is idempotent)";
                refresh = true;
                continue;
            }

            return Name(status, member);
        }

        return CallStatus.Error(ErrorCode.BackendFailed, $"No member could take {request.Header.Domain}/{request.Header.Command}: {passedOver ?? "none reachable"}");
    }

    /// <summary>An error status names the member it came from.</summary>
    private static CallStatus Name(in CallStatus status, LiveMember member) =>
        status.Kind == StatusKind.Error && status.ErrorCode != ErrorCode.SeeOtherHost
            ? CallStatus.Error((ErrorCode)status.Code, $"{status.Message} (forwarded to member {Describe(member)})")
            : Relay.FromService(status);

    /// <summary>A native caller whose HELLO says it follows redirects, and the domain's policy redirects this request.</summary>
    private bool ShouldRedirect(GatewayRequest request)
    {
        if (request.Stream is null || request.Caller.Session is not { } session || !session.Connection.PeerSettings.FollowsRedirects
            || request.Header.GetMetadata(StreamsInput) == "1")
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

    /// <summary>Forwarding to one member, which a locator named for the request's key.</summary>
    private sealed class Pinned(ForwardTarget forward, LiveMember member) : IRequestTarget
    {
        public TargetKind Kind => TargetKind.Service;

        public Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken) =>
            forward.ForwardAsync(request, [member], perKey: true, cancellationToken);
    }

    /// <summary>The end of a try-now forwarded splice: the pipeline answers, the error naming the member.</summary>
    private sealed class ForwardedSplice(GatewayRequest request, LiveMember member) : ISpliceCompletion
    {
        public void OnSpliceFinished(MuxSplice splice, CallStatus status)
        {
            request.CountSplice(splice);
            request.Pipeline!.Finish(request, Name(status, member));
        }
    }
}
