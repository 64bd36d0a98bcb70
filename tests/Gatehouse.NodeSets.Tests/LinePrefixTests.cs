using System.Text;

namespace Gatehouse.NodeSets.Tests;

public class LinePrefixTests
{
    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [InlineData("a\nb\n", "node3: a\nnode3: b\n")]
    [InlineData("a\nb", "node3: a\nnode3: b\n")]
    [InlineData("a\r\nb\r\n", "node3: a\nnode3: b\n")]
    [InlineData("a\r\nb", "node3: a\nnode3: b\n")]
    [InlineData("", "")]
    [InlineData("\n", "node3: \n")]
    [InlineData("a\n\nb", "node3: a\nnode3: \nnode3: b\n")]
    [InlineData("a\rb\n", "node3: a\rb\n")]
    [InlineData("\r\n", "node3: \n")]
    public void Prefixes_every_line(string output, string expected)
    {
        Assert.Equal(expected, LinePrefixOutput.Render("node3", B(output)));
    }

    [Fact]
    public void WriteAll_orders_nodes_naturally_with_stdout_before_stderr()
    {
        NodeResult[] results =
        [
            NodeResult.Exited("n10", 0, B("ten\n"), B("oops\n")),
            NodeResult.Exited("n2", 0, B("two")),
        ];

        using var writer = new StringWriter();
        LinePrefixOutput.WriteAll(writer, results, OutputStreams.Both);
        Assert.Equal("n2: two\nn10: ten\nn10: oops\n", writer.ToString());

        using var stdoutOnly = new StringWriter();
        LinePrefixOutput.WriteAll(stdoutOnly, results);
        Assert.Equal("n2: two\nn10: ten\n", stdoutOnly.ToString());
    }

    [Fact]
    public void Streaming_writer_matches_one_shot_rendering_at_every_split_point()
    {
        byte[] output = B("héllo\r\nwörld\n\nlast line ✓");
        string expected = LinePrefixOutput.Render("n1", output);
        for (int split = 0; split <= output.Length; split++)
        {
            for (int split2 = split; split2 <= output.Length; split2++)
            {
                using var writer = new StringWriter();
                var prefixer = new LinePrefixWriter(writer, "n1");
                prefixer.Append(output.AsSpan(0, split));
                prefixer.Append(output.AsSpan(split, split2 - split));
                prefixer.Append(output.AsSpan(split2));
                prefixer.Complete();
                Assert.Equal(expected, writer.ToString());
            }
        }
    }

    [Fact]
    public void Streaming_writer_emits_complete_lines_immediately()
    {
        using var writer = new StringWriter();
        var prefixer = new LinePrefixWriter(writer, "gw1");
        prefixer.Append(B("first\nsec"));
        Assert.Equal("gw1: first\n", writer.ToString());
        prefixer.Append(B("ond\n"));
        Assert.Equal("gw1: first\ngw1: second\n", writer.ToString());
        prefixer.Complete();
        Assert.Equal("gw1: first\ngw1: second\n", writer.ToString());
    }

    [Fact]
    public void Streaming_writer_splits_overlong_lines_without_breaking_characters()
    {
        using var writer = new StringWriter();
        var prefixer = new LinePrefixWriter(writer, "n", maxLineBytes: 16);
        // 10 two-byte characters: 20 bytes, so the first piece must stop at 16 bytes (8 characters).
        prefixer.Append(B(new string('é', 10)));
        prefixer.Complete();
        Assert.Equal($"n: {new string('é', 8)}\nn: éé\n", writer.ToString());

        using var writer2 = new StringWriter();
        var odd = new LinePrefixWriter(writer2, "n", maxLineBytes: 16);
        // One ASCII byte first: the 16-byte cut would fall inside a character, so it is moved back.
        odd.Append(B("a" + new string('é', 10) + "\n"));
        Assert.Equal($"n: a{new string('é', 7)}\nn: ééé\n", writer2.ToString());
    }

    [Theory]
    [InlineData(15, 1)]
    [InlineData(16, 1)]
    [InlineData(17, 2)]
    [InlineData(32, 2)]
    [InlineData(33, 3)]
    public void Streaming_writer_never_adds_empty_lines_at_the_cap(int length, int lines)
    {
        foreach (bool withNewline in new[] { true, false })
        {
            using var writer = new StringWriter();
            var prefixer = new LinePrefixWriter(writer, "n", maxLineBytes: 16);
            prefixer.Append(B(new string('x', length) + (withNewline ? "\n" : "")));
            prefixer.Complete();
            string[] written = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(lines, written.Length);
            Assert.Equal(length, written.Sum(l => l.Length - "n: ".Length));
            Assert.DoesNotContain("n: \n", writer.ToString(), StringComparison.Ordinal);
        }
    }
}
