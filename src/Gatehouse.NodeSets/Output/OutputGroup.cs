namespace Gatehouse.NodeSets;

/// <summary>Nodes that ended with the same status and whose output was byte-for-byte identical, and that output.</summary>
/// <param name="Nodes">The nodes, never empty.</param>
/// <param name="Output">The shared output bytes (for <see cref="OutputStreams.Both"/>, stdout then stderr).</param>
/// <param name="Status">The shared <see cref="NodeResult.StatusText"/>, e.g. <c>exit 0</c>.</param>
public sealed record OutputGroup(NodeSet Nodes, ReadOnlyMemory<byte> Output, string Status);
