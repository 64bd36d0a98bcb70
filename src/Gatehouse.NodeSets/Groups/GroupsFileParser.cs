namespace Gatehouse.NodeSets;

/// <summary>One <c>name: expression</c> line of a groups file.</summary>
internal sealed record GroupDefinition(string Name, string Expression, int Line);

/// <summary>Splits groups-file text into definitions; expressions are not evaluated here.</summary>
internal static class GroupsFileParser
{
    public static Dictionary<string, GroupDefinition> Parse(string text, string source)
    {
        var definitions = new Dictionary<string, GroupDefinition>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (ReadOnlySpan<char> rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            ReadOnlySpan<char> line = rawLine;
            int comment = line.IndexOf('#');
            if (comment >= 0)
            {
                line = line[..comment];
            }

            line = line.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            int colon = line.IndexOf(':');
            if (colon < 0)
            {
                throw new NodeGroupsFormatException(source, lineNumber, "expected \"name: nodes\"");
            }

            string name = line[..colon].Trim().ToString();
            if (name.Length == 0 || !name.All(NodeSetParser.IsGroupNameChar))
            {
                throw new NodeGroupsFormatException(source, lineNumber, $"invalid group name \"{name}\" (use letters, digits, '_', '-' and '.')");
            }

            if (definitions.TryGetValue(name, out GroupDefinition? previous))
            {
                throw new NodeGroupsFormatException(source, lineNumber, $"group \"{name}\" is already defined on line {previous.Line}");
            }

            definitions.Add(name, new GroupDefinition(name, line[(colon + 1)..].Trim().ToString(), lineNumber));
        }

        return definitions;
    }
}
