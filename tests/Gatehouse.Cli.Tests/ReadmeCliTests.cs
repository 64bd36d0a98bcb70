using System.Text.RegularExpressions;

namespace Gatehouse.Cli.Tests;

/// <summary>The README's walkthrough commands work as written (issue 19: they did not).</summary>
public sealed class ReadmeCliTests : IDisposable
{
    private readonly CliProcess _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string Readme => File.ReadAllText(Path.Combine(CliProcess.RepoRoot, "README.md"));

    /// <summary>The shell block after "Build the command once".</summary>
    private static string[] BuildBlock()
    {
        string readme = Readme;
        int from = readme.IndexOf("Build the command once", StringComparison.Ordinal);
        var block = Regex.Match(readme[from..], "```sh\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        return block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Every_dotnet_build_line_names_one_project()
    {
        // Seen: "dotnet build src/Gatehouse.Cli samples/Gatehouse.Samples.Demo" fails (MSB1008: one project per build).
        var builds = BuildBlock().Where(l => l.StartsWith("dotnet build", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, builds.Count);
        foreach (string line in builds)
        {
            string[] words = line.Split('#')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, words.Length);
            Assert.True(Directory.Exists(Path.Combine(CliProcess.RepoRoot, words[2])), line);
        }
    }

    [Fact]
    public async Task The_alias_works_from_any_directory()
    {
        // Seen: the alias worked only from the repository root.
        string alias = BuildBlock().Single(l => l.StartsWith("alias gatehouse=", StringComparison.Ordinal)).Split("   #")[0];
        string elsewhere = Directory.CreateDirectory(Path.Combine(_cli.Root, "elsewhere")).FullName;
        var psi = _cli.StartInfo("bash", ["-c", $"shopt -s expand_aliases\ncd '{CliProcess.RepoRoot}'\n{alias}\ncd '{elsewhere}'\ngatehouse id\n"]);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(p.ExitCode == 0, await stderr);
        Assert.Matches("^SHA256:[A-Za-z0-9+/]{43}\n$", await stdout);
    }

    [Fact]
    public async Task The_sample_banner_is_the_real_one()
    {
        // Seen: the sample banner differed from the real one.
        string readme = Readme;
        int from = readme.IndexOf("   gatehouse gateway\n", StringComparison.Ordinal);
        var sample = readme[(from + "   gatehouse gateway\n".Length)..].Split('\n').TakeWhile(l => l.StartsWith("   # ", StringComparison.Ordinal)).Select(l => l["   # ".Length..]).ToList();
        Assert.True(sample.Count >= 6, "no banner sample found");

        _cli.StateDir = Path.Combine(_cli.Root, "gatehouse"); // named like the README's state directory
        int port = CliProcess.FreePort();
        var (gateway, output) = await _cli.StartAsync(_cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{port}"]), l => l.StartsWith("  gatehouse authorize", StringComparison.Ordinal));
        List<string> real;
        lock (output)
        {
            // The banner, without the log lines that may come between its lines (they start with a time).
            real = [.. output.ToString().Replace("\r", "", StringComparison.Ordinal).Split('\n').Where(l => l.Length > 0 && !Regex.IsMatch(l, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"))];
        }

        CliProcess.Stop(gateway);
        Assert.Equal(sample.Select(Shape), real.Take(sample.Count).Select(Shape));
    }

    /// <summary>The line with what differs between machines replaced: fingerprints, addresses, directories.</summary>
    private static string Shape(string line)
    {
        line = Regex.Replace(line, "SHA256:[A-Za-z0-9+/]{43}", "FP");
        line = Regex.Replace(line, @"(\[::\]|\d+\.\d+\.\d+\.\d+):\d+", "ADDR");
        return Regex.Replace(line, @"(/[^\s/]+)+/", "/.../");
    }
}
