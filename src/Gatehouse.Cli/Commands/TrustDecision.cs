using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Commands;

/// <summary>What <c>gatehouse trust HOST</c> does with the fingerprint a gateway presented.</summary>
internal enum TrustOutcome
{
    /// <summary>The pin matches: nothing to write.</summary>
    AlreadyTrusted,

    /// <summary>No pin; record it (the fingerprint was given, or --yes).</summary>
    Record,

    /// <summary>No pin; ask on the terminal.</summary>
    Ask,

    /// <summary>The pin differs and --replace named exactly the presented fingerprint.</summary>
    Replace,

    /// <summary>The pin differs and nothing named the new fingerprint: refused, pin unchanged (--yes does not change that).</summary>
    ChangedRefused,

    /// <summary>--fingerprint or --replace named another fingerprint than the one presented: refused.</summary>
    WrongFingerprint,
}

/// <summary>
/// Trust on first use that is only that (docs/security.md): <c>--yes</c> records hosts without a pin
/// and nothing else; a changed fingerprint is replaced only when <c>--replace</c> names it exactly;
/// <c>--fingerprint</c> is compared whether or not the host is pinned. No I/O.
/// </summary>
internal static class TrustDecision
{
    /// <param name="pinned">The pin in known_hosts, if any.</param>
    /// <param name="presented">What the gateway presented.</param>
    /// <param name="wanted">The fingerprint given with --fingerprint or --replace, if any.</param>
    /// <param name="replace">--replace was given.</param>
    /// <param name="yes">--yes was given.</param>
    public static TrustOutcome Decide(Fingerprint? pinned, Fingerprint presented, Fingerprint? wanted, bool replace, bool yes)
    {
        if (wanted is { } w && w != presented)
        {
            return TrustOutcome.WrongFingerprint;
        }

        if (pinned == presented)
        {
            return TrustOutcome.AlreadyTrusted;
        }

        if (pinned is not null)
        {
            return replace ? TrustOutcome.Replace : TrustOutcome.ChangedRefused;
        }

        return wanted is not null || yes ? TrustOutcome.Record : TrustOutcome.Ask;
    }
}
