using System.Globalization;

namespace Gatehouse.Commands.Acl;

/// <summary>A group from /etc/group: name, GID and supplementary members.</summary>
internal sealed record UnixGroup(string Name, long Gid, IReadOnlyList<string> Members);

/// <summary>A user from /etc/passwd: name and primary GID.</summary>
internal sealed record UnixUser(string Name, long Uid, long Gid);

/// <summary>
/// Pure parsers for the files-database formats of /etc/group and /etc/passwd. The first entry with
/// a name wins, as with NSS "files". NIS compatibility lines (<c>+</c>, <c>-</c>), comments and
/// malformed lines are skipped.
/// </summary>
internal static class UnixAccounts
{
    /// <summary>Finds group <paramref name="name"/> in /etc/group text (<c>name:password:gid:member,member</c>).</summary>
    /// <returns>The group, or null when it is not listed.</returns>
    public static UnixGroup? FindGroup(string groupText, string name)
    {
        foreach (string[] fields in Records(groupText, 4))
        {
            if (fields[0] == name && TryParseId(fields[2], out long gid))
            {
                string[] members = fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                return new UnixGroup(name, gid, members);
            }
        }

        return null;
    }

    /// <summary>Finds user <paramref name="name"/> in /etc/passwd text (<c>name:password:uid:gid:gecos:home:shell</c>).</summary>
    /// <returns>The user, or null when it is not listed.</returns>
    public static UnixUser? FindUser(string passwdText, string name)
    {
        foreach (string[] fields in Records(passwdText, 7))
        {
            if (fields[0] == name && TryParseId(fields[2], out long uid) && TryParseId(fields[3], out long gid))
            {
                return new UnixUser(name, uid, gid);
            }
        }

        return null;
    }

    /// <summary>Finds the user whose UID is <paramref name="uid"/>.</summary>
    /// <returns>The user, or null when no entry has that UID.</returns>
    public static UnixUser? FindUserById(string passwdText, long uid)
    {
        foreach (string[] fields in Records(passwdText, 7))
        {
            if (TryParseId(fields[2], out long id) && id == uid && TryParseId(fields[3], out long gid))
            {
                return new UnixUser(fields[0], id, gid);
            }
        }

        return null;
    }

    private static IEnumerable<string[]> Records(string text, int fieldCount)
    {
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] is '#' or '+' or '-')
            {
                continue;
            }

            string[] fields = line.Split(':');
            if (fields.Length >= fieldCount && fields[0].Length > 0)
            {
                yield return fields;
            }
        }
    }

    private static bool TryParseId(string text, out long id) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}
