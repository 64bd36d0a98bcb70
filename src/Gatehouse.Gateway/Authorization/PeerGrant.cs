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

        string line = $"{Fingerprint} {Name} roles={string.Join(',', roles)}";
        return Domains.Count > 0 ? line + " domains=" + string.Join(',', Domains) : line;
    }

    /// <summary>The roles as text.</summary>
    public string RolesText => ToLine().Split(' ')[2]["roles=".Length..];
}
