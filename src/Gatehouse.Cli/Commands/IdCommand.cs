using System.CommandLine;

namespace Gatehouse.Cli.Commands;

/// <summary><c>gatehouse id</c>: prints this user's fingerprint (the identity is made on first use).</summary>
internal static class IdCommand
{
    public static Command Create()
    {
        var configDir = CommonOptions.ConfigDir();
        var command = new Command("id", "Print your identity's fingerprint (made on first use), to authorize it on a gateway") { configDir };
        command.SetAction(parse =>
        {
            using var identity = CliPaths.LoadIdentity(parse.GetValue(configDir));
            Console.WriteLine(identity.Fingerprint);
            return 0;
        });
        return command;
    }
}
