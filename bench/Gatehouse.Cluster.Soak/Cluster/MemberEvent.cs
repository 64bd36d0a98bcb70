using System.Globalization;
using System.Text.RegularExpressions;

namespace Gatehouse.Cluster.Soak.Cluster;

/// <summary>What a gateway's log says about membership: a state change (event 4002) or a refutation (4003).</summary>
internal enum MemberEventKind
{
    Alive,
    Suspect,
    Dead,
    Left,
    Refuted,
}

/// <summary>
/// One membership line of gateway <see cref="Observer"/>'s output, stamped with the soak's clock
/// (<see cref="At"/>, seconds) when the line arrived. <see cref="Member"/> is the member id (its
/// fingerprint) the change is about; for a refutation, the observer itself.
/// </summary>
internal sealed record MemberEvent(double At, int Observer, string Member, MemberEventKind Kind)
{
    /// <summary>Parses a gateway log line (simple console format); null when it is not a membership event.</summary>
    public static (string Member, MemberEventKind Kind)? Parse(string line, string self)
    {
        var m = StateLine.Match(line);
        if (m.Success && Enum.TryParse<MemberEventKind>(m.Groups[2].Value, ignoreCase: false, out var kind) && kind != MemberEventKind.Refuted)
        {
            return (m.Groups[1].Value, kind);
        }

        if (line.Contains("[4003]", StringComparison.Ordinal) && line.Contains("Refuting", StringComparison.Ordinal))
        {
            return (self, MemberEventKind.Refuted);
        }

        return null;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{At:0.000}s gw{Observer}: {Member} {Kind}");

    private static readonly Regex StateLine = new(@"\[4002\] Cluster member (\S+) is now (\w+) \(incarnation \d+, ", RegexOptions.CultureInvariant | RegexOptions.Compiled);
}

/// <summary>Every membership event of every gateway, in arrival order (thread-safe).</summary>
internal sealed class EventLog
{
    private readonly List<MemberEvent> _events = [];

    public void Add(MemberEvent e)
    {
        lock (_events)
        {
            _events.Add(e);
        }
    }

    /// <summary>The events with <paramref name="from"/> ≤ At &lt; <paramref name="to"/> that match <paramref name="filter"/>.</summary>
    public List<MemberEvent> Between(double from, double to, Func<MemberEvent, bool>? filter = null)
    {
        lock (_events)
        {
            return [.. _events.Where(e => e.At >= from && e.At < to && (filter is null || filter(e)))];
        }
    }

    public int Count
    {
        get
        {
            lock (_events)
            {
                return _events.Count;
            }
        }
    }
}
