using System.CommandLine;
using Gatehouse.Commands.Configuration;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse remctl-check [FILE]</c>: the remctl migration check. Loads a remctl.conf exactly as
/// the gateway would and prints, one <c>FILE:LINE: ...</c> line each, everything remctld would treat
/// differently and every entry that will deny when checked (docs/remctl-migration.md). Exit 0 when
/// nothing is found, 1 when something is, 78 when the file does not load.
/// </summary>
internal static class RemctlCheckCommand
{
    /// <summary>The exit status when findings were printed.</summary>
    public const int Findings = 1;

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The remctl.conf to check (default /etc/remctl/remctl.conf)", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "/etc/remctl/remctl.conf" };
        var command = new Command("remctl-check", "Check a remctl.conf before serving it: list every line remctld would treat differently or that will deny") { file };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            MigrationReport report = MigrationCheck.Run(path);
            if (report.LoadError is { } error)
            {
                Console.Error.WriteLine($"gatehouse remctl-check: {error}");
                Console.Error.WriteLine("gatehouse remctl-check: the file does not load; the gateway would not start with it");
                return ExitCodes.LocalConfig;
            }

            Print(report, Console.Out);
            Console.Out.WriteLine(report.Findings.Count == 0
                ? $"{path}: {Lines(report.LineCount)} load and behave as in remctld"
                : $"{path}: {Lines(report.LineCount)} load; {report.Findings.Count} finding{(report.Findings.Count == 1 ? "" : "s")} above");
            return report.Findings.Count == 0 ? 0 : Findings;
        });
        return command;
    }

    private static string Lines(int count) => count == 1 ? "1 command line" : $"{count} command lines";

    /// <summary>Writes one line per finding.</summary>
    public static void Print(MigrationReport report, TextWriter writer)
    {
        foreach (MigrationFinding finding in report.Findings)
        {
            writer.WriteLine(finding.ToString());
        }
    }
}
