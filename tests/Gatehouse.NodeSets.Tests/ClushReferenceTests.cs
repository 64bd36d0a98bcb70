using System.Text;

namespace Gatehouse.NodeSets.Tests;

/// <summary>
/// One fixed set of node outputs rendered in every clush mode. Each expected text is what Debian's
/// clustershell 1.9.1 printed for the same outputs (clush -R exec -w 'n[1-10]' OPTION ./out.sh %h,
/// where out.sh prints, per node, what <see cref="Fixture"/> holds), stdout and stderr apart.
/// </summary>
public class ClushReferenceTests
{
    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>n1-n3: "same" with stderr "err nX", exit 0; n4: "same", exit 3; n5: "other", exit 0; n6: nothing, exit 0; n7: "other", exit 3; n8-n10: "three\nline2", exit 1.</summary>
    internal static NodeResult[] Fixture() =>
    [
        NodeResult.Exited("n7", 3, B("other\n")),
        NodeResult.Exited("n1", 0, B("same\n"), B("err n1\n")),
        NodeResult.Exited("n10", 1, B("three\nline2\n")),
        NodeResult.Exited("n2", 0, B("same\n"), B("err n2\n")),
        NodeResult.Exited("n3", 0, B("same\n"), B("err n3\n")),
        NodeResult.Exited("n4", 3, B("same\n")),
        NodeResult.Exited("n5", 0, B("other\n")),
        NodeResult.Exited("n6", 0),
        NodeResult.Exited("n8", 1, B("three\nline2\n")),
        NodeResult.Exited("n9", 1, B("three\nline2\n")),
    ];

    [Fact]
    public void Gather_b_matches_clush()
    {
        Assert.Equal(
            """
            ---------------
            n[1-3] (3)
            ---------------
            same
            ---------------
            n5
            ---------------
            other
            ---------------
            n[8-10] (3)
            ---------------
            three
            line2
            ---------------
            n4
            ---------------
            same
            ---------------
            n7
            ---------------
            other

            """,
            GatheredOutput.Render(Fixture()));
    }

    [Fact]
    public void Gather_B_with_stderr_matches_clush()
    {
        Assert.Equal(
            """
            ---------------
            n1
            ---------------
            same
            err n1
            ---------------
            n2
            ---------------
            same
            err n2
            ---------------
            n3
            ---------------
            same
            err n3
            ---------------
            n5
            ---------------
            other
            ---------------
            n[8-10] (3)
            ---------------
            three
            line2
            ---------------
            n4
            ---------------
            same
            ---------------
            n7
            ---------------
            other

            """,
            GatheredOutput.Render(Fixture(), new GatherOptions { Streams = OutputStreams.Both }));
    }

    [Fact]
    public void Quiet_gather_has_no_counts_like_clush_qb()
    {
        Assert.StartsWith(
            """
            ---------------
            n[1-3]
            ---------------
            same
            ---------------
            n5

            """,
            GatheredOutput.Render(Fixture(), new GatherOptions { ShowNodeCount = false }),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Line_mode_L_matches_clush()
    {
        using var writer = new StringWriter();
        LinePrefixOutput.WriteAll(writer, Fixture());
        Assert.Equal(
            """
            n1: same
            n2: same
            n3: same
            n5: other
            n8: three
            n8: line2
            n9: three
            n9: line2
            n10: three
            n10: line2
            n4: same
            n7: other

            """,
            writer.ToString());
    }

    [Fact]
    public void Gathered_lines_bL_match_clush()
    {
        Assert.Equal(
            """
            n[1-4]: same
            n[8-10]: three
            n[5,7]: other
            n[8-10]: line2

            """,
            GatheredLines.Render(Fixture()));
    }

    [Fact]
    public void Diff_matches_clush()
    {
        Assert.Equal(
            """
            --- n[1-3] (3)
            +++ n5
            @@ -1 +1 @@
            -same
            +other
            --- n[1-3] (3)
            +++ n6
            @@ -1 +0,0 @@
            -same
            --- n[1-3] (3)
            +++ n[8-10] (3)
            @@ -1 +1,2 @@
            -same
            +three
            +line2
            --- n[1-3] (3)
            +++ n7
            @@ -1 +1 @@
            -same
            +other

            """,
            DiffOutput.Render(Fixture()));
    }

    [Fact]
    public void Exit_status_lines_match_clush()
    {
        // clush printed these two lines (in the order its workers finished; here in status order).
        Assert.Equal(
            """
            clush: n[8-10] (3): exited with exit code 1
            clush: n[4,7] (2): exited with exit code 3

            """,
            StatusSummary.Render(Fixture(), "clush"));
        Assert.Equal(
            """
            clush: n[8-10]: exited with exit code 1
            clush: n[4,7]: exited with exit code 3

            """,
            StatusSummary.Render(Fixture(), "clush", showNodeCount: false));
    }

    [Fact]
    public void Diff_hunks_keep_three_lines_of_context_and_split_far_changes()
    {
        var a = Enumerable.Range(1, 20).Select(i => $"line {i}").ToList();
        var b = a.ToList();
        b[1] = "changed 2";
        b[17] = "changed 18";
        using var writer = new StringWriter();
        DiffOutput.WriteUnified(writer, a, b, "ref", "other");
        // As python3 -c 'difflib.unified_diff(a, b, "ref", "other", lineterm="")' prints it.
        Assert.Equal(
            """
            --- ref
            +++ other
            @@ -1,5 +1,5 @@
             line 1
            -line 2
            +changed 2
             line 3
             line 4
             line 5
            @@ -15,6 +15,6 @@
             line 15
             line 16
             line 17
            -line 18
            +changed 18
             line 19
             line 20

            """,
            writer.ToString());
    }
}
