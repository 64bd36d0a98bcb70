using System.Text;

namespace Gatehouse.NodeSets;

/// <summary>
/// Folds node names into a compact expression, the inverse of parsing, the way ClusterShell's
/// <c>nodeset -f</c> does: <c>node1,node2,node3,node7</c> becomes <c>node[1-3,7]</c>,
/// <c>127.0.0.1:29275..29279</c> becomes <c>127.0.0.1:[29275-29279]</c>.
/// </summary>
/// <remarks>
/// <para>Names are cut into literal text and numeric fields (<see cref="NameParts"/>); names that share
/// every literal piece (a "pattern") fold together, ports included. Patterns are written in ordinal
/// order of the pattern text (the name with <c>%s</c> for each field).</para>
/// <para>When at most one field varies within a pattern, the pattern folds into one term. Otherwise each
/// name is a vector of fields and vectors are merged greedily, two at a time, when they differ in one
/// field only (disjoint values are joined; a field that contains the other's is kept): after sorting
/// (larger terms first, then per field: more values first, lower first value, lower last value), a
/// cheap pass compares each term with the next ones until one does not merge, repeated while it
/// changes something, then one pass compares every pair. That is ClusterShell's order, so the result
/// matches <c>nodeset -f</c>; terms are written in that sorted order. The every-pair pass is skipped
/// above <see cref="MaxTermsForFullPass"/> terms and the cheap passes stop after <see cref="MaxPasses"/>,
/// so folding stays fast on any input (the result then has more terms, but still parses to the same set).</para>
/// <para>Zero padding is kept as written: <c>node08,node09,node10</c> folds to <c>node[08-10]</c> and
/// <c>node1,node01</c> to <c>node[1,01]</c>. Steps (<c>1-9/2</c>) are never produced.</para>
/// </remarks>
internal static class NodeFolder
{
    /// <summary>Most terms for which the pass comparing every pair runs.</summary>
    internal const int MaxTermsForFullPass = 2048;

    /// <summary>Most cheap merge passes over one pattern.</summary>
    internal const int MaxPasses = 64;

    public static string Fold(IEnumerable<string> nodes)
    {
        var byPattern = new Dictionary<string, List<NameParts>>(StringComparer.Ordinal);
        foreach (string node in new HashSet<string>(nodes, StringComparer.Ordinal))
        {
            NameParts parts = NameParts.Split(node);
            if (!byPattern.TryGetValue(parts.GroupKey, out List<NameParts>? list))
            {
                list = [];
                byPattern.Add(parts.GroupKey, list);
            }

            list.Add(parts);
        }

        var terms = new List<string>();
        foreach (List<NameParts> group in byPattern.Values.OrderBy(g => g[0].Pattern, StringComparer.Ordinal).ThenBy(g => g[0].GroupKey, StringComparer.Ordinal))
        {
            NameParts sample = group[0];
            if (sample.Dimensions == 0)
            {
                terms.Add(sample.Name);
                continue;
            }

            foreach (DigitRange[] item in FoldVectors(group.Select(p => p.Digits).ToList()))
            {
                terms.Add(Format(sample, item));
            }
        }

        return string.Join(',', terms);
    }

    /// <summary>Covers distinct digit vectors (all of one length) with cartesian products, in output order.</summary>
    internal static List<DigitRange[]> FoldVectors(List<string[]> vectors)
    {
        int dimensions = vectors[0].Length;
        int varying = 0;
        for (int d = 0; d < dimensions && varying < 2; d++)
        {
            string first = vectors[0][d];
            if (vectors.Exists(v => !string.Equals(v[d], first, StringComparison.Ordinal)))
            {
                varying++;
            }
        }

        if (varying <= 1)
        {
            var single = new DigitRange[dimensions];
            for (int d = 0; d < dimensions; d++)
            {
                int dim = d;
                single[d] = DigitRange.Of(vectors.Select(v => v[dim]));
            }

            return [single];
        }

        var items = vectors.Select(v => v.Select(DigitRange.Of).ToArray()).ToList();
        return Merge(items);
    }

    private static List<DigitRange[]> Merge(List<DigitRange[]> items)
    {
        bool full = false;
        bool changed = true;
        int passes = 0;
        while (changed)
        {
            changed = false;
            items = Sorted(items);
            var slots = items.ToArray<DigitRange[]?>();
            for (int i = 0; i + 1 < slots.Length; i++)
            {
                DigitRange[]? item1 = slots[i];
                if (item1 is null)
                {
                    continue;
                }

                for (int j = i + 1; j < slots.Length; j++)
                {
                    DigitRange[]? item2 = slots[j];
                    if (item2 is null)
                    {
                        continue;
                    }

                    if (TryMerge(item1, item2) is { } merged)
                    {
                        changed = true;
                        slots[i] = item1 = merged;
                        slots[j] = null;
                    }
                    else if (!full)
                    {
                        break; // cheap pass: on to the next term
                    }
                }
            }

            items = slots.Where(s => s is not null).ToList()!;
            if (++passes >= MaxPasses)
            {
                break;
            }

            if (!changed && !full && items.Count <= MaxTermsForFullPass)
            {
                changed = full = true;
            }
        }

        return Sorted(items);
    }

    /// <summary>The two as one term when they differ in one field only; null otherwise.</summary>
    private static DigitRange[]? TryMerge(DigitRange[] a, DigitRange[] b)
    {
        var merged = new DigitRange[a.Length];
        int differences = 0;
        for (int d = 0; d < a.Length; d++)
        {
            DigitRange x = a[d], y = b[d];
            if (x.Equals(y))
            {
                merged[d] = x;
                continue;
            }

            if (++differences > 1)
            {
                return null;
            }

            if (x.IsDisjoint(y))
            {
                merged[d] = x.Union(y);
            }
            else if (x.IsSubsetOf(y) || y.IsSubsetOf(x))
            {
                merged[d] = x.Count >= y.Count ? x : y;
            }
            else
            {
                return null; // overlapping in part: left as two terms
            }
        }

        return merged;
    }

    /// <summary>Stable sort: larger terms first, then per field more values, lower first, lower last (ordinal).</summary>
    private static List<DigitRange[]> Sorted(List<DigitRange[]> items) =>
        items.Select((item, index) => (Item: item, Index: index)).Order(TermOrder.Instance).Select(p => p.Item).ToList();

    private sealed class TermOrder : IComparer<(DigitRange[] Item, int Index)>
    {
        public static readonly TermOrder Instance = new();

        public int Compare((DigitRange[] Item, int Index) x, (DigitRange[] Item, int Index) y)
        {
            int c = Size(y.Item).CompareTo(Size(x.Item));
            for (int d = 0; c == 0 && d < x.Item.Length; d++)
            {
                DigitRange a = x.Item[d], b = y.Item[d];
                c = b.Count.CompareTo(a.Count);
                if (c == 0)
                {
                    c = string.CompareOrdinal(a.First, b.First);
                }

                if (c == 0)
                {
                    c = string.CompareOrdinal(a.Last, b.Last);
                }
            }

            return c != 0 ? c : x.Index.CompareTo(y.Index);
        }

        private static long Size(DigitRange[] item)
        {
            long size = 1;
            foreach (DigitRange r in item)
            {
                size = size > long.MaxValue / r.Count ? long.MaxValue : size * r.Count;
            }

            return size;
        }
    }

    private static string Format(NameParts sample, DigitRange[] item)
    {
        var text = new StringBuilder(sample.Texts[0]);
        for (int d = 0; d < item.Length; d++)
        {
            item[d].AppendTo(text);
            text.Append(sample.Texts[d + 1]);
        }

        return text.ToString();
    }
}
