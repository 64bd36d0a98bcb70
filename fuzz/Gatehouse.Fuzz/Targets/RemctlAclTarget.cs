using System.Text;
using Gatehouse.Commands.Acl;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>remctl-acl</c>: <see cref="AclFileParser.Parse"/> on ACL file text, then
/// <see cref="AclParser.Parse"/> on every entry (default method <c>princ</c>, <c>file</c> for
/// includes), as the evaluator does when it reads an ACL file.
/// </summary>
internal sealed class RemctlAclTarget : FuzzTarget
{
    public override string Name => "remctl-acl";

    public override string Description => "AclFileParser.Parse and AclParser.Parse on ACL file text";

    public override bool IsExpected(Exception exception) => exception is AclSyntaxException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        string text = TextInput.Decode(input);
        AclSyntaxException? first = null;
        foreach (var line in AclFileParser.Parse(text))
        {
            FuzzInvariantException.Check(line.LineNumber >= 1 && line.Text.Length > 0, "an empty entry or a line number below 1");
            if (line.Error is not null)
            {
                continue;
            }

            try
            {
                var entry = AclParser.Parse(line.Text, line.IsInclude ? AclMethod.File : AclMethod.Princ);
                FuzzInvariantException.Check(entry.Text == line.Text, "the entry does not keep its text");
            }
            catch (AclSyntaxException e)
            {
                first ??= e;
            }
        }

        if (first is not null)
        {
            throw first;
        }
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        static byte[] T(string s) => Encoding.UTF8.GetBytes(s);
        yield return ("principals", T("# admins\nalice@EXAMPLE.ORG\n  bob/admin@EXAMPLE.ORG  \n\n"));
        yield return ("include", T("include /etc/remctl/acl/other\ninclude file:/etc/remctl/acl/dir\n"));
        yield return ("methods", T("princ:carol@EXAMPLE.ORG\nanyuser:auth\nanyuser:anonymous\nlocalgroup:wheel\nANYUSER\n"));
        yield return ("deny", T("deny:mallory@EXAMPLE.ORG\ndeny:localgroup:guests\ndeny:regex:^guest\n"));
        yield return ("regex", T("regex:^[a-z]+/admin@EXAMPLE\\.ORG$\nregex:(a|b)*[[:digit:]]{2,3}\\.x\nregex:[]a-]\n"));
        yield return ("regex-bad", T("regex:[[:nope:]]\nregex:abc\\\nregex:[a\n"));
        yield return ("unsupported", T("pcre:^x$\ngput:group\nweird:thing\n"));
        yield return ("parse-error", T("two fields here\n"));
    }
}
