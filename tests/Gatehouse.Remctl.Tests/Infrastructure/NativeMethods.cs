using System.Runtime.InteropServices;

namespace Gatehouse.Remctl.Tests.Infrastructure;

/// <summary>libc calls the fixture needs.</summary>
internal static partial class NativeMethods
{
    /// <summary>
    /// setenv(3). <see cref="Environment.SetEnvironmentVariable(string, string)"/> only changes .NET's managed
    /// copy of the environment on Unix; MIT krb5 reads the native one (getenv), so in-process GSS-API calls
    /// need the real setenv.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>getenv(3), to verify what native code sees.</summary>
    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr GetEnv(string name);

    /// <summary>kill(2): signal one process by PID.</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    public const int SIGTERM = 15;

    /// <summary>Sets a variable in both the native and the managed environment.</summary>
    public static void SetEverywhere(string name, string value)
    {
        if (SetEnv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed");
        }

        Environment.SetEnvironmentVariable(name, value);
    }

    /// <summary>Reads a variable from the native environment.</summary>
    public static string? GetNative(string name) => Marshal.PtrToStringUTF8(GetEnv(name));
}
