using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Authorization;

/// <summary>What an identity may do.</summary>
[Flags]
public enum PeerRoles
{
    None = 0,
    /// <summary>May call commands.</summary>
    Client = 1,
    /// <summary>May register commands in its domains.</summary>
    Service = 2,
    /// <summary>May call the admin commands of the reserved domain (implies client).</summary>
    Admin = 4,
    /// <summary>
    /// May be a member of this gateway's cluster (docs/cluster.md). Implies nothing else: a gateway
    /// that should also call commands or host services needs those roles too.
    /// </summary>
    Gateway = 8,
}

/// <summary>
/// One line of the authorized file: a fingerprint mapped to a principal name, roles and domains.
/// For services, <see cref="Domains"/> are the domains it may register; for clients, the domains it
/// may call (empty: any).
/// </summary>
public sealed record PeerGrant(Fingerprint Fingerprint, string Name, PeerRoles Roles, IReadOnlyList<string> Domains)
{
    /// <summary>True when the grant has <paramref name="role"/>.</summary>
    public bool Has(PeerRoles role) => (Roles & role) == role;

    /// <summary>True when the domain list allows <paramref name="domain"/> (empty or <c>*</c> allows all).</summary>
    public bool AllowsDomain(string domain) =>
        Domains.Count == 0 || Domains.Contains("*") || Domains.Contains(domain, StringComparer.Ordinal);

    /// <summary>Longest name or domain accepted (the protocol's limit for a domain).</summary>
    public const int MaxNameLength = 255;

    /// <summary>
    /// Checks the values <c>gatehouse authorize</c> writes, so each grant stays one line with one
    /// meaning: see <see cref="NameProblem"/> and <see cref="DomainProblem"/>.
    /// </summary>
    /// <returns>Null when valid, else what is wrong.</returns>
    public string? Validate() =>
        NameProblem(Name) ?? Domains.Select(DomainProblem).FirstOrDefault(p => p is not null);

    /// <summary>
    /// A principal name is 1 to 255 characters with no whitespace, no control characters and none of
    /// <c>= , #</c> (so <c>alice</c>, <c>alice@EXAMPLE.ORG</c>, <c>host/web1.example.org</c> are fine).
    /// </summary>
    /// <returns>Null when valid, else why not.</returns>
    public static string? NameProblem(string name)
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            return $"a name is 1 to {MaxNameLength} characters";
        }

        foreach (char c in name)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '=' or ',' or '#' || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
            {
                return $"name '{Printable(name)}': no whitespace, control characters, '=', ',' or '#'";
            }
        }

        return null;
    }

    /// <summary>
    /// A domain is <c>*</c> (every domain) or 1 to 255 characters of <c>[A-Za-z0-9._-]</c> starting
    /// with a letter or digit, e.g. <c>mail</c>, <c>default</c>, <c>hpc.batch</c>.
    /// </summary>
    /// <returns>Null when valid, else why not.</returns>
    public static string? DomainProblem(string domain)
    {
        if (domain == "*")
        {
            return null;
        }

        bool ok = domain.Length is > 0 and <= MaxNameLength && char.IsAsciiLetterOrDigit(domain[0]);
        foreach (char c in domain)
        {
            ok &= char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
        }

        return ok ? null : $"domain '{Printable(domain)}': '*' or 1 to {MaxNameLength} of A-Z a-z 0-9 . _ - starting with a letter or digit";
    }

    /// <summary>The text with control characters shown as \uXXXX, for error messages.</summary>
    private static string Printable(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    /// <summary>The line as written to the authorized file.</summary>
    public string ToLine()
    {
        var roles = new List<string>();
        if ((Roles & PeerRoles.Client) != 0)
        {
            roles.Add("client");
        }

        if ((Roles & PeerRoles.Service) != 0)
        {
            roles.Add("service");
        }

        if ((Roles & PeerRoles.Admin) != 0)
        {
            roles.Add("admin");
        }

        if ((Roles & PeerRoles.Gateway) != 0)
        {
            roles.Add("gateway");
        }

        string line = $"{Fingerprint} {Name} roles={string.Join(',', roles)}";
        return Domains.Count > 0 ? line + " domains=" + string.Join(',', Domains) : line;
    }

    /// <summary>The time format of the state files beside it (<c>YYYY-MM-DDTHH:MM:SSZ</c>, UTC).</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The roles as text.</summary>
    public string RolesText => ToLine().Split(' ')[2]["roles=".Length..];
}
