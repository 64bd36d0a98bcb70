using System.Buffers.Binary;
using System.Security.Cryptography;
using Gatehouse.Transport.Security;

namespace Gatehouse.Service.Discovery;

/// <summary>
/// Which discovered members a service attaches to, given the configured gateways (seeds) and a
/// member list. Pure: the same inputs give the same choice.
/// </summary>
internal static class DiscoveryPlan
{
    /// <summary>
    /// The members to attach to besides the seeds, best first: every live member that is not a seed,
    /// or with <paramref name="maxGateways"/> &gt; 0 as many as fit beside the seeds (a seed the list
    /// reports dead or left does not take a place), ranked by <see cref="Rank"/>.
    /// </summary>
    public static IReadOnlyList<GatewayTarget> Choose(IReadOnlyList<GatewayTarget> seeds, IReadOnlyList<ClusterMember> members, Fingerprint service, int maxGateways)
    {
        var seedPrints = seeds.Select(s => s.Fingerprint).ToHashSet();
        var notLive = members.Where(m => !m.IsLive).Select(m => m.Fingerprint).ToHashSet();
        int room = int.MaxValue;
        if (maxGateways > 0)
        {
            int seedsCounted = seeds.Count(s => !notLive.Contains(s.Fingerprint));
            room = Math.Max(0, maxGateways - seedsCounted);
        }

        return members
            .Where(m => m.IsLive && !seedPrints.Contains(m.Fingerprint))
            .DistinctBy(m => m.Fingerprint)
            .OrderBy(m => Rank(service, m.Fingerprint))
            .ThenBy(m => m.Fingerprint.ToString(), StringComparer.Ordinal)
            .Take(room)
            .Select(m => new GatewayTarget(m.Address, m.Fingerprint))
            .ToList();
    }

    /// <summary>
    /// Rendezvous (highest random weight) rank of <paramref name="member"/> for
    /// <paramref name="service"/>: the first 8 bytes of SHA-256(service fingerprint ‖ member
    /// fingerprint); lower is preferred. Each service orders the members differently, so services
    /// spread evenly, and a member joining or leaving changes the choice of few services.
    /// </summary>
    public static ulong Rank(Fingerprint service, Fingerprint member)
    {
        // A fingerprint is 32 bytes (SHA-256).
        Span<byte> input = stackalloc byte[64];
        service.Hash.CopyTo(input);
        member.Hash.CopyTo(input[32..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }
}
