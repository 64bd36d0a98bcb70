using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Gatehouse.Fuzz.Tests;

/// <summary>
/// Runs fuzz/run.sh for real (publish, SharpFuzz instrumentation, afl-fuzz) for a short time per
/// target: GATEHOUSE_FUZZ_SECONDS, default 10. One class, so the runs take one core in turn.
/// Needs afl-fuzz (test.sh installs Debian's afl++).
/// </summary>
public sealed class AflRunTests
{
    public static TheoryData<string> Targets() => Repository.Targets();

    private static int Seconds =>
        int.TryParse(Environment.GetEnvironmentVariable("GATEHOUSE_FUZZ_SECONDS"), out int s) && s > 0 ? s : 10;

    [Theory]
    [MemberData(nameof(Targets))]
    public void A_short_afl_run_executes_inputs_and_finds_no_crash(string name)
    {
        var (exit, output) = RunScript(name, Seconds);
        var line = Summary(output, name);

        Assert.True(line.Success, $"no summary line for {name} in:\n{output}");
        Assert.True(long.Parse(line.Groups["execs"].Value) > 0, output);
        Assert.Equal("0", line.Groups["crashes"].Value);
        Assert.Equal("0", line.Groups["hangs"].Value);
        Assert.True(exit == 0, $"run.sh exited {exit}:\n{output}");
    }

    [Fact]
    public void A_short_afl_run_of_the_canary_finds_its_planted_crash_and_fails()
    {
        var (exit, output) = RunScript("canary", Seconds);
        var line = Summary(output, "canary");

        Assert.True(line.Success, $"no summary line in:\n{output}");
        Assert.True(int.Parse(line.Groups["crashes"].Value) >= 1, output);
        Assert.Equal(1, exit);
    }

    private static Match Summary(string output, string name) =>
        Regex.Match(output, $@"^{Regex.Escape(name)}: (?<execs>\d+) executions, \d+ exec/s, (?<crashes>\d+) crashes, (?<hangs>\d+) hangs", RegexOptions.Multiline);

    private static (int Exit, string Output) RunScript(string target, int seconds)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(Repository.Root, "fuzz", "run.sh"), target, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
        };
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        // Publishing on a cold machine takes a few minutes; afl then runs for the given seconds.
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"run.sh {target} did not finish in 10 minutes");
        }

        return (process.ExitCode, stdout + stderr.Result);
    }
}
