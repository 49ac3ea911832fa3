using System.Text.RegularExpressions;
using PriceFeed.Tests.Testing;

namespace PriceFeed.Tests.Architecture;

/// <summary>The layers of <c>feed-server/</c> (drawn in feed-server/README.md), checked on the source text so they cannot drift.</summary>
/// <remarks>
/// A folder is a namespace (<c>PriceFeed.Server.&lt;Folder&gt;</c>); a file uses a folder when it has a
/// <c>using PriceFeed.Server.&lt;Folder&gt;</c> line or names <c>PriceFeed.Server.&lt;Folder&gt;.</c> anywhere else
/// (a qualified type, a cref, a resource or logger name). Each folder may use only the folders <see cref="s_allowed"/>
/// lists for it: every arrow points down, and Hosting, the composition root, is used by nothing but Program.cs.
/// </remarks>
public sealed partial class LayerTests
{
    /// <summary>The marker a file over <see cref="MaxLines"/> lines carries, followed by why it is one piece.</summary>
    public const string LongFileMarker = "Over 300 lines because";

    /// <summary>~300 lines: past it a type usually does more than one job (STYLE.md: split by concern, partial files are fine).</summary>
    private const int MaxLines = 300;

    /// <summary>Folder -> the folders it may use. Bottom first; a folder missing here is a new folder that needs a place.</summary>
    private static readonly Dictionary<string, string[]> s_allowed = new(StringComparer.Ordinal)
    {
        ["Quotes"] = [],
        ["Ring"] = [],
        ["Codecs"] = [],
        ["Wire"] = ["Quotes"],
        ["Metrics"] = ["Quotes"],
        ["Security"] = ["Codecs", "Metrics", "Wire", "Quotes"],
        ["Sources"] = ["Ring", "Wire", "Quotes"],
        ["Bars"] = ["Wire", "Quotes"],
        ["Fanout"] = ["Security", "Bars", "Codecs", "Metrics", "Ring", "Wire", "Quotes"],
        ["Transport"] = ["Security", "Codecs", "Metrics", "Wire", "Quotes"],
        ["Session"] = ["Transport", "Security", "Fanout", "Sources", "Bars", "Codecs", "Metrics", "Wire", "Quotes"],
        ["Hosting"] = ["Session", "Transport", "Security", "Fanout", "Sources", "Bars", "Codecs", "Metrics", "Ring", "Wire", "Quotes"],
        [RootFolder] = ["Hosting"],
    };

    private const string RootFolder = "(root)";

    public static TheoryData<string> Folders()
    {
        var folders = new TheoryData<string>();
        foreach (var folder in s_allowed.Keys)
        {
            folders.Add(folder);
        }

        return folders;
    }

    [Fact]
    public void EveryFolderUsesOnlyTheFoldersBelowIt()
    {
        var breaks = new List<string>();
        foreach (var file in SourceFiles())
        {
            var folder = FolderOf(file.Path);
            if (!s_allowed.TryGetValue(folder, out var allowed))
            {
                breaks.Add($"{file.Path}: folder '{folder}' has no row in the table of allowed directions; give it a place in the layers");
                continue;
            }

            for (var i = 0; i < file.Lines.Length; i++)
            {
                var line = file.Lines[i];
                if (NamespaceLine().IsMatch(line))
                {
                    continue;
                }

                foreach (Match reference in ServerNamespace().Matches(line))
                {
                    var used = reference.Groups["folder"].Value;
                    if (used != folder && !allowed.Contains(used))
                    {
                        breaks.Add($"{file.Path}:{i + 1}: {folder} -> {used} is not allowed ('{line.Trim()}')");
                    }
                }
            }
        }

        Assert.True(breaks.Count == 0, "Layering broken (allowed directions are in LayerTests and feed-server/README.md):\n" + string.Join("\n", breaks));
    }

    [Fact]
    public void NamespacesFollowFolders()
    {
        var wrong = new List<string>();
        foreach (var file in SourceFiles())
        {
            var directory = Path.GetDirectoryName(file.Path)!.Replace(Path.DirectorySeparatorChar, '.').Replace('/', '.');
            var expected = directory.Length == 0 ? "PriceFeed.Server" : "PriceFeed.Server." + directory;
            var declared = file.Lines.Select(line => NamespaceLine().Match(line)).FirstOrDefault(match => match.Success);
            if (declared is not null && declared.Groups["name"].Value != expected)
            {
                wrong.Add($"{file.Path}: namespace {declared.Groups["name"].Value}, expected {expected}");
            }
        }

        Assert.True(wrong.Count == 0, "A namespace must follow its folder, or the layer check reads it wrong:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void RingNamesNoPriceFeedType()
    {
        // The ring is the Disruptor's generic machinery; what it carries is its users' business.
        var ringFiles = SourceFiles().Where(file => FolderOf(file.Path) == "Ring").ToList();
        var ringTypes = ringFiles.SelectMany(file => DeclaredTypes(file.Text)).ToHashSet(StringComparer.Ordinal);
        var productTypes = SourceFiles()
            .Where(file => FolderOf(file.Path) != "Ring")
            .SelectMany(file => DeclaredTypes(file.Text))
            .Where(name => !ringTypes.Contains(name))
            .ToHashSet(StringComparer.Ordinal);

        var named = new List<string>();
        foreach (var file in ringFiles)
        {
            for (var i = 0; i < file.Lines.Length; i++)
            {
                foreach (Match word in Word().Matches(file.Lines[i]))
                {
                    if (word.Value.StartsWith("Quote", StringComparison.Ordinal) || productTypes.Contains(word.Value))
                    {
                        named.Add($"{file.Path}:{i + 1}: names {word.Value}");
                    }
                }
            }
        }

        Assert.True(named.Count == 0, "Ring/ must stay generic:\n" + string.Join("\n", named));
    }

    [Fact]
    public void EveryFileOverTheLimitSaysWhyItIsOnePiece()
    {
        var unexplained = SourceFiles()
            .Where(file => LineCount(file.Text) > MaxLines && !file.Text.Contains(LongFileMarker, StringComparison.Ordinal))
            .Select(file => $"{file.Path}: {LineCount(file.Text)} lines")
            .ToList();

        Assert.True(
            unexplained.Count == 0,
            $"Split these by concern (partial files are fine), or say in each why it is one piece, after \"{LongFileMarker}\":\n"
            + string.Join("\n", unexplained));
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void TheTableOfDirectionsHasNoCycle(string folder)
    {
        // Every arrow points down: no folder reaches itself through the folders it may use.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(s_allowed[folder]);
        while (pending.TryPop(out var next))
        {
            Assert.True(next != folder, $"{folder} may reach itself through the table of allowed directions");
            if (seen.Add(next))
            {
                foreach (var below in s_allowed[next])
                {
                    pending.Push(below);
                }
            }
        }
    }

    private static IEnumerable<SourceFile> SourceFiles()
    {
        var root = RepositoryPaths.Combine("feed-server");
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(full => Path.GetRelativePath(root, full))
            .Where(path => !IsBuildOutput(path))
            .Order(StringComparer.Ordinal)
            .Select(path =>
            {
                var text = File.ReadAllText(Path.Combine(root, path));
                return new SourceFile(path, text, text.Split('\n'));
            });
    }

    private static bool IsBuildOutput(string path)
    {
        var first = path.Split(Path.DirectorySeparatorChar, '/')[0];
        return first is "bin" or "obj";
    }

    private static string FolderOf(string path)
    {
        var parts = path.Split(Path.DirectorySeparatorChar, '/');
        return parts.Length == 1 ? RootFolder : parts[0];
    }

    /// <summary>Lines as the layers tool and editors count them: newlines.</summary>
    private static int LineCount(string text) => text.Count(c => c == '\n');

    private static IEnumerable<string> DeclaredTypes(string text) =>
        TypeDeclaration().Matches(text).Select(match => match.Groups["name"].Value);

    [GeneratedRegex(@"^\s*namespace\s+(?<name>[\w.]+)")]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"\bPriceFeed\.Server\.(?<folder>\w+)")]
    private static partial Regex ServerNamespace();

    [GeneratedRegex(@"\b(?:class|struct|interface|enum|record|delegate\s+[\w<>\[\]?,\s]+?)\s+(?<name>[A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\b[A-Za-z_]\w*\b")]
    private static partial Regex Word();

    private sealed record SourceFile(string Path, string Text, string[] Lines);
}
