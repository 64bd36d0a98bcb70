using System.Security.Cryptography;

namespace Gatehouse.Cluster.Security;

/// <summary>
/// A member's AES-256-GCM send key with its id. The member seals every datagram under its current
/// send key; the integration layer hands the key to the other members over mutual TLS, and they
/// install it with <see cref="DatagramSecurity.InstallKey"/>. Never log <see cref="Key"/>.
/// </summary>
public sealed class SendKey
{
    /// <summary>Key length in bytes (AES-256).</summary>
    public const int KeyBytes = 32;

    private readonly byte[] _key;

    /// <summary>Wraps an existing key (a copy is kept).</summary>
    public SendKey(uint keyId, ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"a send key is {KeyBytes} bytes, not {key.Length}", nameof(key));
        }

        KeyId = keyId;
        _key = key.ToArray();
    }

    /// <summary>The key's id, carried in every datagram sealed under it; rotation adds 1.</summary>
    public uint KeyId { get; }

    /// <summary>The 256-bit key.</summary>
    public ReadOnlyMemory<byte> Key => _key;

    /// <summary>A new random key with id <paramref name="keyId"/>.</summary>
    public static SendKey Generate(uint keyId) => new(keyId, RandomNumberGenerator.GetBytes(KeyBytes));

    /// <inheritdoc/>
    public override string ToString() => $"send key {KeyId}";
}
