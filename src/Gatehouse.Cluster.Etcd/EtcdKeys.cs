using System.Text;
using Google.Protobuf;

namespace Gatehouse.Cluster.Etcd;

/// <summary>
/// The key layout under <c>PREFIX/CLUSTER/</c> (docs/cluster.md, "etcd registry"):
/// <code>
/// PREFIX/CLUSTER/members/FINGERPRINT   JSON member record       under the member's lease
/// PREFIX/CLUSTER/routes/FINGERPRINT    "VERSION\n" + route list  under the member's lease
/// PREFIX/CLUSTER/grants/FINGERPRINT    authorized_peers line    no lease (stays until removed)
/// </code>
/// Pure: no I/O.
/// </summary>
internal sealed class EtcdKeys
{
    public const string Members = "members/";
    public const string RoutesDir = "routes/";
    public const string Grants = "grants/";

    public EtcdKeys(string prefix, string cluster)
    {
        Root = prefix.TrimEnd('/') + "/" + cluster + "/";
        RootBytes = ByteString.CopyFromUtf8(Root);
        RootEnd = RangeEnd(RootBytes);
    }

    /// <summary><c>PREFIX/CLUSTER/</c>.</summary>
    public string Root { get; }

    public ByteString RootBytes { get; }

    /// <summary>The end of the range holding every key under <see cref="Root"/>.</summary>
    public ByteString RootEnd { get; }

    public ByteString Member(string id) => ByteString.CopyFromUtf8(Root + Members + id);

    public ByteString Routes(string id) => ByteString.CopyFromUtf8(Root + RoutesDir + id);

    public ByteString Grant(string id) => ByteString.CopyFromUtf8(Root + Grants + id);

    /// <summary>Splits a key under <see cref="Root"/> into its kind and id; false for any other key.</summary>
    public bool TryParse(ByteString key, out string kind, out string id)
    {
        kind = id = "";
        string text = key.ToStringUtf8();
        if (!text.StartsWith(Root, StringComparison.Ordinal))
        {
            return false;
        }

        string rest = text[Root.Length..];
        foreach (string k in (string[])[Members, RoutesDir, Grants])
        {
            if (rest.StartsWith(k, StringComparison.Ordinal) && rest.Length > k.Length)
            {
                kind = k;
                id = rest[k.Length..];
                return true;
            }
        }

        return false;
    }

    /// <summary>etcd's "prefix" range end: the prefix with its last byte raised by one.</summary>
    public static ByteString RangeEnd(ByteString prefix)
    {
        byte[] end = prefix.ToByteArray();
        for (int i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return ByteString.CopyFrom(end, 0, i + 1);
            }
        }

        return ByteString.CopyFrom(0); // every key
    }

    /// <summary>A route-list value: the version in decimal, a newline, the list.</summary>
    public static ByteString RoutesValue(long version, ReadOnlySpan<byte> payload)
    {
        byte[] head = Encoding.ASCII.GetBytes(version.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        byte[] value = new byte[head.Length + payload.Length];
        head.CopyTo(value, 0);
        payload.CopyTo(value.AsSpan(head.Length));
        return ByteString.CopyFrom(value);
    }

    /// <summary>Parses a route-list value; false when it is not one.</summary>
    public static bool TryParseRoutes(ReadOnlySpan<byte> value, out long version, out byte[] payload)
    {
        version = 0;
        payload = [];
        int nl = value.IndexOf((byte)'\n');
        if (nl <= 0 || nl > 20 || !long.TryParse(value[..nl], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version))
        {
            return false;
        }

        payload = value[(nl + 1)..].ToArray();
        return true;
    }
}
