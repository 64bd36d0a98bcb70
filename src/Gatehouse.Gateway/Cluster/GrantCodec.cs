using System.Globalization;
using System.Text;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Cluster;

/// <summary>What a grants document holds: entries, and for the ledger's own file its clock and baseline.</summary>
/// <param name="Entries">The entries.</param>
/// <param name="Clock">The clock's last reading (0 when not given).</param>
/// <param name="Baseline">The grants <c>authorized_peers</c> was last known to hold (null when not given).</param>
public sealed record GrantDocument(IReadOnlyList<GrantEntry> Entries, long Clock, IReadOnlyList<PeerGrant>? Baseline);

/// <summary>
/// Reads and writes grant entries as text: the format of a pull's answer and of the ledger's file
/// <c>cluster_grants</c> (docs/cluster.md). UTF-8, one item a line, <c>\n</c> line ends:
/// <code>
/// # comment lines, only before the header
/// gatehouse-grants 1 ENTRIES [clock=TS]
/// grant TS ORIGIN FINGERPRINT NAME roles=R[,R] [domains=D[,D]]      (ENTRIES lines of
/// remove TS ORIGIN FINGERPRINT                                       grant or remove)
/// baseline COUNT                                                     (optional, then COUNT lines of
/// FINGERPRINT NAME roles=... [domains=...]                           authorized_peers syntax)
/// end
/// </code>
/// TS is a <see cref="GrantClock"/> reading (decimal Unix ms, 0 to <see cref="GrantEntry.MaxTimestamp"/>),
/// ORIGIN a member's canonical <c>SHA256:</c> fingerprint. Every declared count is checked against
/// <see cref="MaxEntries"/> before anything is allocated, the whole text against <see cref="MaxBytes"/>,
/// every line against <see cref="MaxLineLength"/>; the counts must match the lines and the
/// <c>end</c> line must be last, so a truncated document is refused.
/// </summary>
/// <remarks>Readers throw only <see cref="FormatException"/>, whose message names the source and line.</remarks>
public static class GrantCodec
{
    /// <summary>The format's version.</summary>
    public const int FormatVersion = 1;

    /// <summary>Most entries (or baseline lines) in one document: 100,000.</summary>
    public const int MaxEntries = 100_000;

    /// <summary>Largest document: 32 MiB.</summary>
    public const int MaxBytes = 32 << 20;

    /// <summary>Longest line: 64 KiB characters.</summary>
    public const int MaxLineLength = 64 << 10;

    private const string Magic = "gatehouse-grants";
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The line for one entry, as written and as hashed by <see cref="GrantLedger.Digest"/>.</summary>
    public static string EntryLine(GrantEntry entry) =>
        entry.Grant is { } grant
            ? $"grant {entry.Timestamp.ToString(CultureInfo.InvariantCulture)} {entry.Origin} {grant.ToLine()}"
            : $"remove {entry.Timestamp.ToString(CultureInfo.InvariantCulture)} {entry.Origin} {entry.Fingerprint}";

    /// <summary>The lines of a document (no trailing empty line).</summary>
    /// <param name="entries">The entries.</param>
    /// <param name="clock">The clock reading to record, or null (a pull's answer).</param>
    /// <param name="baseline">The baseline to record, or null.</param>
    /// <param name="comment">Comment lines to put first (each must start with <c>#</c>).</param>
    /// <exception cref="ArgumentException">More than <see cref="MaxEntries"/> items, or a line longer than <see cref="MaxLineLength"/>.</exception>
    public static List<string> WriteLines(IReadOnlyCollection<GrantEntry> entries, long? clock = null, IReadOnlyCollection<PeerGrant>? baseline = null, IEnumerable<string>? comment = null)
    {
        if (entries.Count > MaxEntries || baseline?.Count > MaxEntries)
        {
            throw new ArgumentException($"a grants document holds at most {MaxEntries} entries", nameof(entries));
        }

        var lines = new List<string>(entries.Count + (baseline?.Count ?? 0) + 4);
        foreach (string c in comment ?? [])
        {
            lines.Add(c.StartsWith('#') && !c.Contains('\n', StringComparison.Ordinal) ? c : throw new ArgumentException("a comment line starts with '#'", nameof(comment)));
        }

        string header = $"{Magic} {FormatVersion} {entries.Count}";
        lines.Add(clock is { } c2 ? $"{header} clock={c2.ToString(CultureInfo.InvariantCulture)}" : header);
        lines.AddRange(entries.Select(EntryLine));
        if (baseline is not null)
        {
            lines.Add($"baseline {baseline.Count}");
            lines.AddRange(baseline.Select(g => g.ToLine()));
        }

        lines.Add("end");
        if (lines.FirstOrDefault(l => l.Length > MaxLineLength) is { } tooLong)
        {
            throw new ArgumentException($"a grants line is at most {MaxLineLength} characters (one is {tooLong.Length})", nameof(entries));
        }

        return lines;
    }

    /// <summary>A pull's answer as UTF-8: the entries, no clock, no baseline.</summary>
    public static byte[] WriteUtf8(IReadOnlyCollection<GrantEntry> entries) =>
        StrictUtf8.GetBytes(string.Join('\n', WriteLines(entries)) + "\n");

    /// <summary>Reads a pull's answer (entries only: a clock or baseline is refused).</summary>
    /// <exception cref="FormatException">Anything outside the format, naming <paramref name="source"/> and the line.</exception>
    public static IReadOnlyList<GrantEntry> ReadEntriesUtf8(ReadOnlySpan<byte> utf8, string source)
    {
        var document = ReadUtf8(utf8, source);
        return document.Clock != 0 || document.Baseline is not null
            ? throw new FormatException($"{source}: a pull's answer has no clock or baseline")
            : document.Entries;
    }

    /// <summary>Reads a document from UTF-8 bytes.</summary>
    /// <exception cref="FormatException">Anything outside the format, naming <paramref name="source"/> and the line.</exception>
    public static GrantDocument ReadUtf8(ReadOnlySpan<byte> utf8, string source)
    {
        if (utf8.Length > MaxBytes)
        {
            throw new FormatException($"{source}: {utf8.Length} bytes; a grants document is at most {MaxBytes} bytes");
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException($"{source}: not valid UTF-8 text");
        }

        return Read(text, source);
    }

    /// <summary>Reads a document.</summary>
    /// <exception cref="FormatException">Anything outside the format, naming <paramref name="source"/> and the line.</exception>
    public static GrantDocument Read(string text, string source)
    {
        if (text.Length > MaxBytes)
        {
            throw new FormatException($"{source}: a grants document is at most {MaxBytes} bytes");
        }

        var reader = new LineReader(text, source);
        string header = reader.Next("the header");
        while (header.StartsWith('#'))
        {
            header = reader.Next("the header");
        }

        string[] h = header.Split(' ');
        if (h.Length is < 3 or > 4 || h[0] != Magic)
        {
            throw reader.Error($"expected '{Magic} {FormatVersion} ENTRIES [clock=TS]'");
        }

        if (h[1] != FormatVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw reader.Error($"format version '{Printable(h[1])}' is not supported (this gateway reads {FormatVersion})");
        }

        int count = reader.Count(h[2]);
        long clock = 0;
        if (h.Length == 4)
        {
            clock = h[3].StartsWith("clock=", StringComparison.Ordinal)
                ? reader.Timestamp(h[3]["clock=".Length..])
                : throw reader.Error($"unknown header field '{Printable(h[3])}'");
        }

        var entries = new List<GrantEntry>(Math.Min(count, 1024));
        var seen = new Dictionary<Fingerprint, int>();
        for (int i = 0; i < count; i++)
        {
            var entry = ReadEntry(reader, reader.Next($"entry {i + 1} of {count}"));
            if (!seen.TryAdd(entry.Fingerprint, reader.LineNumber))
            {
                throw reader.Error($"fingerprint {entry.Fingerprint} already has an entry on line {seen[entry.Fingerprint]}");
            }

            entries.Add(entry);
        }

        List<PeerGrant>? baseline = null;
        string next = reader.Next("'end'");
        if (next.StartsWith("baseline ", StringComparison.Ordinal))
        {
            int baselineCount = reader.Count(next["baseline ".Length..]);
            baseline = new List<PeerGrant>(Math.Min(baselineCount, 1024));
            var granted = new HashSet<Fingerprint>();
            for (int i = 0; i < baselineCount; i++)
            {
                string line = reader.Next($"baseline line {i + 1} of {baselineCount}");
                var grant = AuthorizedPeers.ParseLine(line, source, reader.LineNumber);
                if (!granted.Add(grant.Fingerprint))
                {
                    throw reader.Error($"fingerprint {grant.Fingerprint} is in the baseline twice");
                }

                baseline.Add(grant);
            }

            next = reader.Next("'end'");
        }

        if (next != "end")
        {
            throw reader.Error($"expected 'end' after {count} entries");
        }

        reader.ExpectEnd();
        return new GrantDocument(entries, clock, baseline);
    }

    private static GrantEntry ReadEntry(LineReader reader, string line)
    {
        string[] p = line.Split(' ', 4);
        if (p.Length != 4 || p[0] is not ("grant" or "remove"))
        {
            throw reader.Error("expected 'grant TS ORIGIN FINGERPRINT NAME roles=...' or 'remove TS ORIGIN FINGERPRINT'");
        }

        long ts = reader.Timestamp(p[1]);
        if (GrantEntry.OriginProblem(p[2]) is { } originProblem)
        {
            throw reader.Error(originProblem);
        }

        if (p[0] == "remove")
        {
            return Fingerprint.TryParse(p[3], out var fp) && fp.ToString() == p[3]
                ? new GrantEntry(fp, ts, p[2], null)
                : throw reader.Error($"'{Printable(p[3])}' is not a fingerprint (SHA256:<43 base64 characters>)");
        }

        var grant = AuthorizedPeers.ParseLine(p[3], reader.Source, reader.LineNumber);
        try
        {
            return new GrantEntry(grant.Fingerprint, ts, p[2], grant);
        }
        catch (ArgumentException ex)
        {
            // Every field was checked above; this only keeps the promise that readers throw FormatException.
            throw reader.Error(ex.Message);
        }
    }

    /// <summary>The text with control characters shown as <c>?</c>, cut to 80 characters, for error messages.</summary>
    private static string Printable(string text) =>
        string.Concat(text.Take(80).Select(c => char.IsControl(c) ? '?' : c)) + (text.Length > 80 ? "..." : string.Empty);

    /// <summary>Walks the lines of a document, checking each one's length and characters.</summary>
    private sealed class LineReader(string text, string source)
    {
        private int _position;

        public string Source => source;

        public int LineNumber { get; private set; }

        public string Next(string what)
        {
            if (_position >= text.Length)
            {
                throw new FormatException($"{source}:{LineNumber + 1}: the document ends before {what}");
            }

            int end = text.IndexOf('\n', _position);
            if (end < 0)
            {
                throw new FormatException($"{source}:{LineNumber + 1}: the last line has no line end (truncated?)");
            }

            LineNumber++;
            if (end - _position > MaxLineLength)
            {
                throw Error($"line longer than {MaxLineLength} characters");
            }

            string line = text[_position..end];
            _position = end + 1;
            foreach (char c in line)
            {
                if (char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format)
                {
                    throw Error($"control or format character U+{(int)c:X4}");
                }
            }

            return line;
        }

        public void ExpectEnd()
        {
            if (_position != text.Length)
            {
                throw new FormatException($"{source}:{LineNumber + 1}: text after 'end'");
            }
        }

        public int Count(string digits) =>
            int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n <= MaxEntries
                ? n
                : throw Error($"count '{Printable(digits)}' is not a number from 0 to {MaxEntries}");

        public long Timestamp(string digits) =>
            digits.Length is > 0 and <= 15 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long t) && t <= GrantEntry.MaxTimestamp
                ? t
                : throw Error($"timestamp '{Printable(digits)}' is not a number from 0 to {GrantEntry.MaxTimestamp}");

        public FormatException Error(string message) => new($"{source}:{LineNumber}: {message}");
    }
}
