namespace Gatehouse.Commands.Acl;

/// <summary>Where ACL checks look things up. Immutable; the defaults are the system files.</summary>
public sealed record AclContext
{
    /// <summary>The default context: /etc/group, /etc/passwd, every realm local.</summary>
    public static AclContext Default { get; } = new();

    /// <summary>The group database read by <c>localgroup:</c> (files format).</summary>
    public string GroupFile { get; init; } = "/etc/group";

    /// <summary>The user database read by <c>localgroup:</c> for primary groups (files format).</summary>
    public string PasswdFile { get; init; } = "/etc/passwd";

    /// <summary>
    /// Realms whose single-component principals map to local users for <c>localgroup:</c>. Null
    /// (the default) accepts any realm; set it to your local realm(s) to match krb5's default rule.
    /// </summary>
    public IReadOnlySet<string>? LocalRealms { get; init; }
}

/// <summary>The caller an ACL is checked for.</summary>
/// <param name="Principal">The authenticated principal.</param>
/// <param name="Anonymous">True when the caller authenticated anonymously.</param>
public readonly record struct AclSubject(string Principal, bool Anonymous)
{
    /// <summary>True when anonymous, by flag or by being the Kerberos anonymous principal.</summary>
    public bool IsAnonymous => Anonymous || Principal == PrincipalMapping.AnonymousPrincipal;
}

/// <summary>The outcome of checking a line's ACLs.</summary>
/// <param name="Allowed">True when an entry granted access.</param>
/// <param name="Error">When access was refused because of an error (unreadable ACL file, bad entry), what went wrong, as <c>FILE:LINE: problem</c>.</param>
public readonly record struct AclDecision(bool Allowed, string? Error);
