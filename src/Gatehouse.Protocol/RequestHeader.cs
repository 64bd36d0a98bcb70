namespace Gatehouse.Protocol;

/// <summary>
/// What a REQUEST asks for (docs/protocol.md section 2.2): a command in a domain, binary-safe
/// arguments, metadata, and the time left before its deadline.
/// </summary>
public sealed record RequestHeader
{
    /// <summary>The domain that holds remctl-style commands.</summary>
    public const string DefaultDomain = "default";

    /// <summary>The domain the gateway answers itself.</summary>
    public const string ControlDomain = "gatehouse";

    public required string Domain { get; init; }

    public required string Command { get; init; }

    /// <summary>Arguments after the command (for remctl-style commands, the subcommand first).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Arguments { get; init; } = [];

    /// <summary>Name/value pairs such as REMOTE_USER; names are ASCII, values UTF-8.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; init; } = [];

    /// <summary>Milliseconds left before the deadline when sent; 0 means none.</summary>
    public uint DeadlineMs { get; init; }

    /// <summary>Returns the metadata value for <paramref name="name"/>, or null.</summary>
    public string? GetMetadata(string name)
    {
        foreach (var pair in Metadata)
        {
            if (string.Equals(pair.Key, name, StringComparison.Ordinal))
            {
                return pair.Value;
            }
        }

        return null;
    }

    /// <summary>Argument <paramref name="index"/> decoded as UTF-8.</summary>
    public string ArgumentString(int index) => System.Text.Encoding.UTF8.GetString(Arguments[index].Span);
}
