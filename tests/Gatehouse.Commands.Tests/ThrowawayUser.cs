using System.Diagnostics;

namespace Gatehouse.Commands.Tests;

/// <summary>
/// A system user made for one test with useradd (with its own primary group and one extra
/// supplementary group), deleted with userdel and groupdel at dispose. Needs root, which the test
/// machines and CI have (Debian, tests run as root); anywhere else it fails with a clear message.
/// </summary>
internal sealed class ThrowawayUser : IDisposable
{
    public ThrowawayUser()
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("user= tests create a system user and need root (run the tests as root, as CI does)");
        }

        string tag = Guid.NewGuid().ToString("N")[..8];
        Name = "gh-u-" + tag;
        ExtraGroup = "gh-g-" + tag;
        Run("groupadd", "--system", ExtraGroup);
        Run("useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--groups", ExtraGroup, Name);
        Uid = uint.Parse(Run("id", "-u", Name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Gid = uint.Parse(Run("id", "-g", Name).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        ExtraGid = uint.Parse(Run("getent", "group", ExtraGroup).Split(':')[2], System.Globalization.CultureInfo.InvariantCulture);
    }

    public string Name { get; }

    public string ExtraGroup { get; }

    public uint Uid { get; }

    public uint Gid { get; }

    public uint ExtraGid { get; }

    public void Dispose()
    {
        Run("userdel", Name);
        Run("groupdel", ExtraGroup);
    }

    private static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error}");
    }
}
