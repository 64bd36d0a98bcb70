namespace Gatehouse.Fuzz.Tests;

/// <summary>Paths in the repository the tests run from.</summary>
internal static class Repository
{
    /// <summary>The folder holding Gatehouse.slnx, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Every fuzz target's name (the canary excluded).</summary>
    public static TheoryData<string> Targets()
    {
        var data = new TheoryData<string>();
        foreach (var target in FuzzTargets.All)
        {
            data.Add(target.Name);
        }

        return data;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Gatehouse.slnx not found above " + AppContext.BaseDirectory);
    }
}
