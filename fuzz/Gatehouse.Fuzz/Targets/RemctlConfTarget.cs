using System.Text;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>remctl-conf</c>: <see cref="ConfigurationParser.Parse"/> (remctl.conf text: continuation
/// lines, options, ACL entries including <c>regex:</c>). No files are read: includes are parsed,
/// not followed. Every command line accepted must have its fields and at least one ACL.
/// </summary>
internal sealed class RemctlConfTarget : FuzzTarget
{
    public override string Name => "remctl-conf";

    public override string Description => "ConfigurationParser.Parse on remctl.conf text";

    public override bool IsExpected(Exception exception) => exception is ConfigurationException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        string text = TextInput.Decode(input);
        foreach (var entry in ConfigurationParser.Parse(text, "fuzz.conf"))
        {
            if (entry is ConfigurationEntry.Command { Line: var line })
            {
                FuzzInvariantException.Check(line.Command.Length > 0 && line.Subcommand.Length > 0 && line.Program.Length > 0, "a command line with an empty field");
                FuzzInvariantException.Check(line.Acls.Length > 0, "a command line without ACLs");
                FuzzInvariantException.Check(line.Source.LineNumber >= 1, "a line number below 1");
            }
        }
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        static byte[] T(string s) => Encoding.UTF8.GetBytes(s);
        yield return ("simple", T("test echo /usr/bin/echo ANYUSER\n"));
        yield return ("options", T("backup run /usr/local/bin/backup help=--help summary=-s logmask=2,3 stdin=last timeout=30 user=backup princ:admin@EXAMPLE.ORG\n"));
        yield return ("zeromq", T("mail queue tcp://127.0.0.1:5555 type=zeromq file:/etc/remctl/acl/mail\n"));
        yield return ("continuation", T("# comment \\\n  still comment\nsvc cmd \\\n  /bin/true \\\n  deny:princ:bob@EXAMPLE.ORG anyuser:auth\n"));
        yield return ("include", T("include /etc/remctl/conf.d\nALL ALL /bin/false localgroup:wheel\n"));
        yield return ("regex", T("svc cmd /bin/x regex:^[[:alpha:]]+/admin@EXAMPLE\\.ORG$ princ:x@Y\n"));
        yield return ("crlf", T("svc cmd /bin/x stdin=2 ANYUSER\r\n\r\n  # c\r\n"));
        yield return ("bad-option", T("svc cmd /bin/x nope=1 ANYUSER\n"));
        yield return ("bad-scheme", T("svc cmd /bin/x pcre:^a$\n"));
        yield return ("trailing-backslash", T("svc cmd /bin/x ANYUSER \\"));
        yield return ("too-few-fields", T("svc cmd /bin/x\n"));
    }
}
