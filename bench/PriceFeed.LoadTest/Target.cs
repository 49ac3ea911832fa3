namespace PriceFeed.LoadTest;

/// <summary>Which server a run measures.</summary>
internal enum Target
{
    /// <summary>PriceFeed's feed server (DotNetty), started by the tool.</summary>
    Ours,

    /// <summary>The plain ASP.NET Core broadcaster in bench/PriceFeed.Baseline, started by the tool.</summary>
    Baseline,

    /// <summary>The Node <c>ws</c> + protobufjs broadcaster in bench/node-baseline, started by the tool.</summary>
    Node,

    /// <summary>A server already running at <c>--url</c>.</summary>
    Url,
}

internal static class TargetNames
{
    public static string Name(this Target target) => target switch
    {
        Target.Ours => "ours",
        Target.Baseline => "baseline",
        Target.Node => "node",
        _ => "url",
    };
}
