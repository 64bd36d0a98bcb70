using System.Diagnostics;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// <c>gatehouse completion bash|zsh</c>: scripts generated from the command definitions, run in
/// the real shells (bash's completion function called as bash calls it; zsh's with the completion
/// builtins replaced by ones that print what they were given).
/// </summary>
public sealed class CompletionCliTests : IDisposable
{
    private readonly CliProcess _cli = new();

    public void Dispose() => _cli.Dispose();

    private async Task<string> ScriptAsync(string shell)
    {
        var run = await _cli.RunAsync("completion", shell);
        Assert.True(run.Exit == 0, run.Stderr);
        string path = Path.Combine(_cli.Root, "completion." + shell);
        File.WriteAllText(path, run.Stdout);
        return path;
    }

    private async Task<string> ShellAsync(string shell, string script)
    {
        var psi = _cli.StartInfo(shell, ["-c", script]);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(p.ExitCode == 0, $"{shell} exited {p.ExitCode}: {await stderr}");
        return await stdout;
    }

    private async Task<string[]> BashCompleteAsync(string script, params string[] words)
    {
        string quoted = string.Join(' ', words.Select(w => "'" + w + "'"));
        string output = await ShellAsync("bash", $"source '{script}'; COMP_WORDS=({quoted}); COMP_CWORD={words.Length - 1}; _gatehouse; printf '%s\\n' \"${{COMPREPLY[@]}}\"");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task Bash_completes_subcommands_options_and_group_names()
    {
        string script = await ScriptAsync("bash");
        Directory.CreateDirectory(_cli.ConfigDir);
        File.WriteAllText(Path.Combine(_cli.ConfigDir, "groups"), "web: w[1-3]\nworkers: n[1-9]\n");
        Assert.Equal(["call", "console", "completion"], await BashCompleteAsync(script, "gatehouse", "c"));
        Assert.Equal(["--gather", "--gather-all", "--gather-limit"], await BashCompleteAsync(script, "gatehouse", "call", "--ga"));
        Assert.Contains("--maxrc", await BashCompleteAsync(script, "gatehouse", "remctl", "--"));
        Assert.Equal(["@web", "@workers"], await BashCompleteAsync(script, "gatehouse", "call", "-w", "@w"));
        Assert.Equal(["web"], await BashCompleteAsync(script, "gatehouse", "call", "-X", "we"));
        Assert.Equal(["bash"], await BashCompleteAsync(script, "gatehouse", "completion", "b"));
        Assert.Superset(new HashSet<string> { "bash", "zsh" }, (await BashCompleteAsync(script, "gatehouse", "completion", "")).ToHashSet());
        Assert.Empty(await BashCompleteAsync(script, "gatehouse", "call", "--deadline", ""));
    }

    [Fact]
    public async Task Zsh_script_is_valid_and_describes_every_option_of_a_subcommand()
    {
        string script = await ScriptAsync("zsh");
        await ShellAsync("zsh", $"zsh -n '{script}'");
        string stubs = "_arguments() { print -rl -- \"$@\" }; _describe() { print -rl -- \"${(@P)2}\" }; compadd() { print -rl -- \"$@\" };";
        string top = await ShellAsync("zsh", $"{stubs} words=(gatehouse ''); CURRENT=2; source '{script}'");
        Assert.Contains("call:Run a command through a gateway, on one node or (with -w) on many", top.Split('\n'));
        string call = await ShellAsync("zsh", $"{stubs} words=(gatehouse call -); CURRENT=3; source '{script}'");
        var specs = call.Split('\n');
        Assert.Contains(specs, s => s.StartsWith("-b[At the end, gather standard output", StringComparison.Ordinal));
        Assert.Contains("*-w[Call every node of this node set, e.g. 'gw\\[1-20\\]', 'gw\\[1-3\\]\\:7341', '@group', or '@cluster' with --via GATEWAY (repeatable)]:NODESET:_gatehouse_nodesets", specs);
        Assert.Contains(specs, s => s.StartsWith("--outdir[", StringComparison.Ordinal) && s.EndsWith(":DIR:_files", StringComparison.Ordinal));
    }
}
