using System.Numerics;

namespace PriceFeed.Simulation;

/// <summary>
/// The xoshiro256** generator of Blackman and Vigna ("Scrambled linear pseudorandom number
/// generators", 2021): 256 bits of state, period 2^256 - 1, a few ns per number, and the same
/// sequence on every platform and runtime, which <see cref="System.Random"/> does not promise.
/// </summary>
/// <remarks>
/// A mutable struct: keep it in a field and call it in place, never through a copy. Not
/// thread-safe; each thread owns its own.
/// </remarks>
internal struct Xoshiro256StarStar
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    // Box-Muller yields normals in pairs; the second waits here for the next call.
    private double _spareNormal;
    private bool _hasSpareNormal;

    /// <summary>Seeds the state from one number through SplitMix64, as the authors recommend,
    /// so that nearby seeds (1, 2, 3) still give unrelated sequences.</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        _s0 = SplitMix64(ref seed);
        _s1 = SplitMix64(ref seed);
        _s2 = SplitMix64(ref seed);
        _s3 = SplitMix64(ref seed);
        // An all-zero state would only ever produce zeros; SplitMix64 cannot give four zeros in a row.
    }

    /// <summary>Derives the seed of an independent stream (e.g. names vs. prices) from a user seed.</summary>
    public static ulong DeriveSeed(ulong seed, ulong stream)
    {
        var state = seed ^ (stream * 0xD1B54A32D192ED03UL);
        return SplitMix64(ref state);
    }

    /// <summary>64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1): the top 53 bits, every value a multiple of 2^-53.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="bound"/>), by Lemire's multiply-shift (bias below 2^-32 for any int bound).</summary>
    public int NextInt(int bound) => (int)Math.BigMul(NextUInt64(), (ulong)bound, out _);

    /// <summary>Standard normal (mean 0, variance 1) by the Box-Muller transform.</summary>
    public double NextNormal()
    {
        if (_hasSpareNormal)
        {
            _hasSpareNormal = false;
            return _spareNormal;
        }

        // 1 - u lies in (0, 1], so the logarithm is finite.
        var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - NextDouble()));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * NextDouble());
        _spareNormal = radius * sin;
        _hasSpareNormal = true;
        return radius * cos;
    }

    /// <summary>Exponential with mean 1, by inversion.</summary>
    public double NextExponential() => -Math.Log(1.0 - NextDouble());

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
