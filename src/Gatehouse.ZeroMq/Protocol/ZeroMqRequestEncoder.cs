using System.Text;

namespace Gatehouse.ZeroMq.Protocol;

/// <summary>
/// Builds the parts of a seed-004 request. Pure: no I/O, no shared state.
/// </summary>
/// <remarks>
/// <code>
/// ARGUMENT | n | arg1 | ... | argn | ENVIRONMENT | m | name1 | value1 | ... | namem | valuem
///    (A)                               (E)
/// </code>
/// Counts are decimal ASCII; arguments are copied byte for byte (binary-safe); environment names
/// and values are UTF-8. As in remctl, the subcommand is the first argument.
/// </remarks>
public static class ZeroMqRequestEncoder
{
    /// <summary>
    /// Encodes a request as one array per ZeroMQ message part, in send order.
    /// </summary>
    /// <param name="arguments">The subcommand first, then its arguments; may be empty; each may hold any bytes.</param>
    /// <param name="environment">Name/value pairs, sent in the given order; names must be non-empty and contain no '=' or NUL.</param>
    /// <param name="tags">Long (<c>ARGUMENT</c>/<c>ENVIRONMENT</c>, the default) or short (<c>A</c>/<c>E</c>) tags.</param>
    /// <returns>The parts, <c>4 + arguments.Count + 2 * environment.Count</c> of them; each array is newly allocated.</returns>
    /// <exception cref="ArgumentNullException">A list is null.</exception>
    /// <exception cref="ArgumentException">An environment name is empty or contains '=' or NUL.</exception>
    public static byte[][] Encode(
        IReadOnlyList<ReadOnlyMemory<byte>> arguments,
        IReadOnlyList<KeyValuePair<string, string>> environment,
        ZeroMqTagForm tags = ZeroMqTagForm.Long)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);

        var parts = new byte[4 + arguments.Count + (2 * environment.Count)][];
        var index = 0;
        parts[index++] = (tags == ZeroMqTagForm.Short ? WireTags.ArgumentShort : WireTags.Argument).ToArray();
        parts[index++] = DecimalAscii.Format(arguments.Count);
        for (var i = 0; i < arguments.Count; i++)
        {
            parts[index++] = arguments[i].ToArray();
        }

        parts[index++] = (tags == ZeroMqTagForm.Short ? WireTags.EnvironmentShort : WireTags.Environment).ToArray();
        parts[index++] = DecimalAscii.Format(environment.Count);
        for (var i = 0; i < environment.Count; i++)
        {
            var (name, value) = environment[i];
            if (string.IsNullOrEmpty(name) || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"Environment entry {i}: the name must be non-empty and contain no '=' or NUL.", nameof(environment));
            }

            parts[index++] = Encoding.UTF8.GetBytes(name);
            parts[index++] = Encoding.UTF8.GetBytes(value ?? string.Empty);
        }

        return parts;
    }
}
