using System.CommandLine;

namespace Gatehouse.Cli.Commands;

/// <summary>The clush-style options of <c>call</c>: a node set, gathering, groups, fan-out width.</summary>
internal static class FanoutOptions
{
    public static readonly Option<string?> Nodes = new("--nodes", "-w") { Description = "Call every node of this node set, e.g. 'gw[1-20],other:7341' or '@group'" };
    public static readonly Option<bool> Gather = new("--gather", "-b") { Description = "Gather output at the end; identical outputs are merged under a folded node set" };
    public static readonly Option<string?> Groups = new("--groups") { Description = "Groups file for @group names (default: groups in your config directory)" };
    public static readonly Option<int> Fanout = new("--fanout") { Description = "Most nodes contacted at once", DefaultValueFactory = _ => 64 };

    public static void AddTo(Command command)
    {
        command.Options.Add(Nodes);
        command.Options.Add(Gather);
        command.Options.Add(Groups);
        command.Options.Add(Fanout);
    }

    public static bool IsFanout(ParseResult parse) => parse.GetValue(Nodes) is not null;
}
