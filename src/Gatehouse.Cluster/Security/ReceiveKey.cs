using System.Security.Cryptography;

namespace Gatehouse.Cluster.Security;

/// <summary>One installed key of one sender: the key bytes, its replay window, and a cipher context made on first use.</summary>
internal sealed class ReceiveKey : IDisposable
{
    private readonly byte[] _key;

    public ReceiveKey(uint keyId, ReadOnlySpan<byte> key, int window)
    {
        KeyId = keyId;
        _key = key.ToArray();
        Window = new ReplayWindow(window);
    }

    public uint KeyId { get; }

    public ReplayWindow Window { get; }

    /// <summary>The cipher context, or null when not made yet or evicted from the cache.</summary>
    public AesGcm? Cipher { get; private set; }

    public bool SameKey(ReadOnlySpan<byte> key) => CryptographicOperations.FixedTimeEquals(_key, key);

    public AesGcm MakeCipher() => Cipher = new AesGcm(_key, DatagramSecurity.TagBytes);

    public void DropCipher()
    {
        Cipher?.Dispose();
        Cipher = null;
    }

    public void Dispose()
    {
        DropCipher();
        CryptographicOperations.ZeroMemory(_key);
    }
}
