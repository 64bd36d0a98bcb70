using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Cluster;

/// <summary>
/// One entry of the cluster's grant ledger (<see cref="GrantLedger"/>): the current grant of one
/// fingerprint, or a tombstone saying it was removed, stamped with a hybrid logical clock reading
/// (<see cref="Timestamp"/>) and the member that made the change (<see cref="Origin"/>).
/// </summary>
/// <remarks>
/// Of two entries for one fingerprint the one with the higher (<see cref="Timestamp"/>,
/// <see cref="Origin"/>) wins (<see cref="Compare"/>); <see cref="Content"/> breaks the tie that only a
/// member whose own clock went backwards could produce, so the order is total and merging never
/// depends on arrival order. Immutable; equal when every field is equal.
/// </remarks>
public sealed class GrantEntry : IEquatable<GrantEntry>
{
    /// <summary>The largest timestamp accepted: 9999-12-31T23:59:59.999Z in Unix milliseconds, so the clock can never overflow.</summary>
    public const long MaxTimestamp = 253_402_300_799_999;

    /// <summary>Creates an entry.</summary>
    /// <param name="fingerprint">The identity the entry is about.</param>
    /// <param name="timestamp">Hybrid logical clock reading, Unix milliseconds, 0 to <see cref="MaxTimestamp"/>.</param>
    /// <param name="origin">The fingerprint (canonical <c>SHA256:</c> text) of the member that made the change.</param>
    /// <param name="grant">The grant, or null for a removal. Its fingerprint must be <paramref name="fingerprint"/>.</param>
    /// <exception cref="ArgumentException">A value outside the rules above, or a grant <see cref="PeerGrant.Validate"/> refuses.</exception>
    public GrantEntry(Fingerprint fingerprint, long timestamp, string origin, PeerGrant? grant)
    {
        if (fingerprint.IsEmpty)
        {
            throw new ArgumentException("an entry needs a fingerprint", nameof(fingerprint));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timestamp, MaxTimestamp);
        if (OriginProblem(origin) is { } originProblem)
        {
            throw new ArgumentException(originProblem, nameof(origin));
        }

        if (grant is not null)
        {
            if (grant.Fingerprint != fingerprint)
            {
                throw new ArgumentException($"the grant is for {grant.Fingerprint}, the entry for {fingerprint}", nameof(grant));
            }

            if (grant.Validate() is { } problem)
            {
                throw new ArgumentException(problem, nameof(grant));
            }

            grant = Canonical(grant);
        }

        Fingerprint = fingerprint;
        Timestamp = timestamp;
        Origin = origin;
        Grant = grant;
        Content = grant?.ToLine() ?? "-";
    }

    /// <summary>The identity the entry is about.</summary>
    public Fingerprint Fingerprint { get; }

    /// <summary>Hybrid logical clock reading in Unix milliseconds (see <see cref="GrantClock"/>).</summary>
    public long Timestamp { get; }

    /// <summary>The member that made the change: its fingerprint as <c>SHA256:</c> text.</summary>
    public string Origin { get; }

    /// <summary>The grant, or null when the fingerprint was removed (a tombstone).</summary>
    public PeerGrant? Grant { get; }

    /// <summary>True for a tombstone.</summary>
    public bool IsRemoval => Grant is null;

    /// <summary>The grant's <c>authorized_peers</c> line, or <c>-</c> for a removal: what the entry says, for comparisons.</summary>
    public string Content { get; }

    /// <summary>
    /// Orders two entries for the same fingerprint: by timestamp, then origin (ordinal), then
    /// content (ordinal). Positive when <paramref name="a"/> wins.
    /// </summary>
    public static int Compare(GrantEntry a, GrantEntry b)
    {
        int c = a.Timestamp.CompareTo(b.Timestamp);
        if (c == 0)
        {
            c = string.CompareOrdinal(a.Origin, b.Origin);
        }

        return c != 0 ? c : string.CompareOrdinal(a.Content, b.Content);
    }

    /// <summary>Why <paramref name="origin"/> is not a member id (the canonical <c>SHA256:</c> text of a fingerprint), or null.</summary>
    public static string? OriginProblem(string? origin) =>
        Fingerprint.TryParse(origin, out var fp) && fp.ToString() == origin
            ? null
            : $"origin '{Shorten(origin)}' is not a member fingerprint (SHA256:<43 base64 characters>)";

    /// <summary>The grant with the roles a file line would give it (admin implies client), so a rendered line reads back equal.</summary>
    internal static PeerGrant Canonical(PeerGrant grant) =>
        grant.Has(PeerRoles.Admin) && !grant.Has(PeerRoles.Client) ? grant with { Roles = grant.Roles | PeerRoles.Client } : grant;

    private static string Shorten(string? text) =>
        text is null ? "(null)" : string.Concat(text.Take(80).Select(c => char.IsControl(c) ? '?' : c));

    /// <inheritdoc />
    public bool Equals(GrantEntry? other) =>
        other is not null && Fingerprint == other.Fingerprint && Timestamp == other.Timestamp
        && Origin == other.Origin && Content == other.Content;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as GrantEntry);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Fingerprint, Timestamp, Origin, Content);

    /// <inheritdoc />
    public override string ToString() => $"{Timestamp} {Origin} {(Grant is null ? $"remove {Fingerprint}" : Content)}";
}
