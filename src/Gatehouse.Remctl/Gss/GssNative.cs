using System.Runtime.InteropServices;

namespace Gatehouse.Remctl.Gss;

/// <summary><c>gss_buffer_desc</c>: <c>{ size_t length; void *value; }</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GssBufferDesc
{
    public nuint Length;
    public void* Value;
}

/// <summary><c>gss_OID_desc</c>: <c>{ OM_uint32 length; void *elements; }</c> (natural alignment on Linux).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GssOidDesc
{
    public uint Length;
    public void* Elements;
}

/// <summary><c>gss_OID_set_desc</c>: <c>{ size_t count; gss_OID elements; }</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GssOidSetDesc
{
    public nuint Count;
    public GssOidDesc* Elements;
}

/// <summary><c>gss_key_value_element_desc</c>: <c>{ const char *key; const char *value; }</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GssKeyValueElement
{
    public byte* Key;
    public byte* Value;
}

/// <summary><c>gss_key_value_set_desc</c>: <c>{ OM_uint32 count; gss_key_value_element_desc *elements; }</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GssKeyValueSet
{
    public uint Count;
    public GssKeyValueElement* Elements;
}

/// <summary>
/// P/Invoke declarations for MIT Kerberos GSS-API (<c>libgssapi_krb5.so.2</c>, RFC 2744 plus the MIT
/// credential-store extension). Every function returns the major status and stores the minor status.
/// </summary>
internal static unsafe partial class GssNative
{
    private const string Lib = "libgssapi_krb5.so.2";

    public const uint GSS_S_COMPLETE = 0;
    public const uint GSS_S_CONTINUE_NEEDED = 1;
    public const uint GSS_C_INDEFINITE = 0xffffffff;

    public const uint GSS_C_DELEG_FLAG = 1;
    public const uint GSS_C_MUTUAL_FLAG = 2;
    public const uint GSS_C_REPLAY_FLAG = 4;
    public const uint GSS_C_SEQUENCE_FLAG = 8;
    public const uint GSS_C_CONF_FLAG = 16;
    public const uint GSS_C_INTEG_FLAG = 32;

    public const int GSS_C_BOTH = 0;
    public const int GSS_C_INITIATE = 1;
    public const int GSS_C_ACCEPT = 2;

    public const int GSS_C_GSS_CODE = 1;
    public const int GSS_C_MECH_CODE = 2;

    /// <summary>True when the calling or routine error bits are set (GSS_ERROR macro).</summary>
    public static bool IsError(uint major) => (major & 0xffff0000u) != 0;

    [LibraryImport(Lib)]
    public static partial uint gss_import_name(uint* minor, GssBufferDesc* name, GssOidDesc* nameType, IntPtr* output);

    [LibraryImport(Lib)]
    public static partial uint gss_display_name(uint* minor, IntPtr name, GssBufferDesc* output, GssOidDesc** nameType);

    [LibraryImport(Lib)]
    public static partial uint gss_release_name(uint* minor, IntPtr* name);

    [LibraryImport(Lib)]
    public static partial uint gss_release_buffer(uint* minor, GssBufferDesc* buffer);

    [LibraryImport(Lib)]
    public static partial uint gss_release_cred(uint* minor, IntPtr* cred);

    [LibraryImport(Lib)]
    public static partial uint gss_delete_sec_context(uint* minor, IntPtr* context, GssBufferDesc* outputToken);

    [LibraryImport(Lib)]
    public static partial uint gss_acquire_cred_from(uint* minor, IntPtr desiredName, uint timeReq, GssOidSetDesc* mechs,
        int usage, GssKeyValueSet* store, IntPtr* output, IntPtr actualMechs, uint* timeRec);

    [LibraryImport(Lib)]
    public static partial uint gss_init_sec_context(uint* minor, IntPtr cred, IntPtr* context, IntPtr target, GssOidDesc* mech,
        uint reqFlags, uint timeReq, IntPtr bindings, GssBufferDesc* input, GssOidDesc** actualMech, GssBufferDesc* output,
        uint* retFlags, uint* timeRec);

    [LibraryImport(Lib)]
    public static partial uint gss_accept_sec_context(uint* minor, IntPtr* context, IntPtr cred, GssBufferDesc* input,
        IntPtr bindings, IntPtr* sourceName, GssOidDesc** mech, GssBufferDesc* output, uint* retFlags, uint* timeRec,
        IntPtr* delegated);

    [LibraryImport(Lib)]
    public static partial uint gss_wrap(uint* minor, IntPtr context, int confReq, uint qop, GssBufferDesc* input,
        int* confState, GssBufferDesc* output);

    [LibraryImport(Lib)]
    public static partial uint gss_unwrap(uint* minor, IntPtr context, GssBufferDesc* input, GssBufferDesc* output,
        int* confState, uint* qop);

    [LibraryImport(Lib)]
    public static partial uint gss_get_mic(uint* minor, IntPtr context, uint qop, GssBufferDesc* message, GssBufferDesc* token);

    [LibraryImport(Lib)]
    public static partial uint gss_verify_mic(uint* minor, IntPtr context, GssBufferDesc* message, GssBufferDesc* token, uint* qop);


    [LibraryImport(Lib)]
    public static partial uint gss_display_status(uint* minor, uint status, int statusType, GssOidDesc* mech,
        uint* messageContext, GssBufferDesc* output);
}
