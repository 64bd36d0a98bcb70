using System.Text.RegularExpressions;

namespace Gatehouse.Commands.Acl;

/// <summary>Parses ACL entries written as <c>[method:]data</c> (remctld's acl_check dispatch). Pure.</summary>
public static class AclParser
{
    /// <summary>How long one <c>regex:</c> match may take before it counts as an error (and so denies).</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Deepest <c>deny:</c> nesting accepted (<c>deny:deny:x</c> is 2). Beyond 2 levels nesting
    /// changes nothing (<c>deny:deny:x</c> already neither grants nor refuses), and every level
    /// keeps its own text, so an unbounded chain would cost memory quadratic in its length.
    /// </summary>
    public const int MaxDenyDepth = 8;

    /// <summary>
    /// Parses one entry. <c>ANYUSER</c> (case-sensitive) means <c>anyuser:auth</c>. The method is
    /// the text before the first colon; without a colon, <paramref name="defaultMethod"/> applies
    /// (<c>file</c> in remctl.conf, <c>princ</c> in ACL files and inside <c>deny:</c>).
    /// </summary>
    /// <returns>The entry.</returns>
    /// <exception cref="AclSyntaxException">
    /// The method is unknown (<c>invalid ACL scheme 'x'</c>), known to remctld but not supported here
    /// (<c>ACL scheme 'pcre' is not supported</c>), its data is invalid, or <c>deny:</c> is nested
    /// deeper than <see cref="MaxDenyDepth"/>.
    /// </exception>
    public static AclEntry Parse(string text, AclMethod defaultMethod) => Parse(text, defaultMethod, 0);

    /// <summary>
    /// Parses an entry of a remctl.conf line as remctld loads it: an unknown method or an invalid
    /// <c>anyuser:</c> value does not stop the file from loading but becomes an
    /// <see cref="AclEntry.InvalidAcl"/> (an error, so a denial, each time the line is checked).
    /// </summary>
    /// <exception cref="AclSyntaxException">What remctld also refuses at load time (a regular expression that does not compile, <c>gput:</c>, nesting too deep).</exception>
    public static AclEntry ParseAsLoaded(string text, AclMethod defaultMethod)
    {
        try
        {
            return Parse(text, defaultMethod, 0);
        }
        catch (AclSyntaxException e) when (e.IsCheckTimeError)
        {
            return new AclEntry.InvalidAcl(text, e.Message);
        }
    }

    private static AclEntry Parse(string text, AclMethod defaultMethod, int denyDepth)
    {
        string entry = text == "ANYUSER" ? "anyuser:auth" : text;
        int colon = entry.IndexOf(':', StringComparison.Ordinal);
        AclMethod method;
        string data;
        if (colon < 0)
        {
            method = defaultMethod;
            data = entry;
        }
        else
        {
            string prefix = entry[..colon];
            data = entry[(colon + 1)..];
            method = prefix switch
            {
                "file" => AclMethod.File,
                "princ" => AclMethod.Princ,
                "anyuser" => AclMethod.AnyUser,
                "deny" => AclMethod.Deny,
                "localgroup" => AclMethod.LocalGroup,
                "regex" => AclMethod.Regex,
                "gput" => AclMethod.Gput,
                "pcre" => AclMethod.Pcre,
                _ => throw new AclSyntaxException($"invalid ACL scheme '{prefix}'") { IsCheckTimeError = true },
            };
        }

        return method switch
        {
            AclMethod.File => new AclEntry.FileAcl(text, data),
            AclMethod.Princ => new AclEntry.PrincipalAcl(text, data),
            AclMethod.AnyUser => data switch
            {
                "auth" => new AclEntry.AnyUserAcl(text, false),
                "anonymous" => new AclEntry.AnyUserAcl(text, true),
                _ => throw new AclSyntaxException($"invalid ACL value 'anyuser:{data}'") { IsCheckTimeError = true },
            },
            AclMethod.Deny => denyDepth < MaxDenyDepth
                ? new AclEntry.DenyAcl(text, Parse(data, AclMethod.Princ, denyDepth + 1))
                : throw new AclSyntaxException($"deny: nested deeper than {MaxDenyDepth} levels"),
            AclMethod.LocalGroup => new AclEntry.LocalGroupAcl(text, data),
            AclMethod.Regex => ParseRegex(text, data),
            AclMethod.Pcre => ParsePcre(text, data),
            _ => throw new AclSyntaxException($"ACL scheme '{method.ToString().ToLowerInvariant()}' is not supported"),
        };
    }

    /// <summary>
    /// <c>pcre:RE</c> with .NET's engine, which reads Perl syntax: classes, quantifiers (lazy too),
    /// look-around, back-references, named groups, inline options, atomic groups, Unicode properties.
    /// PCRE features it lacks make the entry fail to load with the reason: possessive quantifiers
    /// (<c>a++</c>), <c>\K</c>, recursion (<c>(?R)</c>), callouts, backtracking verbs. Matching is
    /// unanchored, as remctld's <c>pcre_exec</c>, and bounded by <see cref="RegexTimeout"/>.
    /// </summary>
    private static AclEntry.RegexAcl ParsePcre(string text, string data)
    {
        try
        {
            var regex = new Regex(data, RegexOptions.CultureInvariant, RegexTimeout);
            return new AclEntry.RegexAcl(text, data, regex);
        }
        catch (ArgumentException e)
        {
            throw new AclSyntaxException($"compilation of regex '{data}' failed: {e.Message}", e);
        }
    }

    private static AclEntry.RegexAcl ParseRegex(string text, string data)
    {
        try
        {
            string pattern = PosixRegex.Translate(data);
            var regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Singleline, RegexTimeout);
            return new AclEntry.RegexAcl(text, data, regex);
        }
        catch (ArgumentException e)
        {
            throw new AclSyntaxException($"compilation of regex '{data}' failed: {e.Message}", e);
        }
    }
}
