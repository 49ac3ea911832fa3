namespace PriceFeed.LoadTest;

/// <summary>The live progress line: rewritten in place on a terminal, a line every few seconds otherwise (logs, tests).</summary>
internal sealed class Progress
{
    private static readonly TimeSpan s_redirectedInterval = TimeSpan.FromSeconds(5);

    private readonly TextWriter _writer;
    private readonly bool _inPlace;
    private readonly Lock _lock = new();
    private DateTime _lastLine = DateTime.MinValue;
    private int _lastLength;

    public Progress(TextWriter writer, bool inPlace)
    {
        _writer = writer;
        _inPlace = inPlace;
    }

    public static Progress ForConsole() => new(Console.Out, !Console.IsOutputRedirected);

    /// <summary>Replaces the progress line (or prints it, at most every few seconds, when not on a terminal).</summary>
    public void Update(string label, string text)
    {
        lock (_lock)
        {
            var line = $"[{label}] {text}";
            if (_inPlace)
            {
                _writer.Write("\r" + line.PadRight(_lastLength));
                _lastLength = line.Length;
            }
            else if (DateTime.UtcNow - _lastLine >= s_redirectedInterval)
            {
                _writer.WriteLine(line);
                _lastLine = DateTime.UtcNow;
            }
        }
    }

    /// <summary>Prints a line that stays.</summary>
    public void Line(string label, string text)
    {
        lock (_lock)
        {
            if (_inPlace && _lastLength > 0)
            {
                _writer.WriteLine();
                _lastLength = 0;
            }

            _writer.WriteLine($"[{label}] {text}");
        }
    }
}
