namespace Gatehouse.Commands.Acl;

/// <summary>
/// Maps a principal to a local user name the way MIT Kerberos' default
/// <c>krb5_aname_to_localname</c> rule does (the DEFAULT auth_to_local rule), without krb5.conf:
/// a principal with exactly one component (<c>user@REALM</c>, no <c>/</c>) in an accepted realm
/// maps to <c>user</c>; anything else has no local name.
/// </summary>
internal static class PrincipalMapping
{
    /// <summary>The Kerberos anonymous principal (RFC 6112).</summary>
    public const string AnonymousPrincipal = "WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS";

    /// <summary>Returns the local user name for <paramref name="principal"/>, or null when it has none.</summary>
    /// <param name="principal">The principal, <c>name[/instance]@REALM</c> (the realm may be missing).</param>
    /// <param name="localRealms">
    /// The realms whose users are local users. Null accepts every realm (and principals without one);
    /// krb5 accepts only the default realm unless configured otherwise.
    /// </param>
    public static string? ToLocalName(string principal, IReadOnlySet<string>? localRealms)
    {
        int at = principal.LastIndexOf('@');
        string name = at < 0 ? principal : principal[..at];
        string? realm = at < 0 ? null : principal[(at + 1)..];
        if (localRealms is not null && (realm is null || !localRealms.Contains(realm)))
        {
            return null;
        }

        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            return null;
        }

        return name;
    }
}
