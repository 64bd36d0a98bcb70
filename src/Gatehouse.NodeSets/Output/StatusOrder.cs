namespace Gatehouse.NodeSets;

/// <summary>
/// The order clush reports results in: by exit status, lowest first; results without one (errors:
/// unreachable, refused, timed out...) after every exit status, by their text.
/// </summary>
internal sealed class StatusOrder : IComparer<NodeResult>
{
    public static readonly StatusOrder Instance = new();

    public int Compare(NodeResult? x, NodeResult? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        if (x.ExitCode is { } a)
        {
            return y.ExitCode is { } b ? a.CompareTo(b) : -1;
        }

        return y.ExitCode is null ? string.CompareOrdinal(x.StatusText, y.StatusText) : 1;
    }
}
