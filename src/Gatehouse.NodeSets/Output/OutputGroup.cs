namespace Gatehouse.NodeSets;

/// <summary>Nodes whose output was byte-for-byte identical, and that output.</summary>
/// <param name="Nodes">The nodes, never empty.</param>
/// <param name="Output">The shared output bytes (for <see cref="OutputStreams.Both"/>, stdout then stderr).</param>
public sealed record OutputGroup(NodeSet Nodes, ReadOnlyMemory<byte> Output);
