using System.Runtime.InteropServices;
using System.Text;

namespace Gatehouse.Remctl.Gss;

/// <summary>
/// A <c>gss_cred_id_t</c> acquired with <c>gss_acquire_cred_from</c>, so the keytab, ticket cache and replay
/// cache are explicit per credential instead of process-wide environment variables (KRB5_KTNAME,
/// KRB5CCNAME). Safe to share between threads (MIT locks the credential internally).
/// </summary>
internal sealed unsafe class GssCredential : SafeHandle
{
    public GssCredential() : base(IntPtr.Zero, ownsHandle: true) { }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>
    /// Acquires acceptor credentials for the raw krb5 mechanism.
    /// </summary>
    /// <param name="keytab">Keytab path (<c>FILE:</c> prefix optional); null for the library default.</param>
    /// <param name="principal">Kerberos principal to accept as; null accepts any key in the keytab.</param>
    /// <param name="replayCache">Replay cache name (e.g. <c>dfl:</c>, <c>none:</c>); null for the default.</param>
    public static GssCredential AcquireAcceptor(string? keytab, string? principal, string? replayCache)
    {
        var store = new List<(string, string)>();
        if (keytab is not null)
        {
            store.Add(("keytab", keytab.Contains(':', StringComparison.Ordinal) ? keytab : "FILE:" + keytab));
        }

        if (replayCache is not null)
        {
            store.Add(("rcache", replayCache));
        }

        using var name = principal is null ? null : GssName.Krb5Principal(principal);
        return Acquire(name, GssNative.GSS_C_ACCEPT, store, "acquiring acceptor credentials");
    }

    /// <summary>Acquires initiator credentials from an explicit ticket cache (e.g. <c>FILE:/tmp/cc</c>).</summary>
    public static GssCredential AcquireInitiator(string ccache, string? principal)
    {
        using var name = principal is null ? null : GssName.Krb5Principal(principal);
        return Acquire(name, GssNative.GSS_C_INITIATE, [("ccache", ccache)], "acquiring initiator credentials");
    }

    private static GssCredential Acquire(GssName? name, int usage, List<(string Key, string Value)> store, string operation)
    {
        // Marshal the key/value store as NUL-terminated UTF-8 strings in one pinned block.
        var handles = new List<GCHandle>();
        try
        {
            var elements = new GssKeyValueElement[store.Count];
            for (int i = 0; i < store.Count; i++)
            {
                elements[i].Key = Pin(store[i].Key, handles);
                elements[i].Value = Pin(store[i].Value, handles);
            }

            var result = new GssCredential();
            fixed (GssKeyValueElement* e = elements)
            {
                var set = new GssKeyValueSet { Count = (uint)store.Count, Elements = e };
                uint minor;
                IntPtr cred;
                bool added = false;
                try
                {
                    name?.DangerousAddRef(ref added);
                    IntPtr desired = name?.DangerousGetHandle() ?? IntPtr.Zero;
                    uint major = GssNative.gss_acquire_cred_from(&minor, desired, GssNative.GSS_C_INDEFINITE,
                        GssOids.Krb5MechSet, usage, &set, &cred, IntPtr.Zero, null);
                    GssStatus.ThrowIfError(major, minor, operation);
                }
                finally
                {
                    if (added)
                    {
                        name!.DangerousRelease();
                    }
                }

                result.SetHandle(cred);
            }

            return result;
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Free();
            }
        }
    }

    private static byte* Pin(string value, List<GCHandle> handles)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value + "\0");
        var handle = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        handles.Add(handle);
        return (byte*)handle.AddrOfPinnedObject();
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        uint minor;
        IntPtr h = handle;
        return GssNative.gss_release_cred(&minor, &h) == GssNative.GSS_S_COMPLETE;
    }
}
