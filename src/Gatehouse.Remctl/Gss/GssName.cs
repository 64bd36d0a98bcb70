using System.Runtime.InteropServices;
using System.Text;

namespace Gatehouse.Remctl.Gss;

/// <summary>An imported <c>gss_name_t</c>, released with gss_release_name.</summary>
internal sealed unsafe class GssName : SafeHandle
{
    public GssName() : base(IntPtr.Zero, ownsHandle: true) { }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Imports <c>service@host</c> as a host-based service name.</summary>
    public static GssName HostBasedService(string name) => Import(name, GssOids.HostBasedService);

    /// <summary>Imports a Kerberos principal such as <c>host/gw.example.org@REALM</c>.</summary>
    public static GssName Krb5Principal(string name) => Import(name, GssOids.Krb5PrincipalName);

    /// <summary>Returns the display form of a name handle that the caller still owns.</summary>
    public static string Display(IntPtr name, out bool anonymous)
    {
        uint minor;
        GssBufferDesc buffer = default;
        GssOidDesc* type = null;
        uint major = GssNative.gss_display_name(&minor, name, &buffer, &type);
        GssStatus.ThrowIfError(major, minor, "displaying name");
        try
        {
            anonymous = GssOids.Equal(type, GssOids.Anonymous);
            return Encoding.UTF8.GetString((byte*)buffer.Value, checked((int)buffer.Length));
        }
        finally
        {
            _ = GssNative.gss_release_buffer(&minor, &buffer);
        }
    }

    /// <summary>Releases a raw name handle that was returned by a GSS-API call.</summary>
    public static void Release(ref IntPtr name)
    {
        if (name == IntPtr.Zero)
        {
            return;
        }

        uint minor;
        IntPtr local = name;
        _ = GssNative.gss_release_name(&minor, &local);
        name = IntPtr.Zero;
    }

    private static GssName Import(string name, GssOidDesc* type)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        var result = new GssName();
        fixed (byte* p = bytes)
        {
            var buffer = new GssBufferDesc { Length = (nuint)bytes.Length, Value = p };
            uint minor;
            IntPtr output;
            uint major = GssNative.gss_import_name(&minor, &buffer, type, &output);
            GssStatus.ThrowIfError(major, minor, $"importing name '{name}'");
            result.SetHandle(output);
        }

        return result;
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        uint minor;
        IntPtr h = handle;
        return GssNative.gss_release_name(&minor, &h) == GssNative.GSS_S_COMPLETE;
    }
}
