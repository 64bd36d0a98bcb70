using System.Collections.Frozen;

namespace Gatehouse.WebConsole;

/// <summary>The pages' files, embedded in this assembly (no files on disk, nothing fetched from elsewhere): path to content type and bytes.</summary>
internal static class StaticAssets
{
    private static readonly FrozenDictionary<string, (string ContentType, byte[] Content)> Files = Load();

    /// <summary>The asset served at <paramref name="path"/> (<c>/</c> is index.html).</summary>
    public static bool TryGet(string path, out string contentType, out byte[] content)
    {
        if (Files.TryGetValue(path == "/" ? "/index.html" : path, out var file))
        {
            (contentType, content) = file;
            return true;
        }

        (contentType, content) = (string.Empty, []);
        return false;
    }

    private static FrozenDictionary<string, (string, byte[])> Load()
    {
        var assembly = typeof(StaticAssets).Assembly;
        var files = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("assets/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            string type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files["/" + name["assets/".Length..]] = (type, memory.ToArray());
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
