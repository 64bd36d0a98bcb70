namespace Gatehouse.Cli.Tests;

/// <summary><c>gatehouse remctl-check</c> and the remctl.conf part of <c>gatehouse gateway --check</c>, as processes.</summary>
public sealed class RemctlCheckTests
{
    [Fact]
    public async Task Remctl_check_exits_0_for_a_clean_file_1_with_one_line_per_finding_and_78_for_a_file_that_does_not_load()
    {
        using var cli = new CliProcess();
        string clean = Path.Combine(cli.Root, "clean.conf");
        File.WriteAllText(clean, "a ALL /bin/true ANYUSER\nb ALL /bin/true princ:alice@R\n");
        var ok = await cli.RunAsync("remctl-check", clean);
        Assert.Equal(0, ok.Exit);
        Assert.Equal($"{clean}: 2 command lines load and behave as in remctld\n", ok.Stdout);
        Assert.Equal("", ok.Stderr);

        string findings = Path.Combine(cli.Root, "findings.conf");
        File.WriteAllText(findings, "a ALL /bin/true bogus:x\nb ALL /bin/true ANYUSER\nc ALL /bin/true anyuser:maybe\n");
        var found = await cli.RunAsync("remctl-check", findings);
        Assert.Equal(1, found.Exit);
        string[] lines = found.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"{findings}:1: ACL entry 'bogus:x': invalid ACL scheme 'bogus'", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"{findings}:3: ACL entry 'anyuser:maybe': invalid ACL value 'anyuser:maybe'", lines[1], StringComparison.Ordinal);
        Assert.Equal($"{findings}: 3 command lines load; 2 findings above", lines[2]);

        string broken = Path.Combine(cli.Root, "broken.conf");
        File.WriteAllText(broken, "a ALL /bin/true ANYUSER\nb ALL\n");
        var bad = await cli.RunAsync("remctl-check", broken);
        Assert.Equal(78, bad.Exit);
        Assert.Equal($"gatehouse remctl-check: {broken}:2: parse error\ngatehouse remctl-check: the file does not load; the gateway would not start with it\n", bad.Stderr);
        Assert.Equal("", bad.Stdout);

        var missing = await cli.RunAsync("remctl-check", Path.Combine(cli.Root, "nosuch.conf"));
        Assert.Equal(78, missing.Exit);
        Assert.Contains("cannot open config file", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_check_lists_the_commands_file_findings_but_passes_and_fails_only_when_the_file_does_not_load()
    {
        using var cli = new CliProcess();
        string commands = Path.Combine(cli.Root, "remctl.conf");
        File.WriteAllText(commands, "a ALL /bin/true bogus:x\n");
        var warned = await cli.RunAsync("gateway", "--commands", commands, "--check");
        Assert.Equal(0, warned.Exit);
        Assert.StartsWith($"{commands}:1: ACL entry 'bogus:x': invalid ACL scheme 'bogus'", warned.Stdout, StringComparison.Ordinal);
        Assert.Contains($"gatehouse gateway: {commands}: 1 command lines, 1 findings (see gatehouse remctl-check)\n", warned.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("gatehouse gateway: configuration is valid\n", warned.Stdout, StringComparison.Ordinal);

        File.WriteAllText(commands, "a ALL /bin/true gput:x\n");
        var refused = await cli.RunAsync("gateway", "--commands", commands, "--check");
        Assert.Equal(78, refused.Exit);
        Assert.Equal($"gatehouse gateway: {commands}:1: ACL scheme 'gput' is not supported\n", refused.Stderr);
    }
}
