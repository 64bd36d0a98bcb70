using Gatehouse.Commands.Acl;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands.Tests;

public class ConfigurationParserTests
{
    private static CommandConfiguration Parse(string text) => CommandConfiguration.Parse(text, "/etc/remctl.conf");

    private static ConfigurationException Bad(string text) => Assert.Throws<ConfigurationException>(() => Parse(text));

    [Fact]
    public void Parses_fields_options_and_acls_in_order()
    {
        var config = Parse("accounts passwd /usr/local/bin/dopasswd logmask=3 stdin=last /etc/acl/group1 princ:bob@EXAMPLE.ORG\n");
        CommandLine line = Assert.Single(config.Lines);
        Assert.Equal("accounts", line.Command);
        Assert.Equal("passwd", line.Subcommand);
        Assert.Equal("/usr/local/bin/dopasswd", line.Program);
        Assert.Equal("dopasswd", line.ProgramName);
        Assert.Equal([3], line.Options.LogMask.AsEnumerable());
        Assert.Equal(StdinArgument.Last, line.Options.Stdin);
        Assert.Equal(2, line.Acls.Length);
        Assert.Equal(new AclEntry.FileAcl("/etc/acl/group1", "/etc/acl/group1"), line.Acls[0]);
        Assert.Equal(new AclEntry.PrincipalAcl("princ:bob@EXAMPLE.ORG", "bob@EXAMPLE.ORG"), line.Acls[1]);
        Assert.Equal(new SourceLocation("/etc/remctl.conf", 1), line.Source);
    }

    [Fact]
    public void Every_option_is_parsed()
    {
        var line = Parse("c s tcp://h:1 help=h summary=sum user=nobody sudo=#42 logmask=2,4 stdin=2 type=zeromq timeout=30 ANYUSER")
            .Lines[0];
        Assert.Equal("h", line.Options.Help);
        Assert.Equal("sum", line.Options.Summary);
        Assert.Equal("nobody", line.Options.User);
        Assert.Equal("#42", line.Options.Sudo);
        Assert.Equal([2, 4], line.Options.LogMask.AsEnumerable());
        Assert.Equal(new StdinArgument(2), line.Options.Stdin);
        Assert.Equal(BackendType.ZeroMq, line.Options.Type);
        Assert.Equal(TimeSpan.FromSeconds(30), line.Options.Timeout);
    }

    [Fact]
    public void Defaults_are_exec_no_timeout_no_stdin()
    {
        var options = Parse("c s /bin/p ANYUSER").Lines[0].Options;
        Assert.Equal(BackendType.Exec, options.Type);
        Assert.Null(options.Timeout);
        Assert.Null(options.Stdin);
        Assert.Empty(options.LogMask);
    }

    [Fact]
    public void Zeromq_endpoints_are_exposed_as_the_program()
    {
        var config = Parse("db ALL tcp://127.0.0.1:5555 type=zeromq ANYUSER\nq ALL ipc:///run/x.sock type=zeromq ANYUSER\n");
        Assert.Equal("tcp://127.0.0.1:5555", config.Lines[0].Program);
        Assert.Equal("ipc:///run/x.sock", config.Lines[1].Program);
        Assert.All(config.Lines, l => Assert.Equal(BackendType.ZeroMq, l.Options.Type));
    }

    [Fact]
    public void Comments_blank_lines_and_whitespace_are_ignored()
    {
        var config = Parse("# comment\n\n   \t\n   # indented comment\na\tb\t/bin/x   ANYUSER   \n");
        Assert.Single(config.Lines);
        Assert.Equal(5, config.Lines[0].Source.LineNumber);
    }

    [Fact]
    public void Continuation_lines_join_without_inserting_anything()
    {
        var config = Parse("accounts create /usr/local/bin/doaccount /etc/acl/group1 \\\n    /etc/acl/group2\nx y /bin/z prin\\\nc:a@B\n");
        Assert.Equal(["/etc/acl/group1", "/etc/acl/group2"], config.Lines[0].Acls.Select(a => a.Text));
        Assert.Equal(1, config.Lines[0].Source.LineNumber);
        Assert.Equal("princ:a@B", Assert.Single(config.Lines[1].Acls).Text);
        Assert.Equal(3, config.Lines[1].Source.LineNumber);
    }

    [Fact]
    public void A_comment_ending_in_backslash_swallows_the_next_line()
    {
        var config = Parse("# comment \\\nhidden line /bin/x ANYUSER\nshown line /bin/x ANYUSER\n");
        Assert.Equal("shown", Assert.Single(config.Lines).Command);
    }

    [Fact]
    public void Hash_in_the_middle_of_a_line_is_not_a_comment()
    {
        // remctld only treats lines that start with # as comments: "#" here is an ACL file named "#".
        var line = Parse("a b /bin/x ANYUSER #").Lines[0];
        Assert.Equal(["ANYUSER", "#"], line.Acls.Select(a => a.Text));
    }

    [Fact]
    public void Tokens_after_the_first_acl_are_acls_even_if_they_look_like_options()
    {
        var line = Parse("a b /bin/x princ:u@R help=foo").Lines[0];
        Assert.Null(line.Options.Help);
        Assert.Equal(2, line.Acls.Length);
        Assert.IsType<AclEntry.FileAcl>(line.Acls[1]);
    }

    [Theory]
    [InlineData("a b /bin/x", 1, "parse error")]
    [InlineData("a b", 1, "parse error")]
    [InlineData("include a b", 1, "parse error")]
    [InlineData("a b /bin/x help=foo", 1, "config parse error")]
    [InlineData("\n\na b /bin/x foo=bar ANYUSER", 3, "unknown option foo=bar")]
    [InlineData("a b /bin/x stdin=0 ANYUSER", 1, "invalid stdin value 0")]
    [InlineData("a b /bin/x stdin=first ANYUSER", 1, "invalid stdin value first")]
    [InlineData("a b /bin/x logmask=1,x ANYUSER", 1, "invalid logmask parameter x")]
    [InlineData("a b /bin/x logmask=-1 ANYUSER", 1, "invalid logmask parameter -1")]
    [InlineData("a b /bin/x type=grpc ANYUSER", 1, "invalid type value grpc")]
    [InlineData("a b /bin/x timeout=0 ANYUSER", 1, "invalid timeout value 0")]
    [InlineData("a b /bin/x timeout=1.5 ANYUSER", 1, "invalid timeout value 1.5")]
    [InlineData("a b /bin/x type=zeromq ANYUSER", 1, "invalid zeromq endpoint /bin/x: only tcp://HOST:PORT and ipc:///PATH are supported")]
    [InlineData("a b ws://127.0.0.1:5555 type=zeromq ANYUSER", 1, "invalid zeromq endpoint ws://127.0.0.1:5555: only tcp://HOST:PORT and ipc:///PATH are supported")]
    [InlineData("a b pgm://eth0;239.1.1.1:5555 type=zeromq ANYUSER", 1, "invalid zeromq endpoint pgm://eth0;239.1.1.1:5555: only tcp://HOST:PORT and ipc:///PATH are supported")]
    [InlineData("a b tcp://127.0.0.1 type=zeromq ANYUSER", 1, "invalid zeromq endpoint tcp://127.0.0.1: tcp:// needs HOST:PORT with a port of 1..65535")]
    [InlineData("a b ipc://relative.sock type=zeromq ANYUSER", 1, "invalid zeromq endpoint ipc://relative.sock: ipc:// needs an absolute path (ipc:///run/x.sock)")]
    [InlineData("a b /bin/x gput:role", 1, "ACL scheme 'gput' is not supported")]
    [InlineData("a b /bin/x deny:gput:role", 1, "ACL scheme 'gput' is not supported")]
    [InlineData("a b /bin/x pcre:a(?R)", 1, "compilation of regex 'a(?R)' failed: Invalid pattern 'a(?R)' at offset 4. Unrecognized grouping construct.")]
    [InlineData("a b /bin/x \\\n  regex:a[b", 1, "compilation of regex 'a[b' failed: unmatched [ in regular expression")]
    [InlineData("a b /bin/x ANYUSER \\", 1, "no final line or newline")]
    public void Bad_lines_name_file_and_line(string text, int line, string problem)
    {
        ConfigurationException e = Bad(text);
        Assert.Equal("/etc/remctl.conf", e.FileName);
        Assert.Equal(line, e.LineNumber);
        Assert.Equal(problem, e.Problem);
        Assert.Equal($"/etc/remctl.conf:{line}: {problem}", e.Message);
    }

    [Fact]
    public void Entries_remctld_loads_but_cannot_use_load_and_deny_their_line_when_checked()
    {
        // remctld loads these lines; checking them is an error that denies the line (and is logged).
        var config = Parse("a b /bin/x nosuch:thing ANYUSER\nc d /bin/x anyuser:everyone ANYUSER\ne f /bin/x deny:bogus:y ANYUSER\n");
        var evaluator = new AclEvaluator(new AclContext());
        var subject = new AclSubject("alice@R", false);
        var first = evaluator.Check(config.Lines[0].Acls, subject, config.Lines[0].Source);
        Assert.False(first.Allowed);
        Assert.Equal("/etc/remctl.conf:1: invalid ACL scheme 'nosuch'", first.Error);
        var second = evaluator.Check(config.Lines[1].Acls, subject, config.Lines[1].Source);
        Assert.False(second.Allowed);
        Assert.Equal("/etc/remctl.conf:2: invalid ACL value 'anyuser:everyone'", second.Error);
        Assert.False(evaluator.Check(config.Lines[2].Acls, subject, config.Lines[2].Source).Allowed);
    }

    [Fact]
    public void Later_duplicate_options_win_as_in_remctld()
    {
        Assert.Equal("two", Parse("a b /bin/x help=one help=two ANYUSER").Lines[0].Options.Help);
    }

    [Fact]
    public void Option_syntax_follows_remctld_is_option()
    {
        Assert.True(OptionParser.IsOption("help=x"));
        Assert.True(OptionParser.IsOption("a-b=x"));
        Assert.False(OptionParser.IsOption("help="));
        Assert.False(OptionParser.IsOption("=x"));
        Assert.False(OptionParser.IsOption("/etc/acl=1"));
        Assert.False(OptionParser.IsOption("princ:a=b"));
        Assert.False(OptionParser.IsOption("1a=b"));
    }
}

public class MatchingTests
{
    private static readonly CommandConfiguration Config = CommandConfiguration.Parse(
        """
        accounts create /bin/create ANYUSER
        accounts EMPTY /bin/empty ANYUSER
        accounts ALL /bin/all ANYUSER
        accounts create /bin/never ANYUSER
        ALL status /bin/status ANYUSER
        ALL ALL /bin/catchall ANYUSER
        """,
        "test.conf");

    [Theory]
    [InlineData("accounts", "create", "/bin/create")]
    [InlineData("accounts", null, "/bin/empty")]
    [InlineData("accounts", "delete", "/bin/all")]
    [InlineData("printing", "status", "/bin/status")]
    [InlineData("printing", "other", "/bin/catchall")]
    [InlineData("printing", null, "/bin/catchall")]
    public void First_matching_line_wins_with_ALL_and_EMPTY(string command, string? sub, string program)
    {
        Assert.Equal(program, Config.Find(command, sub)!.Program);
    }

    [Fact]
    public void EMPTY_matches_only_a_missing_subcommand_and_ALL_matches_it_too()
    {
        var config = CommandConfiguration.Parse("a EMPTY /bin/e ANYUSER\nb ALL /bin/b ANYUSER\n", "t");
        Assert.Null(config.Find("a", "x"));
        // As remctld's strcmp: a literal subcommand "EMPTY" matches the keyword too.
        Assert.Equal("/bin/e", config.Find("a", "EMPTY")!.Program);
        Assert.Equal("/bin/b", config.Find("b", null)!.Program);
        Assert.Null(config.Find("c", null));
    }

    [Fact]
    public void Keywords_are_case_sensitive()
    {
        var config = CommandConfiguration.Parse("a all /bin/x ANYUSER\n", "t");
        Assert.Null(config.Find("a", "other"));
        Assert.NotNull(config.Find("a", "all"));
    }
}
