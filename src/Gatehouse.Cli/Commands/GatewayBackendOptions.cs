using System.CommandLine;
using Gatehouse.Gateway;

namespace Gatehouse.Cli.Commands;

/// <summary>Gateway options that add command backends (remctl.conf commands, the remctl port).</summary>
internal static class GatewayBackendOptions
{
    public static void AddTo(Command command)
    {
    }

    /// <summary>Returns the runtime configuration step for the chosen backends, or an error.</summary>
    public static Action<GatewayRuntime>? Configure(ParseResult parse, out string? error)
    {
        error = null;
        return null;
    }
}
