using System.Runtime.InteropServices;

namespace Gatehouse.Remctl.Gss;

/// <summary>
/// OIDs used with MIT GSS-API, allocated once in native memory for the life of the process.
/// </summary>
internal static unsafe class GssOids
{
    /// <summary>Raw Kerberos 5 mechanism, 1.2.840.113554.1.2.2 (remctl uses it, not SPNEGO).</summary>
    public static readonly GssOidDesc* Krb5Mech = Create([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02]);

    /// <summary>GSS_C_NT_HOSTBASED_SERVICE, 1.2.840.113554.1.2.1.4 (<c>service@host</c>).</summary>
    public static readonly GssOidDesc* HostBasedService = Create([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04]);

    /// <summary>GSS_KRB5_NT_PRINCIPAL_NAME, 1.2.840.113554.1.2.2.1 (<c>primary/instance@REALM</c>).</summary>
    public static readonly GssOidDesc* Krb5PrincipalName = Create([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01]);

    /// <summary>GSS_C_NT_ANONYMOUS, 1.3.6.1.5.6.3.</summary>
    public static readonly GssOidDesc* Anonymous = Create([0x2b, 0x06, 0x01, 0x05, 0x06, 0x03]);

    /// <summary>An OID set holding only <see cref="Krb5Mech"/>.</summary>
    public static readonly GssOidSetDesc* Krb5MechSet = CreateSet(Krb5Mech);

    /// <summary>Compares two OIDs by value.</summary>
    public static bool Equal(GssOidDesc* a, GssOidDesc* b)
        => a != null && b != null && a->Length == b->Length
           && new ReadOnlySpan<byte>(a->Elements, (int)a->Length).SequenceEqual(new ReadOnlySpan<byte>(b->Elements, (int)b->Length));

    private static GssOidDesc* Create(ReadOnlySpan<byte> der)
    {
        var oid = (GssOidDesc*)NativeMemory.Alloc((nuint)sizeof(GssOidDesc));
        var bytes = (byte*)NativeMemory.Alloc((nuint)der.Length);
        der.CopyTo(new Span<byte>(bytes, der.Length));
        oid->Length = (uint)der.Length;
        oid->Elements = bytes;
        return oid;
    }

    private static GssOidSetDesc* CreateSet(GssOidDesc* member)
    {
        var set = (GssOidSetDesc*)NativeMemory.Alloc((nuint)sizeof(GssOidSetDesc));
        set->Count = 1;
        set->Elements = member;
        return set;
    }
}
