namespace Gatehouse.Protocol;

/// <summary>
/// The message of a <see cref="ErrorCode.SeeOtherHost"/> status: where to send the request instead,
/// <c>HOST:PORT=SHA256:...</c> (the cluster member's TLS address and the fingerprint it must present),
/// the same form <c>gatehouse gateway --join</c> takes, optionally followed by <c>;key</c> when the
/// redirect holds only for the request's key (a locator placed it: <see cref="LocatorAnswer"/>), not
/// for every request of its (domain, command). Parsing is strict: a message that is not exactly that
/// is not a redirect a client may follow.
/// </summary>
public static class SeeOtherHost
{
    /// <summary>Most characters of a redirect message (an address and a fingerprint fit well within it).</summary>
    public const int MaxLength = 512;

    /// <summary>The status that redirects to <paramref name="host"/>:<paramref name="port"/>, pinned to <paramref name="fingerprint"/>.</summary>
    public static CallStatus Status(string host, int port, string fingerprint) =>
        CallStatus.Error(ErrorCode.SeeOtherHost, Format(host, port, fingerprint));

    /// <summary>The suffix of a redirect that holds only for the request's key.</summary>
    public const string PerKeySuffix = ";key";

    /// <summary><c>HOST:PORT=FINGERPRINT</c>, IPv6 hosts in brackets; <c>;key</c> after it when <paramref name="perKey"/>.</summary>
    public static string Format(string host, int port, string fingerprint, bool perKey = false)
    {
        string h = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
        return $"{h}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}={fingerprint}{(perKey ? PerKeySuffix : string.Empty)}";
    }

    /// <summary>Splits a redirect message into its address (<c>HOST:PORT</c>) and fingerprint text; false when it is not one.</summary>
    public static bool TryParse(string? message, out string address, out string fingerprint) => TryParse(message, out address, out fingerprint, out _);

    /// <summary>As <see cref="TryParse(string?, out string, out string)"/>, also saying whether the redirect holds only for the request's key.</summary>
    public static bool TryParse(string? message, out string address, out string fingerprint, out bool perKey)
    {
        address = fingerprint = string.Empty;
        perKey = false;
        if (string.IsNullOrEmpty(message) || message.Length > MaxLength || message.Any(char.IsWhiteSpace))
        {
            return false;
        }

        if (message.EndsWith(PerKeySuffix, StringComparison.Ordinal))
        {
            perKey = true;
            message = message[..^PerKeySuffix.Length];
        }

        int eq = message.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == message.Length - 1 || !message.AsSpan(eq + 1).StartsWith("SHA256:", StringComparison.Ordinal))
        {
            return false;
        }

        int colon = message.LastIndexOf(':', eq - 1);
        if (colon <= 0 || colon == eq - 1 || !int.TryParse(message.AsSpan(colon + 1, eq - colon - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            return false;
        }

        address = message[..eq];
        fingerprint = message[(eq + 1)..];
        return true;
    }

    /// <summary>A GOAWAY message that names a member to reconnect to: <paramref name="text"/>, then <c>; see HOST:PORT=SHA256:...</c>.</summary>
    public static string GoAwayMessage(string text, string host, int port, string fingerprint) => $"{text}; see {Format(host, port, fingerprint)}";


    /// <summary>The member a message names in its last word (<c>... see HOST:PORT=SHA256:...</c>); false when it names none.</summary>
    public static bool TryParseTrailing(string? message, out string address, out string fingerprint)
    {
        address = fingerprint = string.Empty;
        if (string.IsNullOrEmpty(message))
        {
            return false;
        }

        int space = message.LastIndexOf(' ');
        return space > 0 && message.AsSpan(0, space).EndsWith("see", StringComparison.Ordinal) && TryParse(message[(space + 1)..], out address, out fingerprint);
    }
}
