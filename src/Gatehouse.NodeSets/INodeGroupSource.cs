using System.Diagnostics.CodeAnalysis;

namespace Gatehouse.NodeSets;

/// <summary>Resolves <c>@group</c> names used in node-set expressions.</summary>
public interface INodeGroupSource
{
    /// <summary>Looks up a group by name (without the leading <c>@</c>).</summary>
    /// <param name="name">The group name.</param>
    /// <param name="nodes">The group's members when found.</param>
    /// <returns><see langword="true"/> when the group exists.</returns>
    bool TryGetGroup(string name, [NotNullWhen(true)] out NodeSet? nodes);
}
