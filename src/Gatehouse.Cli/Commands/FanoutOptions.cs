using System.CommandLine;

namespace Gatehouse.Cli.Commands;

/// <summary>The clush-style options of <c>call</c>: a node set, gathering, groups, fan-out width.</summary>
internal static class FanoutOptions
{
    public static readonly Option<string?> Nodes = new("--nodes", "-w") { Description = "Call every node of this node set, e.g. 'gw[1-20],other:7341', '@group', or '@cluster' with --via GATEWAY" };
    public static readonly Option<bool> Gather = new("--gather", "-b") { Description = "Gather output at the end; identical outputs are merged under a folded node set" };
    public static readonly Option<string?> Groups = new("--groups") { Description = "Groups file for @group names (default: groups in your config directory)" };
    public static readonly Option<int> Fanout = new("--fanout") { Description = "Most nodes contacted at once", DefaultValueFactory = _ => 64 };
    public static readonly Option<string?> Via = new("--via") { Description = "For @cluster: the gateway (HOST[:PORT]) whose member list it expands to (needs the admin role there)" };

    public static void AddTo(Command command)
    {
        command.Options.Add(Nodes);
        command.Options.Add(Gather);
        command.Options.Add(Groups);
        command.Options.Add(Fanout);
        command.Options.Add(Via);
    }

    public static bool IsFanout(ParseResult parse) => parse.GetValue(Nodes) is not null;
}
