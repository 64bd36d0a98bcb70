using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Gatehouse.Transport.Security;

/// <summary>
/// Lets OpenSSL free a TLS connection's record buffers while the connection is idle.
/// </summary>
/// <remarks>
/// On Linux, <see cref="SslStream"/> runs on OpenSSL, which by default keeps a read and a write
/// record buffer (about 17 KiB each) for the whole life of a connection, idle or not: most of what
/// an idle connection costs a gateway. OpenSSL frees them between records when the connection has
/// <c>SSL_MODE_RELEASE_BUFFERS</c> set, but .NET neither sets it nor exposes the <c>SSL*</c>.
/// This finds that handle in the stream (a private field, checked by type) and sets the mode
/// through libssl itself. Anything unexpected (another platform, another runtime layout, another
/// libssl) makes it a no-op that reports false; it never throws. Call it after the handshake and
/// before the stream is read or written, since OpenSSL objects are not thread-safe.
/// </remarks>
public static class TlsBufferRelease
{
    private const int SslCtrlMode = 33;          // SSL_CTRL_MODE
    private const long SslModeReleaseBuffers = 0x10; // SSL_MODE_RELEASE_BUFFERS

    private static readonly unsafe delegate* unmanaged<IntPtr, int, long, IntPtr, long> s_sslCtrl = LoadSslCtrl();
    private static readonly FieldInfo? s_contextField = typeof(SslStream).GetField("_securityContext", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>True when this process can set the mode (Linux, libssl 3 loaded, known layout).</summary>
    public static unsafe bool IsSupported => s_sslCtrl != null && s_contextField is not null;

    /// <summary>
    /// Sets <c>SSL_MODE_RELEASE_BUFFERS</c> on the stream's OpenSSL connection. Returns true when
    /// the mode is now set.
    /// </summary>
    public static bool TryEnable(SslStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return AddMode(stream, SslModeReleaseBuffers) is { } mode && (mode & SslModeReleaseBuffers) != 0;
    }

    /// <summary>Reads the stream's OpenSSL mode bits (for tests); null when not available.</summary>
    internal static long? GetMode(SslStream stream) => AddMode(stream, 0);

    /// <summary>ORs <paramref name="bits"/> into the connection's mode; returns the new mode, or null.</summary>
    private static unsafe long? AddMode(SslStream stream, long bits)
    {
        if (SslHandleOf(stream) is not { } handle)
        {
            return null;
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return s_sslCtrl(handle.DangerousGetHandle(), SslCtrlMode, bits, IntPtr.Zero);
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The stream's <c>SafeSslHandle</c> (whose handle is the <c>SSL*</c>), or null.</summary>
    private static unsafe SafeHandle? SslHandleOf(SslStream stream) =>
        IsSupported && s_contextField!.GetValue(stream) is SafeHandle { IsInvalid: false, IsClosed: false } handle &&
        handle.GetType().Name == "SafeSslHandle"
            ? handle
            : null;

    private static unsafe delegate* unmanaged<IntPtr, int, long, IntPtr, long> LoadSslCtrl()
    {
        // .NET binds to libssl.so.3 first on Linux; loading the same soname returns that very
        // library, so the SSL* below belongs to it. The version check keeps older ABIs out.
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libssl.so.3", out var lib))
        {
            return null;
        }

        if (!NativeLibrary.TryGetExport(lib, "SSL_ctrl", out var ctrl) ||
            !NativeLibrary.TryGetExport(lib, "OpenSSL_version_num", out var versionNum))
        {
            return null;
        }

        ulong version = ((delegate* unmanaged<ulong>)versionNum)();
        return version >> 28 == 3 ? (delegate* unmanaged<IntPtr, int, long, IntPtr, long>)ctrl : null;
    }
}
