using System.Text;
using CsCheck;

namespace PriceFeed.Tests.Codecs.Fuzzing;

/// <summary>Generators of hostile byte streams: mutations of valid inputs, and ways to cut a stream into reads.</summary>
/// <remarks>The mutations are the classic fuzzer set (flip, insert, delete, duplicate, splice a dictionary token),
/// written as data so CsCheck can shrink a failing case to the fewest, smallest mutations.</remarks>
internal static class ByteStreams
{
    /// <summary>One edit at a position given as any non-negative number, taken modulo the input's length.</summary>
    internal sealed record Mutation(MutationKind Kind, int Position, int Length, byte Value, byte[] Token)
    {
        public override string ToString() => $"{Kind}@{Position} len {Length} value {Value:X2} token '{Encoding.Latin1.GetString(Token)}'";
    }

    internal enum MutationKind
    {
        SetByte,
        InsertToken,
        Delete,
        Duplicate,
        XorBit,
        Truncate,
    }

    /// <summary>Mutations that insert tokens from <paramref name="dictionary"/> (and random bytes).</summary>
    public static Gen<Mutation> Mutations(IReadOnlyList<byte[]> dictionary) =>
        from kind in Gen.Enum<MutationKind>()
        from position in Gen.Int[0, int.MaxValue]
        from length in Gen.Frequency((4, Gen.Int[1, 8]), (1, Gen.Int[9, 200]))
        from value in Gen.Byte
        from token in Gen.Frequency((3, Gen.OneOf([.. dictionary])), (1, Gen.Byte.Array[1, 16]))
        select new Mutation(kind, position, length, value, token);

    /// <summary>Applies <paramref name="mutations"/> in order to a copy of <paramref name="input"/>.</summary>
    public static byte[] Apply(byte[] input, IEnumerable<Mutation> mutations)
    {
        var bytes = new List<byte>(input);
        foreach (var m in mutations)
        {
            var at = bytes.Count == 0 ? 0 : m.Position % bytes.Count;
            var length = Math.Min(m.Length, bytes.Count - at);
            switch (m.Kind)
            {
                case MutationKind.SetByte when bytes.Count > 0:
                    bytes[at] = m.Value;
                    break;
                case MutationKind.XorBit when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << (m.Value & 7));
                    break;
                case MutationKind.InsertToken:
                    bytes.InsertRange(bytes.Count == 0 ? 0 : m.Position % (bytes.Count + 1), m.Token);
                    break;
                case MutationKind.Delete:
                    bytes.RemoveRange(at, length);
                    break;
                case MutationKind.Duplicate:
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                case MutationKind.Truncate:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>Cut points: up to eight reads, from one byte each to the whole stream at once.</summary>
    public static Gen<int[]> CutPoints => Gen.Int[0, int.MaxValue].Array[0, 8];

    /// <summary>Cuts <paramref name="input"/> at <paramref name="cuts"/> (each modulo its length) into consecutive reads.</summary>
    public static IEnumerable<byte[]> Split(byte[] input, int[] cuts)
    {
        var points = cuts.Select(c => input.Length == 0 ? 0 : c % input.Length).Append(0).Append(input.Length).Distinct().Order().ToArray();
        for (var i = 1; i < points.Length; i++)
        {
            yield return input[points[i - 1]..points[i]];
        }
    }

    /// <summary>ASCII tokens as bytes.</summary>
    public static byte[][] Tokens(params string[] tokens) => [.. tokens.Select(Encoding.Latin1.GetBytes)];
}
