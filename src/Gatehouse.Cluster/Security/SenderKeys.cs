namespace Gatehouse.Cluster.Security;

/// <summary>The keys installed for one sender: its newest and the one before (rotation grace), and the ids it retired.</summary>
internal sealed class SenderKeys
{
    public SenderKeys(string memberId) => MemberId = memberId;

    public string MemberId { get; }

    /// <summary>The newest installed key (seals from now on).</summary>
    public ReceiveKey? Newest { get; set; }

    /// <summary>The key before it, still accepted until the next install or <see cref="DatagramSecurity.RetireOldKeys"/>.</summary>
    public ReceiveKey? Previous { get; set; }

    /// <summary>Ids of keys this sender rotated away from, newest last (bounded).</summary>
    public List<uint> Retired { get; } = [];

    /// <summary>True when the member was removed; its datagrams count as revoked.</summary>
    public bool Revoked { get; set; }

    public ReceiveKey? Find(uint keyId) =>
        Newest is { } n && n.KeyId == keyId ? n : Previous is { } p && p.KeyId == keyId ? p : null;

    public void Retire(ReceiveKey key, int remember)
    {
        Retired.Remove(key.KeyId);
        Retired.Add(key.KeyId);
        if (Retired.Count > remember)
        {
            Retired.RemoveAt(0);
        }

        key.Dispose();
    }
}
