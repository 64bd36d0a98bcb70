using System.Buffers;

namespace Gatehouse.Remctl.Protocol;

/// <summary>One remctl token: its flags octet and its payload (a GSS-API token or wrapped data).</summary>
/// <param name="Flags">The flags octet.</param>
/// <param name="Payload">The payload; valid only until the reader that produced it is advanced.</param>
public readonly record struct RemctlToken(RemctlTokenFlags Flags, ReadOnlySequence<byte> Payload);
