using Gatehouse.Commands.Acl;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands.Tests;

/// <summary>The remctl migration check: what it lists, in what order, and when it lists nothing.</summary>
public sealed class MigrationCheckTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private AclContext Groups() => new() { GroupFile = dir.File("group", "wheel:x:10:alice\n"), PasswdFile = dir.File("passwd", "alice:x:1000:1000::/:/bin/sh\n") };

    [Fact]
    public void A_configuration_remctld_and_gatehouse_treat_alike_has_no_findings()
    {
        string acl = dir.File("acl/admins", "# admins\nalice@EXAMPLE.ORG\nregex:^b.*@EXAMPLE\\.ORG$\n");
        string config = dir.File("remctl.conf", $"""
            a ALL /bin/true princ:alice@EXAMPLE.ORG anyuser:auth ANYUSER deny:princ:eve@R
            b EMPTY /bin/true file:{acl} localgroup:wheel regex:^a pcre:^[a-z]+@R$

            """);

        MigrationReport report = MigrationCheck.Run(config, Groups());

        Assert.Null(report.LoadError);
        Assert.Equal(2, report.LineCount);
        Assert.Empty(report.Findings);
    }

    [Fact]
    public void Every_entry_that_will_deny_and_every_difference_is_listed_with_its_file_and_line_in_reading_order()
    {
        string acl = dir.File("acl/list", "alice@R\nbogus:x\na b\n");
        string included = dir.Sub("inc");
        dir.File("inc/good", "x y /bin/true ANYUSER\n");
        dir.File("inc/old.conf", "x z /bin/true ANYUSER\n");
        string config = dir.File("remctl.conf", $"""
            a ALL /bin/true bogus:x anyuser:maybe
            b ALL {dir.Path}/no-such-program pcre:^[[:alpha:]]+@R$
            c ALL /bin/true file:{acl} file:{dir.Path}/acl/missing localgroup:nosuchgroup
            d ALL /bin/true sudo=root help=--help ANYUSER
            include {included}
            e ALL tcp://127.0.0.1:5555 type=zeromq timeout=5 ANYUSER

            """);

        MigrationReport report = MigrationCheck.Run(config, Groups());

        Assert.Null(report.LoadError);
        Assert.Equal(6, report.LineCount);
        string[] expected =
        [
            $"{config}:1: ACL entry 'bogus:x': invalid ACL scheme 'bogus'; checking it is an error",
            $"{config}:1: ACL entry 'anyuser:maybe': invalid ACL value 'anyuser:maybe'; checking it is an error",
            $"{config}:2: program {dir.Path}/no-such-program does not exist: callers get 'remctld: cannot execute command' and status 255",
            $"{config}:2: ACL entry 'pcre:^[[:alpha:]]+@R$': POSIX classes such as [[:alpha:]] are not understood",
            $"{acl}:2: ACL entry 'bogus:x': invalid ACL scheme 'bogus'; reaching it is an error",
            $"{acl}:3: parse error: reaching this line is an error",
            $"{config}:3: ACL entry 'file:{dir.Path}/acl/missing': {dir.Path}/acl/missing not found; checking it is an error",
            $"{config}:3: ACL entry 'localgroup:nosuchgroup': group nosuchgroup is not in {dir.Path}/group",
            $"{config}:4: sudo= with help= or summary=",
            $"{config}:5: {included}/old.conf is not read: in an included directory only names made of letters, digits, '_' and '-' are read",
            $"{config}:6: type=zeromq is a Gatehouse extension",
            $"{config}:6: timeout= is a Gatehouse extension",
        ];
        Assert.Equal(expected.Length, report.Findings.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.StartsWith(expected[i], report.Findings[i].ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_file_whose_last_line_has_no_newline_is_listed_because_remctld_refuses_it()
    {
        string included = dir.File("more.conf", "b ALL /bin/true ANYUSER");
        string config = dir.File("remctl.conf", $"a ALL /bin/true ANYUSER\ninclude {included}\n");

        MigrationReport report = MigrationCheck.Run(config, Groups());

        Assert.Equal(2, report.LineCount);
        var finding = Assert.Single(report.Findings);
        Assert.Equal($"{included}: the last line has no newline: remctld refuses the whole configuration ('no final line or newline'); Gatehouse reads it", finding.ToString());
    }

    [Fact]
    public void A_file_that_does_not_load_is_reported_as_the_load_error_the_gateway_would_give()
    {
        string config = dir.File("remctl.conf", "a ALL /bin/true ANYUSER\nb ALL /bin/true gput:group\n");

        MigrationReport report = MigrationCheck.Run(config, Groups());

        Assert.Equal($"{config}:2: ACL scheme 'gput' is not supported", report.LoadError);
        Assert.Equal(0, report.LineCount);
        Assert.Empty(report.Findings);
        Assert.Equal(report.LoadError, Assert.Throws<ConfigurationException>(() => CommandConfiguration.Load(config)).Message);
    }

    [Fact]
    public void A_program_that_is_not_executable_and_an_acl_file_shared_by_two_lines_are_each_listed_once()
    {
        string program = dir.File("not-executable", "#!/bin/sh\n");
        string acl = dir.File("acl", "bogus:x\n");
        string config = dir.File("remctl.conf", $"a ALL {program} file:{acl}\nb ALL /bin/true file:{acl}\n");

        MigrationReport report = MigrationCheck.Run(config, Groups());

        Assert.Equal(
            [$"{config}:1: program {program} is not executable: callers get 'remctld: cannot execute command' and status 255",
             $"{acl}:1: ACL entry 'bogus:x': invalid ACL scheme 'bogus'; reaching it is an error, which denies (as in remctld)"],
            report.Findings.Select(f => f.ToString()));
    }
}
