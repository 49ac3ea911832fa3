namespace PriceFeed.Simulation;

/// <summary>Invents ticker symbols that read like listed ones: 1 to 5 uppercase letters, mostly 3 or 4.</summary>
/// <remarks>
/// A ticker is usually a clipped company name (BOLT, MARA) or an abbreviation (MSFT, JPM). The
/// first letter follows how often company names start with it; the next letters alternate
/// consonants and vowels loosely, allowing at most three consonants in a row, which keeps
/// both kinds. The letter tables repeat a letter to weight it. Not thread-safe.
/// </remarks>
internal static class TickerNames
{
    public const int MaxLength = 5;

    // Rough frequencies of company-name initials: many A, C, M, S, T; few Q, X, Z.
    private const string Initials = "AAAAABBBBCCCCCCDDDEEFFFGGGHHHIIJKKLLLMMMMMNNNOOPPPPQRRRSSSSSSTTTTUVVWWXYZ";
    private const string Consonants = "BBCCCDDFGGHKLLLMMMNNNNPPRRRRSSSSTTTTVWXYZ";
    private const string Vowels = "AAAEEEIIOOUY";

    // Share of names by length, in percent, 1 to 5 letters: NYSE has a few one-letter symbols,
    // Nasdaq's are mostly four letters.
    private static readonly int[] s_lengthPercent = [1, 4, 35, 50, 10];

    // Attempts at one length before moving to the next: short names run out first
    // (there are only 26 one-letter and 676 two-letter ones).
    private const int AttemptsPerLength = 16;

    /// <summary>A name not in <paramref name="taken"/>, which it is then added to.</summary>
    public static string NextUnique(ref Xoshiro256StarStar random, HashSet<string> taken)
    {
        Span<char> buffer = stackalloc char[MaxLength];
        for (var length = PickLength(ref random); ; length = Math.Min(length + 1, MaxLength))
        {
            for (var attempt = 0; attempt < AttemptsPerLength; attempt++)
            {
                var name = Fill(ref random, buffer[..length]);
                if (taken.Add(name))
                {
                    return name;
                }
            }
        }
    }

    /// <summary>True when <paramref name="symbol"/> has the shape of a ticker this class makes.</summary>
    public static bool IsWellFormed(string symbol) =>
        symbol.Length is >= 1 and <= MaxLength && symbol.AsSpan().IndexOfAnyExceptInRange('A', 'Z') < 0;

    private static int PickLength(ref Xoshiro256StarStar random)
    {
        var roll = random.NextInt(100);
        for (var i = 0; i < s_lengthPercent.Length; i++)
        {
            roll -= s_lengthPercent[i];
            if (roll < 0)
            {
                return i + 1;
            }
        }

        return MaxLength;
    }

    private static string Fill(ref Xoshiro256StarStar random, Span<char> name)
    {
        name[0] = Initials[random.NextInt(Initials.Length)];
        var consonantRun = Vowels.Contains(name[0], StringComparison.Ordinal) ? 0 : 1;
        for (var i = 1; i < name.Length; i++)
        {
            // After a vowel a consonant is likely; after one or two consonants a vowel is an even
            // bet, so abbreviations (MSFT) and clipped words (MARK) both come out; never four consonants.
            var vowelChance = consonantRun switch { 0 => 0.15, 1 => 0.5, 2 => 0.6, _ => 1.0 };
            if (random.NextDouble() < vowelChance)
            {
                name[i] = Vowels[random.NextInt(Vowels.Length)];
                consonantRun = 0;
            }
            else
            {
                name[i] = Consonants[random.NextInt(Consonants.Length)];
                consonantRun++;
            }
        }

        return new string(name);
    }
}
