using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Membership;
using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Pipeline.Targets;

/// <summary>
/// The cluster commands of the reserved domain: <c>cluster-exchange</c>, <c>cluster-ping</c> and
/// <c>cluster-routes</c> (for members: callers authorized in the gateway role) and <c>members</c>
/// (admins, services and members), which lists every member with its state, address, fingerprint and routes.
/// </summary>
internal sealed class MembershipTarget(ClusterMembership membership) : IRequestTarget
{
    /// <summary>The commands this target serves.</summary>
    public static bool Serves(string command) => command is "cluster-exchange" or "cluster-ping" or "cluster-routes" or "members";

    public TargetKind Kind => TargetKind.Control;

    public async Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        if (request.Caller.Grant is not { } grant || request.Caller.Session is null)
        {
            return request.UnknownCommand();
        }

        string command = request.Header.Command;
        bool member = grant.Has(PeerRoles.Gateway);
        if (command == "members")
        {
            if (!member && !grant.Has(PeerRoles.Admin) && !grant.Has(PeerRoles.Service))
            {
                return request.AccessDenied($"gatehouse members needs the admin, service or gateway role; {grant.Name} has {grant.RolesText}");
            }

            bool json = request.Header.Arguments.Any(a => a.Span.SequenceEqual("--json"u8));
            await request.WriteAsync(1, Encoding.UTF8.GetBytes(json ? Json() : Table()), cancellationToken).ConfigureAwait(false);
            if (membership.Registry.Health is { Up: false } health && membership.Etcd is not null)
            {
                // The list is the last view: say so where a person reads it, without touching the output a script parses.
                await request.WriteAsync(2, Encoding.UTF8.GetBytes(health.Describe(membership.Registry.Kind) + "\n"), cancellationToken).ConfigureAwait(false);
            }

            return CallStatus.Exit(0);
        }

        if (!member)
        {
            return request.AccessDenied($"gatehouse {command} is for cluster members (the gateway role); {grant.Name} has {grant.RolesText}");
        }

        if (command == "cluster-ping")
        {
            return CallStatus.Exit(0);
        }

        if (command == "cluster-routes")
        {
            byte[] list = membership.LocalRoutes().ToUtf8();
            if (list.Length > membership.Options.MaxRouteListBytes)
            {
                return CallStatus.Error(ErrorCode.Overloaded, $"The route list is {list.Length} bytes, more than the {membership.Options.MaxRouteListBytes} members accept");
            }

            await request.WriteAsync(1, list, cancellationToken).ConfigureAwait(false);
            return CallStatus.Exit(0);
        }

        byte[] payload;
        try
        {
            payload = await ReadInputAsync(request, membership.Options.MaxExchangeBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            return CallStatus.Error(ErrorCode.BadCommand, ex.Message);
        }

        try
        {
            var reply = membership.Answer(request.Caller.Fingerprint, payload);
            await request.WriteAsync(1, reply.ToUtf8(), cancellationToken).ConfigureAwait(false);
            return CallStatus.Exit(0);
        }
        catch (FormatException ex)
        {
            return CallStatus.Error(ErrorCode.BadCommand, "Bad exchange: " + ex.Message);
        }
        catch (UnauthorizedAccessException ex)
        {
            return request.AccessDenied(ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            return CallStatus.Error(ErrorCode.Overloaded, ex.Message);
        }
    }

    private static async Task<byte[]> ReadInputAsync(GatewayRequest request, int limit, CancellationToken cancellationToken)
    {
        await using var input = request.OpenInput(cancellationToken);
        if (input is null)
        {
            return [];
        }

        var buffer = new ArrayBufferWriter<byte>();
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            int n = await input.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(n);
            if (buffer.WrittenCount > limit)
            {
                throw new InvalidDataException($"Member state larger than {limit} bytes");
            }
        }
    }

    private string Table()
    {
        var sb = new StringBuilder();
        foreach (var m in Sorted())
        {
            var meta = MemberMetadata.TryParse(m.Metadata.Span);
            sb.Append(CultureInfo.InvariantCulture, $"{m.State.ToString().ToLowerInvariant(),-7} {m.Address,-22} {meta?.Host ?? "?",-16} routes={meta?.Routes.ToString(CultureInfo.InvariantCulture) ?? "?"} since {m.LastChange:u} {m.Id}{(m.Id == membership.Id ? " (this gateway)" : string.Empty)}\n");
        }

        return sb.ToString();
    }

    private string Json()
    {
        var list = Sorted().Select(m =>
        {
            var meta = MemberMetadata.TryParse(m.Metadata.Span);
            bool self = m.Id == membership.Id;
            var list = self ? membership.LocalRoutes() : membership.RemoteRoutes.Of(m.Id);
            var routes = list?.Routes.Select(r => new MemberRouteInfo(r.Domain, r.Command, r.Services, r.Concurrency)).ToList();
            return new MemberInfo(m.Id, m.State.ToString().ToLowerInvariant(), m.Address.ToString(), meta?.Host, meta?.Routes, meta?.RoutesVersion, m.Incarnation, m.LastChange, self, list?.Version, routes, meta?.RemctlPort);
        }).ToList();
        return JsonSerializer.Serialize(list, MembersJson.Default.ListMemberInfo) + "\n";
    }

    private IEnumerable<global::Gatehouse.Cluster.Membership.MemberSnapshot> Sorted() =>
        membership.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).ThenBy(m => m.Id, StringComparer.Ordinal);
}

/// <summary>
/// One member as <c>gatehouse members --json</c> shows it: <see cref="Routes"/> and
/// <see cref="RoutesVersion"/> are what the member gossips; <see cref="RouteList"/> is its route list
/// as this gateway last pulled it (of version <see cref="RouteListVersion"/>; null until pulled);
/// <see cref="RemctlPort"/> is the member's remctl-compatible (Kerberos) port on its address, null when it has none.
/// </summary>
public sealed record MemberInfo(string Fingerprint, string State, string Address, string? Host, int? Routes, long? RoutesVersion, uint Incarnation, DateTimeOffset LastChange, bool Self,
    long? RouteListVersion, IReadOnlyList<MemberRouteInfo>? RouteList, int? RemctlPort = null);

/// <summary>One route of a member in <c>gatehouse members --json</c>.</summary>
public sealed record MemberRouteInfo(string Domain, string Command, int Services, int Concurrency);

[System.Text.Json.Serialization.JsonSerializable(typeof(List<MemberInfo>))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class MembersJson : System.Text.Json.Serialization.JsonSerializerContext;
