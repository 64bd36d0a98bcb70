using System.Text;

namespace Gatehouse.Remctl.Gss;

/// <summary>Turns GSS-API status codes into <see cref="RemctlGssException"/> with gss_display_status text.</summary>
internal static unsafe class GssStatus
{
    /// <summary>Throws when <paramref name="major"/> carries a calling or routine error.</summary>
    public static void ThrowIfError(uint major, uint minor, string operation)
    {
        if (GssNative.IsError(major))
        {
            throw Create(major, minor, operation);
        }
    }

    /// <summary>Builds the exception for a failed call, with the library's own messages.</summary>
    public static RemctlGssException Create(uint major, uint minor, string operation)
    {
        var text = new StringBuilder("GSS-API error ").Append(operation).Append(": ");
        Append(text, major, GssNative.GSS_C_GSS_CODE);
        if (minor != 0)
        {
            text.Append(", ");
            Append(text, minor, GssNative.GSS_C_MECH_CODE);
        }

        return new RemctlGssException(text.ToString(), major, minor);
    }

    private static void Append(StringBuilder text, uint status, int type)
    {
        uint context = 0;
        int guard = 0;
        do
        {
            uint minor;
            GssBufferDesc buffer = default;
            uint major = GssNative.gss_display_status(&minor, status, type, GssOids.Krb5Mech, &context, &buffer);
            if (GssNative.IsError(major))
            {
                text.Append("status ").Append(status);
                return;
            }

            if (guard > 0)
            {
                text.Append("; ");
            }

            text.Append(Encoding.UTF8.GetString((byte*)buffer.Value, (int)buffer.Length));
            _ = GssNative.gss_release_buffer(&minor, &buffer);
        }
        while (context != 0 && ++guard < 8);
    }
}
