namespace Gatehouse.WebConsole.Gateways;

/// <summary>The cluster page: every member (or node) with what its gateway says about itself.</summary>
/// <param name="Source">Where the list comes from, in words (<c>members of 127.0.0.1:7340</c>, <c>node set gw[1-3]</c>).</param>
/// <param name="Via">The gateway asked for the member list, if any.</param>
/// <param name="ViaProblem">Why the member list could not be had (then only the node sets are shown).</param>
/// <param name="Members">The members and nodes, in address order.</param>
/// <param name="Groups">Group names usable in node sets (<c>cluster</c> when there is a member list).</param>
/// <param name="TakenAt">When the answers were gathered (Unix milliseconds).</param>
internal sealed record ClusterView(string Source, string? Via, GatewayProblem? ViaProblem, IReadOnlyList<MemberView> Members, IReadOnlyList<string> Groups, long TakenAt);

/// <summary>One member or node.</summary>
/// <param name="Address">HOST:PORT (the node's name in node sets).</param>
/// <param name="Host">The host name it gossips, if any.</param>
/// <param name="State"><c>alive</c>, <c>suspect</c>, <c>dead</c>, <c>left</c> (membership), or <c>node</c> for a node set entry.</param>
/// <param name="Self">True for the <c>--via</c> gateway itself.</param>
/// <param name="Fingerprint">The fingerprint the cluster reports for it (null for a plain node).</param>
/// <param name="PinSource">What the console pins it to: <c>known_hosts</c>, <c>cluster</c> or <c>none</c>.</param>
/// <param name="PinConflict">known_hosts and the member list disagree (known_hosts is used).</param>
/// <param name="Status">Its own <c>status --json</c>, when it answered.</param>
/// <param name="LatencyMs">How long that status call took, in milliseconds.</param>
/// <param name="Problem">Why it did not answer (a changed fingerprint among them).</param>
internal sealed record MemberView(string Address, string? Host, string State, bool Self, string? Fingerprint, string PinSource, string? PinConflict,
    GatewayStatusView? Status, double? LatencyMs, GatewayProblem? Problem);

/// <summary>A gateway's <c>gatehouse status --json</c>.</summary>
internal sealed record GatewayStatusView(string Version, string Fingerprint, IReadOnlyList<string> Listening, long UptimeSeconds, int Connections, int Routes, long Requests, long InFlight);

/// <summary>The services page: every route of the gateways shown.</summary>
/// <param name="Routes">Routes by domain, then command.</param>
/// <param name="Problems">Gateways that could not be asked, by address.</param>
/// <param name="TakenAt">Unix milliseconds.</param>
internal sealed record ServicesView(IReadOnlyList<RouteView> Routes, IReadOnlyDictionary<string, GatewayProblem> Problems, long TakenAt);

/// <summary>One route (<c>domain/command</c>) over every gateway asked.</summary>
/// <param name="Hosts">The gateways with a service attached for it, folded as a node set.</param>
/// <param name="Outstanding">Requests its services are running now, summed.</param>
/// <param name="Queued">Requests waiting for a free service, summed.</param>
/// <param name="Concurrency">Summed concurrency of its services.</param>
/// <param name="Served">Requests served so far, summed.</param>
/// <param name="PerGateway">The same per gateway.</param>
internal sealed record RouteView(string Domain, string Command, string Hosts, int Outstanding, int Queued, int Concurrency, long Served, IReadOnlyList<RouteAtGateway> PerGateway);

/// <summary>One route at one gateway.</summary>
internal sealed record RouteAtGateway(string Gateway, IReadOnlyList<string> Services, int Outstanding, int Queued, int Concurrency, long Served);
