using System.Globalization;
using System.Text;

namespace Gatehouse.Protocol;

/// <summary>
/// What a locator service answers when a gateway asks it where a key (a user, a mailbox...) lives:
/// the cluster member that serves it, or nobody in particular, and for how long the gateway may
/// keep the answer. On the wire (the locator's stdout for command <see cref="Command"/>) it is one
/// line of UTF-8: <c>MEMBER [TTL]</c>, where MEMBER is a member's fingerprint (<c>SHA256:...</c>),
/// its gossiped address (<c>HOST:PORT</c>), or <c>-</c> (not known: route the request as usual),
/// and TTL is whole seconds (0: do not keep; absent: the gateway's default).
/// </summary>
public readonly record struct LocatorAnswer(string? Member, TimeSpan? Ttl)
{
    /// <summary>The command a locator registers in its domain; the gateway alone calls it (arguments: KEY COMMAND).</summary>
    public const string Command = "@locate";

    /// <summary>The request metadata a caller names the key in (else the request's first argument is the key).</summary>
    public const string KeyMetadata = "GATEHOUSE_KEY";

    /// <summary>Longest first argument taken as a key (a longer one is no key).</summary>
    public const int MaxArgumentKeyBytes = 1024;

    /// <summary>
    /// The key a request is placed by: metadata <see cref="KeyMetadata"/> if set, else its first
    /// argument; null when it has neither. The one rule, for gateways and for clients remembering
    /// per-key redirects.
    /// </summary>
    public static string? KeyOf(IReadOnlyList<KeyValuePair<string, string>> metadata, IReadOnlyList<ReadOnlyMemory<byte>> arguments)
    {
        for (int i = 0; i < metadata.Count; i++)
        {
            if (metadata[i].Key == KeyMetadata && metadata[i].Value.Length > 0)
            {
                return metadata[i].Value;
            }
        }

        return arguments.Count > 0 && arguments[0].Length is > 0 and <= MaxArgumentKeyBytes ? Encoding.UTF8.GetString(arguments[0].Span) : null;
    }

    /// <summary>Most bytes of stdout a locator may answer with.</summary>
    public const int MaxBytes = 1024;

    /// <summary>Longest TTL an answer may give (one day).</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(1);

    /// <summary>"Not known here: route as usual".</summary>
    public const string Unknown = "-";

    /// <summary>The answer line for <paramref name="member"/> (null: unknown) and <paramref name="ttl"/>.</summary>
    /// <exception cref="ArgumentException">The member text has white space, or the TTL is negative or above <see cref="MaxTtl"/>.</exception>
    public static string Format(string? member, TimeSpan? ttl)
    {
        if (member is not null && (member.Length == 0 || member.Any(char.IsWhiteSpace) || member == Unknown))
        {
            throw new ArgumentException($"A member is named by its fingerprint or HOST:PORT, without spaces: '{member}'", nameof(member));
        }

        if (ttl is { } t && (t < TimeSpan.Zero || t > MaxTtl))
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), t, $"A TTL is from 0 to {MaxTtl.TotalSeconds:0} s");
        }

        string name = member ?? Unknown;
        return ttl is { } x ? $"{name} {(long)x.TotalSeconds}\n" : name + "\n";
    }

    /// <summary>Parses a locator's stdout; false (with <paramref name="error"/> saying why) when it is not an answer.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out LocatorAnswer answer, out string error)
    {
        answer = default;
        if (utf8.Length > MaxBytes)
        {
            error = $"the answer is longer than {MaxBytes} bytes";
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            error = "the answer is not UTF-8";
            return false;
        }

        string line = text.TrimEnd('\n', '\r');
        if (line.Contains('\n', StringComparison.Ordinal))
        {
            error = "the answer has more than one line";
            return false;
        }

        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is 0 or > 2)
        {
            error = "the answer is not 'MEMBER [TTL]'";
            return false;
        }

        TimeSpan? ttl = null;
        if (words.Length == 2)
        {
            if (!long.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) || seconds > (long)MaxTtl.TotalSeconds)
            {
                error = $"the TTL '{words[1]}' is not a number of seconds from 0 to {MaxTtl.TotalSeconds:0}";
                return false;
            }

            ttl = TimeSpan.FromSeconds(seconds);
        }

        answer = new LocatorAnswer(words[0] == Unknown ? null : words[0], ttl);
        error = string.Empty;
        return true;
    }
}
