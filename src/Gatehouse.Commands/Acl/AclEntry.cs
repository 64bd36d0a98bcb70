using System.Text.RegularExpressions;

namespace Gatehouse.Commands.Acl;

/// <summary>The ACL methods remctld knows.</summary>
public enum AclMethod
{
    /// <summary><c>file:</c> an ACL file or a directory of them.</summary>
    File,

    /// <summary><c>princ:</c> one principal, compared exactly.</summary>
    Princ,

    /// <summary><c>anyuser:auth</c> or <c>anyuser:anonymous</c> (and the legacy <c>ANYUSER</c>).</summary>
    AnyUser,

    /// <summary><c>deny:</c> wraps another entry; a match denies.</summary>
    Deny,

    /// <summary><c>localgroup:</c> membership in a local Unix group.</summary>
    LocalGroup,

    /// <summary><c>regex:</c> a POSIX extended regular expression, not anchored.</summary>
    Regex,

    /// <summary><c>gput:</c> CMU GPUT roles: not supported by Gatehouse (a configuration error).</summary>
    Gput,

    /// <summary><c>pcre:</c> Perl-compatible regular expression: not supported by Gatehouse (a configuration error).</summary>
    Pcre,
}

/// <summary>One parsed ACL entry, <c>[method:]data</c>. Immutable.</summary>
/// <param name="Text">The entry as written.</param>
public abstract record AclEntry(string Text)
{
    /// <summary><c>file:PATH</c>; the file or directory is read each time the entry is checked, as remctld does.</summary>
    public sealed record FileAcl(string Text, string Path) : AclEntry(Text);

    /// <summary><c>princ:NAME</c>.</summary>
    public sealed record PrincipalAcl(string Text, string Principal) : AclEntry(Text);

    /// <summary><c>anyuser:auth</c> (<paramref name="AllowAnonymous"/> false) or <c>anyuser:anonymous</c> (true).</summary>
    public sealed record AnyUserAcl(string Text, bool AllowAnonymous) : AclEntry(Text);

    /// <summary><c>deny:ENTRY</c>, where the inner entry's default method is <c>princ</c>.</summary>
    public sealed record DenyAcl(string Text, AclEntry Inner) : AclEntry(Text);

    /// <summary><c>localgroup:GROUP</c>.</summary>
    public sealed record LocalGroupAcl(string Text, string Group) : AclEntry(Text);

    /// <summary><c>regex:ERE</c>, translated to an equivalent .NET expression; or <c>pcre:RE</c>, compiled as written (.NET's engine).</summary>
    public sealed record RegexAcl(string Text, string Pattern, Regex Compiled) : AclEntry(Text);

    /// <summary>
    /// An entry remctld loads but cannot use (an unknown method, an invalid <c>anyuser:</c> value): like
    /// remctld, checking it is an error, which denies the line and is logged.
    /// </summary>
    public sealed record InvalidAcl(string Text, string Problem) : AclEntry(Text);

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>An ACL entry is malformed or uses a method Gatehouse does not support.</summary>
public sealed class AclSyntaxException : Exception
{
    /// <summary>True when remctld loads such an entry and fails only when checking it (an unknown method, an invalid <c>anyuser:</c> value).</summary>
    public bool IsCheckTimeError { get; init; }

    /// <summary>Creates the exception.</summary>
    public AclSyntaxException()
    {
    }

    /// <summary>Creates the exception with a remctld-style message (without location).</summary>
    public AclSyntaxException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public AclSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
