namespace PriceFeed.Server.Codecs.WebSockets;

/// <summary>An incremental UTF-8 validator: feed bytes in any slices, a code point may straddle two of them.</summary>
/// <remarks>
/// A deterministic automaton over the well-formed byte sequences of RFC 3629 section 4 (Unicode table 3-7):
/// each state names what the next byte must be, so overlong forms, surrogates (U+D800-U+DFFF) and values past
/// U+10FFFF are rejected at the first byte that proves them wrong, which lets RFC 6455 8.1 "fail fast" work.
/// Runs of ASCII in the accepting state are skipped with a vectorized search.
/// A mutable struct: keep it in a field and call it in place, never through a copy.
/// </remarks>
internal struct Utf8Validator
{
    private State _state;

    private enum State : byte
    {
        /// <summary>Between code points: any lead byte may come.</summary>
        Accept,

        /// <summary>One continuation byte (80-BF) ends the code point.</summary>
        Need1,

        /// <summary>Two continuation bytes follow.</summary>
        Need2,

        /// <summary>Three continuation bytes follow.</summary>
        Need3,

        /// <summary>After E0: A0-BF, then one more (excludes overlong three-byte forms).</summary>
        AfterE0,

        /// <summary>After ED: 80-9F, then one more (excludes the surrogates).</summary>
        AfterED,

        /// <summary>After F0: 90-BF, then two more (excludes overlong four-byte forms).</summary>
        AfterF0,

        /// <summary>After F4: 80-8F, then two more (excludes values above U+10FFFF).</summary>
        AfterF4,

        /// <summary>Invalid; stays invalid until <see cref="Reset"/>.</summary>
        Reject,
    }

    /// <summary>Whether everything fed so far ends on a code point boundary and was valid.</summary>
    public readonly bool IsComplete => _state == State.Accept;

    /// <summary>Whether an invalid sequence was seen.</summary>
    public readonly bool IsInvalid => _state == State.Reject;

    /// <summary>Whether <paramref name="bytes"/> alone is complete, valid UTF-8.</summary>
    public static bool IsValid(ReadOnlySpan<byte> bytes)
    {
        var validator = default(Utf8Validator);
        return validator.Advance(bytes) && validator.IsComplete;
    }

    /// <summary>Starts a new text.</summary>
    public void Reset() => _state = State.Accept;

    /// <summary>Feeds the next bytes; false as soon as they cannot be part of valid UTF-8.</summary>
    public bool Advance(ReadOnlySpan<byte> bytes)
    {
        var state = _state;
        var i = 0;
        while (i < bytes.Length)
        {
            if (state == State.Accept)
            {
                var nonAscii = bytes[i..].IndexOfAnyExceptInRange((byte)0x00, (byte)0x7F);
                if (nonAscii < 0)
                {
                    break;
                }

                i += nonAscii;
            }

            state = Next(state, bytes[i]);
            if (state == State.Reject)
            {
                break;
            }

            i++;
        }

        _state = state;
        return state != State.Reject;
    }

    private static State Next(State state, byte b) => state switch
    {
        State.Accept => b switch
        {
            < 0x80 => State.Accept,
            >= 0xC2 and <= 0xDF => State.Need1,
            0xE0 => State.AfterE0,
            0xED => State.AfterED,
            >= 0xE1 and <= 0xEF => State.Need2,
            0xF0 => State.AfterF0,
            >= 0xF1 and <= 0xF3 => State.Need3,
            0xF4 => State.AfterF4,
            _ => State.Reject, // 80-C1 (stray continuation, overlong two-byte lead) and F5-FF
        },
        State.Need1 => IsContinuation(b) ? State.Accept : State.Reject,
        State.Need2 => IsContinuation(b) ? State.Need1 : State.Reject,
        State.Need3 => IsContinuation(b) ? State.Need2 : State.Reject,
        State.AfterE0 => b is >= 0xA0 and <= 0xBF ? State.Need1 : State.Reject,
        State.AfterED => b is >= 0x80 and <= 0x9F ? State.Need1 : State.Reject,
        State.AfterF0 => b is >= 0x90 and <= 0xBF ? State.Need2 : State.Reject,
        State.AfterF4 => b is >= 0x80 and <= 0x8F ? State.Need2 : State.Reject,
        _ => State.Reject,
    };

    private static bool IsContinuation(byte b) => (b & 0xC0) == 0x80;
}
