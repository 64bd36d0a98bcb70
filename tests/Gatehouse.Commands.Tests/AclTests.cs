using Gatehouse.Commands.Acl;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands.Tests;

public sealed class AclTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly AclContext context;

    public AclTests()
    {
        string group = dir.File("group", "root:x:0:\nwheel:x:10:carol,dave\nstaff:x:50:\nempty:x:60:\n");
        string passwd = dir.File("passwd", "root:x:0:0:root:/root:/bin/sh\ncarol:x:1001:1001::/home/carol:/bin/sh\ndave:x:1002:1002::/:/bin/sh\nerin:x:1003:50::/:/bin/sh\n");
        context = new AclContext { GroupFile = group, PasswdFile = passwd };
    }

    public void Dispose() => dir.Dispose();

    private AclDecision Check(string principal, params string[] acls) => Check(new AclSubject(principal, false), acls);

    private AclDecision Check(AclSubject subject, params string[] acls)
    {
        var entries = acls.Select(a => AclParser.Parse(a, AclMethod.File)).ToList();
        return new AclEvaluator(context).Check(entries, subject, new SourceLocation(Path.Combine(dir.Path, "remctl.conf"), 7));
    }

    private bool Allowed(string principal, params string[] acls) => Check(principal, acls).Allowed;

    [Fact]
    public void Princ_matches_exactly()
    {
        Assert.True(Allowed("alice@EXAMPLE.ORG", "princ:alice@EXAMPLE.ORG"));
        Assert.False(Allowed("alice@example.org", "princ:alice@EXAMPLE.ORG"));
        Assert.False(Allowed("alice@EXAMPLE.ORGX", "princ:alice@EXAMPLE.ORG"));
    }

    [Fact]
    public void No_match_denies()
    {
        AclDecision d = Check("bob@EXAMPLE.ORG", "princ:alice@EXAMPLE.ORG");
        Assert.False(d.Allowed);
        Assert.Null(d.Error);
    }

    [Fact]
    public void Anyuser_auth_and_legacy_ANYUSER_refuse_anonymous()
    {
        foreach (string acl in new[] { "anyuser:auth", "ANYUSER" })
        {
            Assert.True(Allowed("x@FOREIGN.REALM", acl));
            Assert.False(Check(new AclSubject("someone", true), acl).Allowed);
            Assert.False(Check(new AclSubject("WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS", false), acl).Allowed);
        }

        // Without a colon "anyuser" is just data for the default method (here princ).
        Assert.IsType<AclEntry.PrincipalAcl>(AclParser.Parse("anyuser", AclMethod.Princ));
    }

    [Fact]
    public void Anyuser_anonymous_allows_everyone()
    {
        Assert.True(Check(new AclSubject("WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS", true), "anyuser:anonymous").Allowed);
        Assert.True(Allowed("bob@EXAMPLE.ORG", "anyuser:anonymous"));
    }

    [Fact]
    public void Entries_are_tried_in_order_first_match_grants()
    {
        Assert.True(Allowed("bob@R", "princ:alice@R", "princ:bob@R"));
        // A deny after a grant is never reached.
        Assert.True(Allowed("bob@R", "princ:bob@R", "deny:bob@R"));
        // A deny before a grant wins.
        Assert.False(Allowed("bob@R", "deny:bob@R", "princ:bob@R"));
        Assert.False(Allowed("bob@R", "deny:princ:bob@R", "ANYUSER"));
    }

    [Fact]
    public void Deny_nested_up_to_the_limit_parses_and_one_level_more_is_a_syntax_error()
    {
        string Nested(int depth) => string.Concat(Enumerable.Repeat("deny:", depth)) + "bob@R";

        var entry = AclParser.Parse(Nested(AclParser.MaxDenyDepth), AclMethod.File);
        for (int i = 0; i < AclParser.MaxDenyDepth; i++)
        {
            entry = Assert.IsType<AclEntry.DenyAcl>(entry).Inner;
        }

        Assert.IsType<AclEntry.PrincipalAcl>(entry);
        var e = Assert.Throws<AclSyntaxException>(() => AclParser.Parse(Nested(AclParser.MaxDenyDepth + 1), AclMethod.File));
        Assert.Contains("nested deeper", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_deny_chain_is_refused_without_quadratic_allocation()
    {
        // Found with the remctl-acl fuzz target's allocation budget: 20,000 nested deny: (100 KB) used to allocate 2 GB,
        // because every level kept its own copy of the rest of the entry.
        string chain = string.Concat(Enumerable.Repeat("deny:", 20_000)) + "x";
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<AclSyntaxException>(() => AclParser.Parse(chain, AclMethod.Princ));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64L * chain.Length, $"allocated {allocated} bytes for a {chain.Length}-character entry");
    }

    [Fact]
    public void Deny_never_grants_and_deny_deny_does_nothing()
    {
        Assert.False(Allowed("bob@R", "deny:alice@R"));
        Assert.True(Allowed("alice@R", "deny:bob@R", "ANYUSER"));
        Assert.True(Allowed("bob@R", "deny:deny:bob@R", "ANYUSER"));
        Assert.False(Allowed("bob@R", "deny:deny:bob@R"));
    }

    [Fact]
    public void Deny_wraps_every_method()
    {
        Assert.False(Allowed("carol@R", "deny:localgroup:wheel", "ANYUSER"));
        Assert.False(Allowed("host/a@R", "deny:regex:^host/", "ANYUSER"));
        Assert.False(Allowed("x@R", "deny:anyuser:auth", "ANYUSER"));
        string file = dir.File("denied", "bob@R\n");
        Assert.False(Allowed("bob@R", $"deny:file:{file}", "ANYUSER"));
        Assert.True(Allowed("alice@R", $"deny:file:{file}", "ANYUSER"));
    }

    [Fact]
    public void File_acl_uses_princ_by_default_with_comments_blank_lines_and_methods()
    {
        string file = dir.File("acl", "# This is a comment.\n\n   alice@R   \nprinc:bob@R\nregex:^svc/.*@R$\n");
        Assert.True(Allowed("alice@R", file));
        Assert.True(Allowed("bob@R", $"file:{file}"));
        Assert.True(Allowed("svc/web@R", file));
        Assert.False(Allowed("carol@R", file));
    }

    [Fact]
    public void Man_page_example_acl_file()
    {
        string admins = dir.File("admins", "admin@EXAMPLE.ORG\n");
        string file = dir.File("example", $"# This is a comment.\ndeny:baduser@EXAMPLE.ORG\nfile:{admins}\nprinc:service/admin@EXAMPLE.ORG\nservice/other@EXAMPLE.ORG\n");
        Assert.False(Allowed("baduser@EXAMPLE.ORG", file, "ANYUSER"));
        Assert.True(Allowed("admin@EXAMPLE.ORG", file));
        Assert.True(Allowed("service/admin@EXAMPLE.ORG", file));
        Assert.True(Allowed("service/other@EXAMPLE.ORG", file));
        Assert.False(Allowed("nobody@EXAMPLE.ORG", file));
    }

    [Fact]
    public void Include_in_acl_file_defaults_to_file_and_accepts_a_method()
    {
        string inner = dir.File("inner", "carol@R\n");
        string file = dir.File("outer", $"include {inner}\ninclude princ:dave@R\n");
        Assert.True(Allowed("carol@R", file));
        Assert.True(Allowed("dave@R", file));
        Assert.False(Allowed("erin@R", file));
    }

    [Fact]
    public void Deny_inside_an_acl_file_stops_processing()
    {
        string file = dir.File("f", "deny:bob@R\nbob@R\n");
        Assert.False(Allowed("bob@R", file, "ANYUSER"));
    }

    [Fact]
    public void File_acl_directory_includes_valid_names_and_a_deny_in_any_file_wins()
    {
        string d = dir.Sub("acl.d");
        dir.File("acl.d/a-grants", "bob@R\n");
        dir.File("acl.d/z_denies", "deny:bob@R\n");
        dir.File("acl.d/skipped.txt", "carol@R\n");
        dir.File("acl.d/other", "dave@R\n");
        // remctld checks every file of a directory: a later file's deny overrides an earlier grant.
        Assert.False(Allowed("bob@R", d, "ANYUSER"));
        Assert.True(Allowed("dave@R", d));
        Assert.False(Allowed("carol@R", d));
    }

    [Fact]
    public void Missing_acl_file_denies_with_an_error()
    {
        AclDecision d = Check("bob@R", "/nonexistent/acl", "ANYUSER");
        Assert.False(d.Allowed);
        Assert.Equal($"{Path.Combine(dir.Path, "remctl.conf")}:7: included file /nonexistent/acl not found", d.Error);
    }

    [Fact]
    public void Bad_entry_inside_acl_file_denies_and_names_its_line()
    {
        string file = dir.File("bad", "alice@R\ngput:role\nbob@R\n");
        Assert.True(Allowed("alice@R", file));
        AclDecision d = Check("bob@R", file, "ANYUSER");
        Assert.False(d.Allowed);
        Assert.Equal($"{file}:2: ACL scheme 'gput' is not supported", d.Error);

        string unknown = dir.File("unknown", "gput:role\n");
        Assert.Equal($"{unknown}:1: ACL scheme 'gput' is not supported", Check("x@R", unknown, "ANYUSER").Error);
        string syntax = dir.File("syntax", "alice@R bob@R\n");
        Assert.Equal($"{syntax}:1: parse error", Check("x@R", syntax, "ANYUSER").Error);
        string scheme = dir.File("scheme", "principal:x@R\n");
        Assert.Equal($"{scheme}:1: invalid ACL scheme 'principal'", Check("x@R", scheme, "ANYUSER").Error);
    }

    [Theory]
    [InlineData("pcre:^bob@", "bob@R", true)]
    [InlineData("pcre:^bob@", "alice@R", false)]
    [InlineData("pcre:(?i)^BOB@r$", "bob@R", true)] // inline options
    [InlineData("pcre:^(?!root)\\w+@R$", "alice@R", true)] // negative look-ahead
    [InlineData("pcre:^(?!root)\\w+@R$", "root@R", false)]
    [InlineData("pcre:admin", "sysadmin@R", true)] // unanchored, as pcre_exec
    [InlineData("pcre:^a\\d+?x", "a12x@R", true)] // lazy quantifier and \d
    public void Pcre_entries_match_with_perl_syntax_unanchored(string acl, string principal, bool allowed)
    {
        Assert.Equal(allowed, Allowed(principal, acl));
    }

    [Fact]
    public void Recursive_acl_file_is_an_error()
    {
        string self = Path.Combine(dir.Path, "self");
        dir.File("self", $"include {self}\n");
        AclDecision d = Check("x@R", self, "ANYUSER");
        Assert.False(d.Allowed);
        Assert.Equal($"{self}:1: {self} recursively included", d.Error);
    }

    [Fact]
    public void Acl_files_are_read_at_check_time()
    {
        string file = dir.File("live", "alice@R\n");
        var entries = new List<AclEntry> { AclParser.Parse(file, AclMethod.File) };
        var evaluator = new AclEvaluator(context);
        Assert.False(evaluator.Check(entries, new AclSubject("bob@R", false), new SourceLocation("t", 1)).Allowed);
        File.WriteAllText(file, "bob@R\n");
        Assert.True(evaluator.Check(entries, new AclSubject("bob@R", false), new SourceLocation("t", 1)).Allowed);
    }

    [Fact]
    public void Regex_is_unanchored_posix_extended()
    {
        Assert.True(Allowed("host/web1@EXAMPLE.ORG", "regex:^host/web[0-9]+@EXAMPLE\\.ORG$"));
        Assert.False(Allowed("host/webX@EXAMPLE.ORG", "regex:^host/web[0-9]+@EXAMPLE\\.ORG$"));
        Assert.True(Allowed("xx-admin-yy", "regex:admin"));
        Assert.True(Allowed("a|b", "regex:^a[|]b$"));
        Assert.True(Allowed("ab", "regex:^(a|x)(b|y)$"));
        Assert.True(Allowed("alice@R", "regex:^[[:alpha:]]+@[[:upper:]]$"));
        Assert.False(Allowed("al1ce@R", "regex:^[[:alpha:]]+@[[:upper:]]$"));
        // POSIX $ is the very end: .NET's $ would also match before a final newline.
        Assert.False(Allowed("alice\n", "regex:^alice$"));
        // Backslash is literal inside a POSIX bracket expression.
        Assert.True(Allowed("a\\b", "regex:^a[\\]b$"));
        Assert.False(Allowed("a]b", "regex:^a[\\]b$"));
    }

    [Fact]
    public void Localgroup_uses_supplementary_members_and_primary_group()
    {
        Assert.True(Allowed("carol@EXAMPLE.ORG", "localgroup:wheel"));
        Assert.True(Allowed("dave@OTHER.ORG", "localgroup:wheel"));
        Assert.True(Allowed("erin@EXAMPLE.ORG", "localgroup:staff")); // primary group from passwd
        Assert.False(Allowed("erin@EXAMPLE.ORG", "localgroup:wheel"));
        Assert.False(Allowed("carol@EXAMPLE.ORG", "localgroup:nosuchgroup"));
        Assert.False(Allowed("ghost@EXAMPLE.ORG", "localgroup:empty")); // not a local user
        Assert.False(Allowed("carol/admin@EXAMPLE.ORG", "localgroup:wheel")); // two components: no local name
    }

    [Fact]
    public void Localgroup_honours_local_realms()
    {
        var restricted = new AclEvaluator(context with { LocalRealms = new HashSet<string> { "EXAMPLE.ORG" } });
        var entries = new List<AclEntry> { AclParser.Parse("localgroup:wheel", AclMethod.File) };
        Assert.True(restricted.Check(entries, new AclSubject("carol@EXAMPLE.ORG", false), new SourceLocation("t", 1)).Allowed);
        Assert.False(restricted.Check(entries, new AclSubject("carol@EVIL.ORG", false), new SourceLocation("t", 1)).Allowed);
        Assert.False(restricted.Check(entries, new AclSubject("carol", false), new SourceLocation("t", 1)).Allowed);
    }

    [Fact]
    public void Unreadable_group_file_denies_with_an_error()
    {
        var broken = new AclEvaluator(context with { GroupFile = "/nonexistent/group" });
        var entries = new List<AclEntry> { AclParser.Parse("localgroup:wheel", AclMethod.File), AclParser.Parse("ANYUSER", AclMethod.File) };
        AclDecision d = broken.Check(entries, new AclSubject("carol@R", false), new SourceLocation("t", 4));
        Assert.False(d.Allowed);
        Assert.StartsWith("t:4: retrieving membership of localgroup wheel failed", d.Error);
    }

    [Theory]
    [InlineData("alice@EXAMPLE.ORG", "alice")]
    [InlineData("alice", "alice")]
    [InlineData("host/x@EXAMPLE.ORG", null)]
    [InlineData("@EXAMPLE.ORG", null)]
    public void Principal_mapping(string principal, string? local)
    {
        Assert.Equal(local, PrincipalMapping.ToLocalName(principal, null));
    }
}
