namespace PriceFeed.Simulator;

internal static class Program
{
    private static int Main() => 0;
}
