namespace Gatehouse.Commands;

/// <summary>Who is calling and what they ask to run.</summary>
/// <param name="Command">The command (remctl's first word), for example <c>accounts</c>.</param>
/// <param name="Arguments">
/// The words after the command, binary-safe: the subcommand first, as in remctl's argv. Empty when
/// no subcommand was given.
/// </param>
/// <param name="Principal">The authenticated principal, for example <c>alice@EXAMPLE.ORG</c>; becomes REMOTE_USER.</param>
/// <param name="RemoteAddress">The client's IP address (REMOTE_ADDR), when known.</param>
/// <param name="RemoteHost">The client's host name from reverse DNS (REMOTE_HOST), when known.</param>
/// <param name="Expires">When the authenticated session expires (REMOTE_EXPIRES), when known.</param>
public sealed record CommandInvocation(
    string Command,
    IReadOnlyList<ReadOnlyMemory<byte>> Arguments,
    string Principal,
    string? RemoteAddress,
    string? RemoteHost,
    DateTimeOffset? Expires)
{
    /// <summary>
    /// True when the client authenticated anonymously (remctld: the GSS name type is anonymous).
    /// The Kerberos anonymous principal <c>WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS</c> is treated as
    /// anonymous whatever this says.
    /// </summary>
    public bool Anonymous { get; init; }

    /// <summary>
    /// True to give an exec program one socket for standard output and standard error, as remctld does for
    /// a protocol version 1 client: everything is then reported on stream 1, in the order the program wrote it.
    /// </summary>
    public bool MergeOutput { get; init; }

    /// <summary>The subcommand (the first argument) as UTF-8 text, or null when none was given.</summary>
    public string? Subcommand => Arguments.Count == 0 ? null : System.Text.Encoding.UTF8.GetString(Arguments[0].Span);
}
