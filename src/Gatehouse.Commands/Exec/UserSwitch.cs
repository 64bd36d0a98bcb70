using System.Globalization;
using System.Text;
using Gatehouse.Commands.Exec.Native;

namespace Gatehouse.Commands.Exec;

/// <summary>What a <c>user=</c> line needs before its program runs.</summary>
internal abstract record UserSwitchPlan
{
    private UserSwitchPlan()
    {
    }

    /// <summary>No switch: the user is UID 0 (remctld switches only to UIDs above 0) or the gateway's own effective user.</summary>
    public sealed record None : UserSwitchPlan;

    /// <summary>The gateway runs as root: run the program through <see cref="UserSwitch.Wrap"/>.</summary>
    /// <param name="User">The resolved user.</param>
    public sealed record Switch(SystemUser User) : UserSwitchPlan;

    /// <summary>
    /// A switch is needed and the gateway is not root. remctld's child fails its initgroups call with
    /// EPERM and exits with status 255 (-1); <see cref="StderrLine"/> is what it would print.
    /// </summary>
    /// <param name="User">The resolved user.</param>
    public sealed record NotPermitted(SystemUser User) : UserSwitchPlan
    {
        /// <summary>remctld's message (its format has a stray newline before the colon; Gatehouse leaves it out).</summary>
        public string StderrLine => $"remctld: cannot initgroups for {User.Name}: Operation not permitted\n";
    }

    /// <summary>The user is not in the user database (remctld refuses such a line when it loads the file).</summary>
    public sealed record Unknown : UserSwitchPlan;
}

/// <summary>
/// <c>user=</c> as remctld runs it: after initgroups(user, gid), setgid(gid), setuid(uid) in the
/// child, for UIDs above 0 only; the environment is left as it is (remctld sets no HOME, USER or
/// LOGNAME). posix_spawn cannot change credentials and a .NET process cannot safely fork, so the
/// switch is made by two small programs that are always on Debian: util-linux's <c>setpriv</c>
/// (setresgid, initgroups, setresuid: real, effective and saved IDs all changed) execs perl-base's
/// <c>perl</c> with a fixed one-line script that execs the program with the argv[0] remctld gives it
/// and, when that exec fails, prints remctld's <c>cannot execute command</c> line and exits 255. No
/// shell is involved and no caller data is ever part of a script.
/// </summary>
internal static class UserSwitch
{
    /// <summary>
    /// The script perl runs: <c>perl -e SCRIPT -- PATH ARGV0 ARG...</c> execs PATH with argv
    /// ARGV0 ARG... . Perl's exec uses execvp: a file without a #! line and no ELF header is run by
    /// /bin/sh instead of failing with ENOEXEC (documented difference).
    /// </summary>
    public const string ExecScript = "exec {$ARGV[0]} @ARGV[1..$#ARGV]; print STDERR qq{remctld: cannot execute command: $!\\n}; exit 255";

    /// <summary>Decides what a line with <c>user=</c><paramref name="user"/> needs when the gateway's effective UID is <paramref name="effectiveUid"/>.</summary>
    public static UserSwitchPlan Plan(string user, uint effectiveUid, Func<string, SystemUser?> lookup)
    {
        if (lookup(user) is not { } entry)
        {
            return new UserSwitchPlan.Unknown();
        }

        if (entry.Uid == 0 || entry.Uid == effectiveUid)
        {
            return new UserSwitchPlan.None();
        }

        return effectiveUid == 0 ? new UserSwitchPlan.Switch(entry) : new UserSwitchPlan.NotPermitted(entry);
    }

    /// <summary>The first of the two helper programs that is not an existing file, or null when both are there.</summary>
    public static string? MissingTool(string setprivPath, string perlPath) =>
        !File.Exists(setprivPath) ? setprivPath : !File.Exists(perlPath) ? perlPath : null;

    /// <summary>
    /// The argv that runs <paramref name="argv"/> as <paramref name="user"/>:
    /// <c>SETPRIV --reuid=UID --regid=GID --init-groups -- PERL -e SCRIPT -- PATH ARGV...</c>.
    /// </summary>
    public static ExecArgv Wrap(ExecArgv argv, SystemUser user, string setprivPath, string perlPath)
    {
        var wrapped = new List<byte[]>(argv.Argv.Count + 10)
        {
            Encoding.UTF8.GetBytes(setprivPath),
            Encoding.UTF8.GetBytes("--reuid=" + user.Uid.ToString(CultureInfo.InvariantCulture)),
            Encoding.UTF8.GetBytes("--regid=" + user.Gid.ToString(CultureInfo.InvariantCulture)),
            "--init-groups"u8.ToArray(),
            "--"u8.ToArray(),
            Encoding.UTF8.GetBytes(perlPath),
            "-e"u8.ToArray(),
            Encoding.UTF8.GetBytes(ExecScript),
            "--"u8.ToArray(),
            Encoding.UTF8.GetBytes(argv.Path),
        };
        wrapped.AddRange(argv.Argv);
        return argv with { Path = setprivPath, Argv = wrapped };
    }
}
