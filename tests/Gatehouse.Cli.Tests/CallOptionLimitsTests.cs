using Gatehouse.Transport.Security;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// `gatehouse call` values outside the client library's limits give one clear line and the usage
/// exit status, never the library's exception and its stack trace; for one node and with -w alike.
/// </summary>
public class CallOptionLimitsTests
{
    [Theory]
    [InlineData("--retries", "101", "--retries must be 0..100")]
    [InlineData("--retries", "-1", "--retries must be 0..100")]
    [InlineData("--connect-timeout", "0", "--connect-timeout must be more than 0")]
    [InlineData("--connect-timeout", "100000", "--connect-timeout must be more than 0")]
    [InlineData("--deadline", "0", "--deadline must be more than 0")]
    [InlineData("--deadline", "-3", "--deadline must be more than 0")]
    public async Task Out_of_range_values_print_one_line_naming_the_option(string option, string value, string expected)
    {
        using var cli = new CliProcess();
        using var me = PeerIdentity.LoadOrCreate(cli.ConfigDir, "tester", out _);
        string fp = me.Fingerprint.ToString();
        foreach (var args in new[]
        {
            new[] { "call", option, value, "--fingerprint", fp, "127.0.0.1:1", "version" },
            new[] { "call", "-w", "127.0.0.1:1", option, value, "--fingerprint", fp, "version" },
        })
        {
            var run = await cli.RunAsync(args);
            Assert.True(run.Exit == 64, $"exit {run.Exit}: {run.Stderr}");
            Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", run.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        }
    }
}
