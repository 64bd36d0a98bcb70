using System.Globalization;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// A gateway's key rotation with pin rollover (docs/security.md, "Key rotation"). <c>gatehouse
/// rotate-identity</c> writes the next identity (<c>identity.next.key</c>, <c>identity.next.crt</c>) and
/// <c>identity.rotation</c> (the next fingerprint, when it was started, when it takes over) into the
/// state directory; the running gateway's sweep reads them within a second and
/// <list type="number">
/// <item>announces the next fingerprint, in a statement signed by the current key and the next one,
/// in an IDENTITY frame to every connected peer that asks for them, and to each new one after its HELLO;</item>
/// <item>at the takeover time (or when <c>--commit</c> sets it to now) renames the next files over the
/// current ones and presents the next certificate to new handshakes, without closing its
/// listener or any open connection.</item>
/// </list>
/// A cluster member does not rotate: other members know it by its fingerprint (membership, grants).
/// </summary>
public sealed class IdentityRotation
{
    /// <summary>The next key's file name in the state directory.</summary>
    public const string NextKeyFileName = "identity.next.key";

    /// <summary>The next certificate's file name in the state directory.</summary>
    public const string NextCertificateFileName = "identity.next.crt";

    /// <summary>The rotation's state file name in the state directory.</summary>
    public const string StateFileName = "identity.rotation";

    /// <summary>Default time between the announcement and the takeover.</summary>
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromDays(7);

    private readonly string _directory;
    private readonly GatewayRuntime _runtime;
    private readonly Action<PeerIdentity> _present;
    private readonly Func<bool> _clustered;
    private FileStamp _stamp = FileStamp.Never;
    private RotationPlan? _plan;
    private PeerIdentity? _next;
    private byte[]? _announcement;
    private string? _lastError;

    /// <param name="directory">The state directory.</param>
    /// <param name="runtime">The gateway.</param>
    /// <param name="present">Makes new handshakes present an identity (the server's certificate switch).</param>
    /// <param name="clustered">True while the gateway has other cluster members.</param>
    public IdentityRotation(string directory, GatewayRuntime runtime, Action<PeerIdentity> present, Func<bool> clustered)
    {
        _directory = directory;
        _runtime = runtime;
        _present = present;
        _clustered = clustered;
    }

    /// <summary>The statement sent to each new connection while a rotation is announced, else null.</summary>
    public byte[]? Announcement => Volatile.Read(ref _announcement);

    /// <summary>What a rotation's state file says.</summary>
    /// <param name="Next">The next identity's fingerprint.</param>
    /// <param name="Started">When <c>rotate-identity</c> began it.</param>
    /// <param name="CommitAt">When the next identity takes over.</param>
    public sealed record RotationPlan(Fingerprint Next, DateTimeOffset Started, DateTimeOffset CommitAt)
    {
        /// <summary>The state file's lines.</summary>
        public IEnumerable<string> ToLines() =>
        [
            "# Gatehouse key rotation (gatehouse rotate-identity --status; --commit; --abort)",
            $"next {Next}",
            $"started {PeerGrant.FormatTime(Started)}",
            $"commit {PeerGrant.FormatTime(CommitAt)}",
        ];

        /// <summary>Parses the state file's lines.</summary>
        /// <exception cref="FormatException">Not a rotation state file.</exception>
        public static RotationPlan Parse(IEnumerable<string> lines, string fileName)
        {
            Fingerprint? next = null;
            DateTimeOffset? started = null;
            DateTimeOffset? commit = null;
            foreach (string raw in lines)
            {
                string line = raw.Trim();
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                string[] parts = line.Split(' ', 2);
                switch (parts[0])
                {
                    case "next" when parts.Length == 2 && Fingerprint.TryParse(parts[1], out var fp):
                        next = fp;
                        break;
                    case "started" when parts.Length == 2 && TryTime(parts[1], out var s):
                        started = s;
                        break;
                    case "commit" when parts.Length == 2 && TryTime(parts[1], out var c):
                        commit = c;
                        break;
                    default:
                        throw new FormatException($"{fileName}: unexpected line '{line}'");
                }
            }

            return next is { } n && started is { } st && commit is { } cm
                ? new RotationPlan(n, st, cm)
                : throw new FormatException($"{fileName}: needs next, started and commit lines");
        }

        private static bool TryTime(string text, out DateTimeOffset when) =>
            DateTimeOffset.TryParseExact(text, "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out when);
    }

    /// <summary>Reads the rotation under way in <paramref name="directory"/>, if any.</summary>
    /// <exception cref="FormatException">The state file is damaged.</exception>
    public static RotationPlan? ReadPlan(string directory)
    {
        string path = Path.Combine(directory, StateFileName);
        return File.Exists(path) ? RotationPlan.Parse(File.ReadAllLines(path), path) : null;
    }

    /// <summary>
    /// Starts a rotation (the <c>rotate-identity</c> command, on the gateway host): makes the next
    /// identity beside the current one and writes the plan. The running gateway announces it within a second.
    /// </summary>
    /// <exception cref="InvalidOperationException">A rotation is already under way.</exception>
    /// <exception cref="IOException">The files cannot be written.</exception>
    public static RotationPlan Begin(string directory, TimeSpan grace, DateTimeOffset now)
    {
        using var held = StateFile.Lock(Path.Combine(directory, StateFileName));
        if (ReadPlan(directory) is { } under)
        {
            throw new InvalidOperationException($"a rotation to {under.Next} is already under way (takes over at {PeerGrant.FormatTime(under.CommitAt)}); --commit or --abort it first");
        }

        string commonName;
        using (var current = PeerIdentity.Load(Path.Combine(directory, PeerIdentity.CertificateFileName), Path.Combine(directory, PeerIdentity.KeyFileName)))
        {
            commonName = current.CommonName;
        }

        // Leftovers of an aborted attempt are replaced.
        File.Delete(Path.Combine(directory, NextKeyFileName));
        File.Delete(Path.Combine(directory, NextCertificateFileName));
        using var next = PeerIdentity.CreateFiles(Path.Combine(directory, NextKeyFileName), Path.Combine(directory, NextCertificateFileName), commonName);
        now = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var plan = new RotationPlan(next.Fingerprint, now, now + grace);
        StateFile.Replace(Path.Combine(directory, StateFileName), plan.ToLines(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return plan;
    }

    /// <summary>Makes the rotation under way take over now (the gateway switches within a second).</summary>
    /// <returns>The plan as changed; null when no rotation is under way.</returns>
    public static RotationPlan? CommitNow(string directory, DateTimeOffset now)
    {
        using var held = StateFile.Lock(Path.Combine(directory, StateFileName));
        if (ReadPlan(directory) is not { } plan)
        {
            return null;
        }

        plan = plan with { CommitAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()) };
        StateFile.Replace(Path.Combine(directory, StateFileName), plan.ToLines(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return plan;
    }

    /// <summary>Abandons the rotation under way: the next identity is deleted (peers that recorded it keep a successor nobody holds; harmless).</summary>
    /// <returns>False when none was under way.</returns>
    public static bool Abort(string directory)
    {
        using var held = StateFile.Lock(Path.Combine(directory, StateFileName));
        string state = Path.Combine(directory, StateFileName);
        bool was = File.Exists(state);
        File.Delete(state);
        File.Delete(Path.Combine(directory, NextKeyFileName));
        File.Delete(Path.Combine(directory, NextCertificateFileName));
        return was;
    }

    /// <summary>
    /// Finishes a takeover a crash interrupted (before the identity is loaded at start): the next key
    /// was renamed over the current one but the certificate was not yet.
    /// </summary>
    public static void RecoverAtStart(string directory)
    {
        string nextKey = Path.Combine(directory, NextKeyFileName);
        string nextCert = Path.Combine(directory, NextCertificateFileName);
        if (!File.Exists(nextKey) && File.Exists(nextCert) && ReadPlanOrNull(directory) is { } plan && plan.CommitAt <= DateTimeOffset.UtcNow)
        {
            File.Move(nextCert, Path.Combine(directory, PeerIdentity.CertificateFileName), overwrite: true);
            File.Delete(Path.Combine(directory, StateFileName));
        }
    }

    private static RotationPlan? ReadPlanOrNull(string directory)
    {
        try
        {
            return ReadPlan(directory);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The sweep's step (once a second): picks up a new or changed plan, announces, takes over when due. Never throws.</summary>
    public void Check(DateTimeOffset now)
    {
        try
        {
            CheckCore(now);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or System.Security.Cryptography.CryptographicException or InvalidOperationException or ArgumentException)
        {
            Fail(ex.Message);
        }
    }

    private void CheckCore(DateTimeOffset now)
    {
        string statePath = Path.Combine(_directory, StateFileName);
        var stamp = FileStamp.Of(statePath);
        if (stamp != _stamp)
        {
            _stamp = stamp;
            _lastError = null;
            _plan = stamp.Exists ? RotationPlan.Parse(File.ReadAllLines(statePath), statePath) : null;
            if (_plan is null)
            {
                Volatile.Write(ref _announcement, null);
                _next = null;
                return;
            }
        }

        if (_plan is not { } plan)
        {
            return;
        }

        if (_clustered())
        {
            Fail($"this gateway is a cluster member: other members know it by {_runtime.Identity.Fingerprint}, so it does not rotate its key (gatehouse rotate-identity --abort)");
            return;
        }

        if (_next is null || _next.Fingerprint != plan.Next)
        {
            string keyPath = Path.Combine(_directory, NextKeyFileName);
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(keyPath) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                Fail($"{keyPath} is readable or writable by others; chmod 600 it");
                return;
            }

            var next = PeerIdentity.Load(Path.Combine(_directory, NextCertificateFileName), keyPath);
            if (next.Fingerprint != plan.Next)
            {
                Fail($"{keyPath} is {next.Fingerprint}, but {StateFileName} names {plan.Next}");
                next.Dispose();
                return;
            }

            _next = next;
            var statement = SuccessorStatement.Sign(SuccessorPurpose.Gateway, _runtime.Identity, next, plan.Started);
            Volatile.Write(ref _announcement, statement);
            Log.RotationAnnounced(_runtime.Logger, _runtime.Identity.Fingerprint.ToString(), next.Fingerprint.ToString(), plan.CommitAt);
            foreach (var session in _runtime.Sessions.Snapshot())
            {
                session.Connection.TrySendIdentityNotice(statement);
            }
        }

        if (now >= plan.CommitAt)
        {
            Commit(_next);
        }
    }

    /// <summary>Renames the next files over the current ones, then presents the next identity to new handshakes.</summary>
    private void Commit(PeerIdentity next)
    {
        var old = _runtime.Identity;
        // The key first: a crash between the renames leaves the next certificate, which
        // RecoverAtStart moves at the next start (a key without its certificate would not load).
        File.Move(Path.Combine(_directory, NextKeyFileName), Path.Combine(_directory, PeerIdentity.KeyFileName), overwrite: true);
        File.Move(Path.Combine(_directory, NextCertificateFileName), Path.Combine(_directory, PeerIdentity.CertificateFileName), overwrite: true);
        File.Delete(Path.Combine(_directory, StateFileName));
        _present(next);
        _runtime.Identity = next;
        Volatile.Write(ref _announcement, null);
        _plan = null;
        _next = null;
        _stamp = FileStamp.Of(Path.Combine(_directory, StateFileName));
        Log.RotationCommitted(_runtime.Logger, old.Fingerprint.ToString(), next.Fingerprint.ToString());
    }

    private void Fail(string reason)
    {
        if (reason != _lastError)
        {
            _lastError = reason;
            Log.RotationFailed(_runtime.Logger, reason);
        }
    }
}
