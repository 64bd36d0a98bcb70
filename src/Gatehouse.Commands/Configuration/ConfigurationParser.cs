using System.Collections.Immutable;
using Gatehouse.Commands.Acl;

namespace Gatehouse.Commands.Configuration;

/// <summary>
/// Parses remctl.conf text into command lines and include directives. Pure: it reads no files and
/// resolves no includes (<see cref="ConfigurationLoader"/> does that).
/// </summary>
internal static class ConfigurationParser
{

    /// <summary>Parses <paramref name="text"/>, read from <paramref name="fileName"/> (used in messages and in each line's source).</summary>
    /// <returns>The entries in file order.</returns>
    /// <exception cref="ConfigurationException">A line is malformed; the message names the file and line.</exception>
    public static List<ConfigurationEntry> Parse(string text, string fileName)
    {
        var entries = new List<ConfigurationEntry>();
        foreach (LogicalLine logical in LogicalLineReader.Read(text, fileName))
        {
            var where = new SourceLocation(fileName, logical.LineNumber);
            string[] fields = LogicalLineReader.SplitFields(logical.Text);
            if (fields.Length == 2 && fields[0] == "include")
            {
                entries.Add(new ConfigurationEntry.Include(fields[1], where));
                continue;
            }

            if (fields.Length < 4)
            {
                throw new ConfigurationException(fileName, logical.LineNumber, "parse error");
            }

            entries.Add(new ConfigurationEntry.Command(ParseCommand(fields, where)));
        }

        return entries;
    }

    private static CommandLine ParseCommand(string[] fields, SourceLocation where)
    {
        CommandOptions options = CommandOptions.Default;
        int index = 3;
        for (; index < fields.Length && OptionParser.IsOption(fields[index]); index++)
        {
            options = OptionParser.Apply(options, fields[index], where);
        }

        if (index >= fields.Length)
        {
            throw new ConfigurationException(where.FileName, where.LineNumber, "config parse error");
        }

        string program = fields[2];
        if (options.Type == BackendType.ZeroMq && ZeroMqEndpointProblem(program) is { } problem)
        {
            throw new ConfigurationException(where.FileName, where.LineNumber, $"invalid zeromq endpoint {program}: {problem}");
        }

        var acls = ImmutableArray.CreateBuilder<AclEntry>(fields.Length - index);
        for (; index < fields.Length; index++)
        {
            try
            {
                acls.Add(AclParser.ParseAsLoaded(fields[index], AclMethod.File));
            }
            catch (AclSyntaxException e)
            {
                throw new ConfigurationException(where.FileName, where.LineNumber, e.Message, e);
            }
        }

        return new CommandLine(fields[0], fields[1], program, options, acls.MoveToImmutable(), where);
    }

    /// <summary>
    /// Why <paramref name="endpoint"/> is not one the ZeroMQ backend can call, or null: only
    /// <c>tcp://HOST:PORT</c> (port 1..65535) and <c>ipc:///absolute/path</c> (docs/zeromq.md).
    /// </summary>
    internal static string? ZeroMqEndpointProblem(string endpoint)
    {
        if (endpoint.StartsWith("ipc://", StringComparison.Ordinal))
        {
            return endpoint.Length > "ipc:///".Length && endpoint["ipc://".Length] == '/' ? null : "ipc:// needs an absolute path (ipc:///run/x.sock)";
        }

        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal))
        {
            string rest = endpoint["tcp://".Length..];
            int colon = rest.LastIndexOf(':');
            return colon > 0 && int.TryParse(rest.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535
                ? null
                : "tcp:// needs HOST:PORT with a port of 1..65535";
        }

        return "only tcp://HOST:PORT and ipc:///PATH are supported";
    }
}
