using System.Text;

namespace Gatehouse.NodeSets;

/// <summary>
/// Folds node names into a compact expression, the inverse of parsing:
/// <c>node1,node2,node3,node7</c> becomes <c>node[1-3,7]</c>.
/// </summary>
/// <remarks>
/// <para>Names are cut into literal text and numeric fields (<see cref="NameParts"/>). Names that share
/// every literal piece and the zero padding of every field fold together; each field becomes a
/// bracket (or a bare number when it has one value), so <c>rack[1-2]-node[1-3]</c> folds in two
/// dimensions. Non-rectangular sets fold into several terms, merged one dimension at a time (last
/// field first, and first field first; the result with fewer terms wins).</para>
/// <para>A trailing <c>:port</c> is opaque: names fold only with names on the same port, so
/// <c>gw1:7340,gw2:7340,gw3:7341</c> folds to <c>gw[1-2]:7340,gw3:7341</c>.</para>
/// <para>Padding: a field written with a leading zero (<c>07</c>) fixes its width; a field without one
/// joins the widest such width it is at least as long as, so <c>node08,node09,node10</c> folds to
/// <c>node[08-10]</c>. Terms are ordered by the natural order of their first node. Steps
/// (<c>1-9/2</c>) are never produced.</para>
/// </remarks>
internal static class NodeFolder
{
    public static string Fold(IEnumerable<string> nodes)
    {
        var bySkeleton = new Dictionary<string, List<NameParts>>(StringComparer.Ordinal);
        foreach (string node in new HashSet<string>(nodes, StringComparer.Ordinal))
        {
            NameParts parts = NameParts.Split(node);
            if (!bySkeleton.TryGetValue(parts.SkeletonKey, out List<NameParts>? list))
            {
                list = [];
                bySkeleton.Add(parts.SkeletonKey, list);
            }

            list.Add(parts);
        }

        var terms = new List<(string First, string Text)>();
        foreach (List<NameParts> group in bySkeleton.Values)
        {
            FoldSkeleton(group, terms);
        }

        terms.Sort((a, b) => NaturalComparer.Instance.Compare(a.First, b.First));
        return string.Join(',', terms.Select(t => t.Text));
    }

    /// <summary>Folds names that share their literal pieces; appends one or more terms.</summary>
    private static void FoldSkeleton(List<NameParts> group, List<(string First, string Text)> terms)
    {
        NameParts sample = group[0];
        int dimensions = sample.Dimensions;
        if (dimensions == 0)
        {
            terms.Add((sample.Name, sample.Name));
            return;
        }

        // Widths asked for explicitly in each dimension, widest first.
        var explicitWidths = new List<int>[dimensions];
        for (int d = 0; d < dimensions; d++)
        {
            explicitWidths[d] = group.Select(p => p.ExplicitPadding(d)).Where(w => w > 0).Distinct().OrderDescending().ToList();
        }

        var byPadding = new Dictionary<string, (int[] Padding, List<long[]> Vectors)>(StringComparer.Ordinal);
        foreach (NameParts parts in group)
        {
            int[] padding = new int[dimensions];
            for (int d = 0; d < dimensions; d++)
            {
                int own = parts.ExplicitPadding(d);
                padding[d] = own > 0 ? own : explicitWidths[d].FirstOrDefault(w => w <= parts.Digits[d].Length);
            }

            string key = string.Join(',', padding);
            if (!byPadding.TryGetValue(key, out var entry))
            {
                entry = (padding, []);
                byPadding.Add(key, entry);
            }

            entry.Vectors.Add(parts.Values);
        }

        foreach ((int[] padding, List<long[]> vectors) in byPadding.Values)
        {
            foreach (long[][] product in FoldVectors(vectors, dimensions))
            {
                terms.Add((FormatFirst(sample, product, padding), FormatTerm(sample, product, padding)));
            }
        }
    }

    /// <summary>
    /// Covers a set of integer vectors exactly with disjoint cartesian products, merging along one
    /// dimension at a time; tries two dimension orders and keeps the one with fewer products.
    /// </summary>
    internal static List<long[][]> FoldVectors(List<long[]> vectors, int dimensions)
    {
        List<long[][]> best = MergeInOrder(vectors, Enumerable.Range(0, dimensions).Reverse());
        if (dimensions > 1)
        {
            List<long[][]> other = MergeInOrder(vectors, Enumerable.Range(0, dimensions));
            if (other.Count < best.Count)
            {
                best = other;
            }
        }

        return best;
    }

    private static List<long[][]> MergeInOrder(List<long[]> vectors, IEnumerable<int> order)
    {
        List<long[][]> items = vectors.Select(v => v.Select(x => new[] { x }).ToArray()).ToList();
        foreach (int d in order)
        {
            // Keyed by the item's other dimensions, compared in place: no key string per item and pass
            // (those made folding allocate nodes x dimensions^2 strings; found by fuzzing).
            var merged = new Dictionary<OtherDimensions, (long[][] Item, SortedSet<long> Values)>(items.Count);
            var keyOrder = new List<OtherDimensions>(items.Count);
            foreach (long[][] item in items)
            {
                var key = new OtherDimensions(item, d);
                if (!merged.TryGetValue(key, out var entry))
                {
                    entry = (item, []);
                    merged.Add(key, entry);
                    keyOrder.Add(key);
                }

                entry.Values.UnionWith(item[d]);
            }

            items = keyOrder.Select(key =>
            {
                (long[][] item, SortedSet<long> values) = merged[key];
                long[][] copy = (long[][])item.Clone();
                copy[d] = [.. values];
                return copy;
            }).ToList();
        }

        return items;
    }

    /// <summary>An item seen without one dimension: equal when every other dimension holds the same values.</summary>
    private readonly struct OtherDimensions(long[][] item, int skipped) : IEquatable<OtherDimensions>
    {
        private readonly long[][] _item = item;
        private readonly int _skipped = skipped;

        public bool Equals(OtherDimensions other)
        {
            for (int d = 0; d < _item.Length; d++)
            {
                if (d != _skipped && !_item[d].AsSpan().SequenceEqual(other._item[d]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is OtherDimensions other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            for (int d = 0; d < _item.Length; d++)
            {
                if (d != _skipped)
                {
                    foreach (long value in _item[d])
                    {
                        hash.Add(value);
                    }
                }

                hash.Add(-1L);
            }

            return hash.ToHashCode();
        }
    }

    private static string FormatFirst(NameParts sample, long[][] product, int[] padding)
    {
        var text = new StringBuilder(sample.Texts[0]);
        for (int d = 0; d < product.Length; d++)
        {
            text.Append(NumberRange.Format(product[d][0], padding[d])).Append(sample.Texts[d + 1]);
        }

        return text.Append(sample.Suffix).ToString();
    }

    private static string FormatTerm(NameParts sample, long[][] product, int[] padding)
    {
        var text = new StringBuilder(sample.Texts[0]);
        for (int d = 0; d < product.Length; d++)
        {
            AppendDimension(text, product[d], padding[d]);
            text.Append(sample.Texts[d + 1]);
        }

        return text.Append(sample.Suffix).ToString();
    }

    /// <summary>Writes <c>7</c> for one value, else <c>[1-3,7]</c>: runs of consecutive values as ranges.</summary>
    private static void AppendDimension(StringBuilder text, long[] sortedValues, int padding)
    {
        if (sortedValues.Length == 1)
        {
            text.Append(NumberRange.Format(sortedValues[0], padding));
            return;
        }

        text.Append('[');
        int i = 0;
        while (i < sortedValues.Length)
        {
            int end = i;
            while (end + 1 < sortedValues.Length && sortedValues[end + 1] == sortedValues[end] + 1)
            {
                end++;
            }

            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(NumberRange.Format(sortedValues[i], padding));
            if (end > i)
            {
                text.Append('-').Append(NumberRange.Format(sortedValues[end], padding));
            }

            i = end + 1;
        }

        text.Append(']');
    }
}
