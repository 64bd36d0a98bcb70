namespace Gatehouse.Service;

/// <summary>
/// How a service finds the other members of a gateway cluster (docs/services.md, "Discovery").
/// With discovery on (the default) the service asks a gateway it is attached to for its member list
/// (<c>gatehouse members --json</c>) when it attaches to a configured gateway and then every
/// <see cref="Interval"/>; it attaches to the live members (alive or suspect) as well, each pinned to
/// the fingerprint the already authenticated gateway reported for it, and detaches from members
/// reported dead, left or no longer listed. The configured gateways (<see cref="ServiceOptions.Gateways"/>)
/// are never dropped. A gateway that is not in a cluster lists only itself, so nothing changes for
/// a service of a lone gateway beyond one small request per <see cref="Interval"/>.
/// </summary>
public sealed record DiscoveryOptions
{
    /// <summary>Shortest <see cref="Interval"/>: 1 second.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    /// <summary>Longest <see cref="Interval"/>: 1 hour.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    /// <summary>Most <see cref="MaxGateways"/>: 1,024.</summary>
    public const int MaxGatewaysLimit = 1024;

    /// <summary>Largest <see cref="MaxMemberListBytes"/>: 64 MiB.</summary>
    public const int MaxMemberListBytesLimit = 64 * 1024 * 1024;

    /// <summary>
    /// Whether the service learns the other members of its gateways' cluster and attaches to them.
    /// Default true. False: the service attaches to <see cref="ServiceOptions.Gateways"/> only and
    /// sends no member-list requests (the behaviour before discovery existed).
    /// </summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// How many gateways the service attaches to at most, configured ones included; 0 (the default)
    /// means every live member. The configured gateways are always attached to, even beyond this
    /// number; the rest of the places go to discovered members in an order fixed by the service's own
    /// fingerprint (rendezvous hashing), so that services spread evenly over the members and a member
    /// joining or leaving moves few of them. 0 .. 1,024.
    /// </summary>
    public int MaxGateways { get; init; }

    /// <summary>
    /// How often the member list is read again, besides at each attachment to a configured gateway.
    /// 1 s .. 1 h. Default 5 s: one request of a few hundred bytes per member to one gateway.
    /// </summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest member list accepted (the JSON answer of <c>members --json</c>, which includes every
    /// member's route list); a longer answer is cancelled and the attachments stay as they are.
    /// 64 KiB .. 64 MiB. Default 16 MiB.
    /// </summary>
    public int MaxMemberListBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>The defaults.</summary>
    public static DiscoveryOptions Default { get; } = new();

    /// <summary>Discovery off: attach to the configured gateways only.</summary>
    public static DiscoveryOptions Off { get; } = new() { Enabled = false };

    /// <summary>Checks every setting; returns this instance.</summary>
    /// <param name="owner">The option that holds this record (e.g. <c>Discovery</c>), used in the message.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range (the message names it and the range).</exception>
    public DiscoveryOptions Validate(string? owner = null)
    {
        Check(MaxGateways is >= 0 and <= MaxGatewaysLimit, owner, nameof(MaxGateways), MaxGateways, $"must be 0 (every member) to {MaxGatewaysLimit}");
        Check(Interval >= MinInterval && Interval <= MaxInterval, owner, nameof(Interval), Interval, $"must be {MinInterval} to {MaxInterval}");
        Check(MaxMemberListBytes is >= 64 * 1024 and <= MaxMemberListBytesLimit, owner, nameof(MaxMemberListBytes), MaxMemberListBytes, $"must be 65536 to {MaxMemberListBytesLimit}");
        return this;
    }

    private static void Check(bool ok, string? owner, string field, object value, string rule)
    {
        if (!ok)
        {
            string name = owner is null ? field : $"{owner}.{field}";
            throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}; got {value}");
        }
    }
}
