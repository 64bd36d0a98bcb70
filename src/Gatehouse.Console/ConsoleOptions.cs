using Gatehouse.Transport.Security;

namespace Gatehouse.WebConsole;

/// <summary>
/// What <c>gatehouse console</c> serves and whom it asks. Immutable; each value is checked when it
/// is set, so a bad one fails at once with the option's name. The defaults are safe limits
/// (docs/console.md, "Limits").
/// </summary>
public sealed record ConsoleOptions
{
    /// <summary>Most nodes one run may call.</summary>
    public const int MaxRunNodesLimit = 4096;

    /// <summary>The user's identity (the CLI's <c>identity.key</c>). Required.</summary>
    public required PeerIdentity Identity
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Identity));
    }

    /// <summary>The user's known_hosts file (pins by <c>host:port</c>). Required; it need not exist.</summary>
    public required string KnownHostsPath
    {
        get;
        init => field = string.IsNullOrEmpty(value) ? throw new ArgumentException("KnownHostsPath is required", nameof(KnownHostsPath)) : value;
    }

    /// <summary>The groups file for <c>@group</c> in node sets; null or missing: no groups.</summary>
    public string? GroupsPath { get; init; }

    /// <summary>Where the web server listens: <c>HOST:PORT</c>, port 0 for any free one. Default <c>127.0.0.1:0</c>.</summary>
    public string Listen
    {
        get;
        init => field = string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("Listen is HOST:PORT", nameof(Listen)) : value;
    } = "127.0.0.1:0";

    /// <summary>The gateway whose cluster the console shows (its <c>members --json</c>); null: only <see cref="Nodes"/>.</summary>
    public string? Via { get; init; }

    /// <summary>Node sets shown when there is no cluster to ask (or beside it); default none.</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];

    /// <summary>Time for each connect (TCP, TLS, HELLO). Default 2 s; more than 0, at most 5 min.</summary>
    public TimeSpan ConnectTimeout
    {
        get;
        init => field = value > TimeSpan.Zero && value <= TimeSpan.FromMinutes(5) ? value : throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), value, "ConnectTimeout is more than 0 and at most 5 minutes");
    } = TimeSpan.FromSeconds(2);

    /// <summary>Most nodes one run may call. Default 256; 1..<see cref="MaxRunNodesLimit"/>.</summary>
    public int MaxRunNodes
    {
        get;
        init => field = value is >= 1 and <= MaxRunNodesLimit ? value : throw new ArgumentOutOfRangeException(nameof(MaxRunNodes), value, $"MaxRunNodes is 1..{MaxRunNodesLimit}");
    } = 256;

    /// <summary>Output kept per node and run (more is dropped and the node marked truncated). Default 1 MiB; 1 KiB..64 MiB.</summary>
    public int MaxOutputBytesPerNode
    {
        get;
        init => field = value is >= 1024 and <= 64 << 20 ? value : throw new ArgumentOutOfRangeException(nameof(MaxOutputBytesPerNode), value, "MaxOutputBytesPerNode is 1 KiB..64 MiB");
    } = 1 << 20;

    /// <summary>Largest stdin text a run accepts. Default 1 MiB; 0..16 MiB.</summary>
    public int MaxStdinBytes
    {
        get;
        init => field = value is >= 0 and <= 16 << 20 ? value : throw new ArgumentOutOfRangeException(nameof(MaxStdinBytes), value, "MaxStdinBytes is 0..16 MiB");
    } = 1 << 20;

    /// <summary>Runs kept for viewing; the oldest finished one is forgotten past this. Default 32; 1..1024.</summary>
    public int MaxRunsKept
    {
        get;
        init => field = value is >= 1 and <= 1024 ? value : throw new ArgumentOutOfRangeException(nameof(MaxRunsKept), value, "MaxRunsKept is 1..1024");
    } = 32;
}
