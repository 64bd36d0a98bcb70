using System.Runtime.InteropServices;
using System.Text;

namespace Gatehouse.Commands.Exec.Native;

/// <summary>A user from the system's user database (NSS: files, LDAP, sssd...): name, UID and primary GID.</summary>
/// <param name="Name">The login name.</param>
/// <param name="Uid">The user ID.</param>
/// <param name="Gid">The primary group ID.</param>
internal sealed record SystemUser(string Name, uint Uid, uint Gid);

/// <summary>
/// getpwnam_r and getpwuid_r, the lookups remctld's <c>user=</c> option makes with getpwnam and
/// getpwuid (so users from LDAP or sssd resolve as they do for remctld).
/// </summary>
internal static unsafe partial class Passwd
{
    private const int ERANGE = 34;

    /// <summary>Looks up <paramref name="nameOrUid"/> as remctld does: a positive decimal number is a UID, anything else a name.</summary>
    /// <returns>The user, or null when the database has no such entry.</returns>
    public static SystemUser? Find(string nameOrUid) =>
        Configuration.OptionParser.TryParsePositive(nameOrUid, out int uid) ? FindById((uint)uid) : FindByName(nameOrUid);

    /// <summary>getpwnam_r.</summary>
    /// <returns>The user, or null when there is none (or the lookup failed).</returns>
    public static SystemUser? FindByName(string name)
    {
        byte[] native = Encoding.UTF8.GetBytes(name + "\0");
        return Lookup((PasswdEntry* entry, byte* buffer, nuint size, PasswdEntry** result) =>
        {
            fixed (byte* n = native)
            {
                return GetPwNamR(n, entry, buffer, size, result);
            }
        });
    }

    /// <summary>getpwuid_r.</summary>
    /// <returns>The user, or null when there is none (or the lookup failed).</returns>
    public static SystemUser? FindById(uint uid) =>
        Lookup((PasswdEntry* entry, byte* buffer, nuint size, PasswdEntry** result) => GetPwUidR(uid, entry, buffer, size, result));

    private delegate int LookupCall(PasswdEntry* entry, byte* buffer, nuint size, PasswdEntry** result);

    private static SystemUser? Lookup(LookupCall call)
    {
        for (int size = 4096; size <= 1024 * 1024; size *= 4)
        {
            byte* buffer = (byte*)NativeMemory.Alloc((nuint)size);
            try
            {
                PasswdEntry entry;
                PasswdEntry* result = null;
                int error = call(&entry, buffer, (nuint)size, &result);
                if (error == ERANGE)
                {
                    continue;
                }

                if (error != 0 || result == null)
                {
                    return null;
                }

                string name = Marshal.PtrToStringUTF8((nint)entry.Name) ?? string.Empty;
                return new SystemUser(name, entry.Uid, entry.Gid);
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }

        return null;
    }

    [LibraryImport("libc", EntryPoint = "getpwnam_r")]
    private static partial int GetPwNamR(byte* name, PasswdEntry* entry, byte* buffer, nuint size, PasswdEntry** result);

    [LibraryImport("libc", EntryPoint = "getpwuid_r")]
    private static partial int GetPwUidR(uint uid, PasswdEntry* entry, byte* buffer, nuint size, PasswdEntry** result);

    /// <summary>glibc's struct passwd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PasswdEntry
    {
        public byte* Name;
        public byte* Password;
        public uint Uid;
        public uint Gid;
        public byte* Gecos;
        public byte* Directory;
        public byte* Shell;
    }
}
