namespace Gatehouse.WebConsole.Runs;

/// <summary>What the Run page posts: a node set, a command in a domain, its arguments (argv, never a shell line), optional stdin text.</summary>
internal sealed record RunRequest(string? Nodes, string? Domain, string? Command, IReadOnlyList<string>? Args, string? Stdin);
