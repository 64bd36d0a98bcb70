using System.CommandLine;
using Gatehouse.Gateway;

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

    /// <summary>The gateway options with the chosen backends.</summary>
    public static GatewayOptions Apply(ParseResult parse, GatewayOptions options) => options with
    {
        CommandsFile = parse.GetValue(Commands) is { } c ? Path.GetFullPath(c) : null,
        RemctlListen = parse.GetValue(RemctlListen) is { } r ? GatewayCommand.ListenAddress(r) : null,
        RemctlKeytab = parse.GetValue(Keytab) is { } k ? Path.GetFullPath(k) : null,
        RemctlPrincipal = parse.GetValue(RemctlPrincipal),
        RemctlServiceAcl = parse.GetValue(RemctlServiceAcl) ?? options.RemctlServiceAcl,
    };
}
