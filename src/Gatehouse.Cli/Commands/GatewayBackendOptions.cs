using System.CommandLine;

namespace Gatehouse.Cli.Commands;

/// <summary>Gateway options that add command backends: remctl.conf commands and the remctl (Kerberos) port.</summary>
internal static class GatewayBackendOptions
{
    private static readonly Option<string?> Commands = new("--commands") { Description = "A remctl.conf whose commands (exec, type=zeromq) are served in the default domain" };
    private static readonly Option<string?> RemctlListen = new("--remctl-listen") { Description = "Serve stock remctl clients (Kerberos) on ADDR:PORT, e.g. '*:4373'; off by default" };
    private static readonly Option<string?> Keytab = new("--keytab") { Description = "Keytab for the remctl port (default: the Kerberos default, /etc/krb5.keytab)" };
    private static readonly Option<string?> RemctlPrincipal = new("--remctl-principal") { Description = "Acceptor principal for the remctl port (default: any in the keytab)" };
    private static readonly Option<string?> RemctlServiceAcl = new("--remctl-service-acl") { Description = "remctl ACL for reaching registered services over the remctl port (default anyuser:auth)" };

    public static void AddTo(Command command)
    {
        command.Options.Add(Commands);
        command.Options.Add(RemctlListen);
        command.Options.Add(Keytab);
        command.Options.Add(RemctlPrincipal);
        command.Options.Add(RemctlServiceAcl);
    }

    /// <summary>The configuration keys the backend flags given set (they override the file and the environment).</summary>
    public static IEnumerable<FlagValue> Flags(ParseResult parse)
    {
        foreach (var (option, key) in new[] { (Commands, "CommandsFile"), (RemctlListen, "RemctlListen"), (Keytab, "RemctlKeytab"), (RemctlPrincipal, "RemctlPrincipal"), (RemctlServiceAcl, "RemctlServiceAcl") })
        {
            if (parse.GetValue(option) is { } value)
            {
                yield return new FlagValue(key, value, option.Name);
            }
        }
    }
}
