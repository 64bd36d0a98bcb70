using System.Globalization;

namespace Gatehouse.Transport.Connections;

/// <summary>A host and TCP port; text form <c>host</c>, <c>host:port</c> or <c>[v6addr]:port</c>.</summary>
public sealed record Endpoint(string Host, int Port)
{
    /// <summary>The native protocol's default port.</summary>
    public const int DefaultPort = 7340;

    /// <summary>Parses <paramref name="text"/>; a missing port is <paramref name="defaultPort"/>.</summary>
    /// <exception cref="FormatException">Not a host[:port].</exception>
    public static Endpoint Parse(string text, int defaultPort = DefaultPort)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            throw new FormatException("Empty host");
        }

        if (text[0] == '[')
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"'{text}': missing ']'");
            }

            string host = text[1..close];
            string rest = text[(close + 1)..];
            return new Endpoint(host, rest.Length == 0 ? defaultPort : ParsePort(rest.TrimStart(':'), text));
        }

        int colon = text.LastIndexOf(':');
        if (colon > 0 && text.IndexOf(':', StringComparison.Ordinal) == colon)
        {
            return new Endpoint(text[..colon], ParsePort(text[(colon + 1)..], text));
        }

        return new Endpoint(text, defaultPort);
    }

    private static int ParsePort(string s, string whole) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 0 and < 65536
            ? port
            : throw new FormatException($"'{whole}': bad port '{s}'");

    /// <inheritdoc />
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
