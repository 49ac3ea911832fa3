using System.Buffers.Text;
using System.Text.Json;

namespace PriceFeed.Client;

/// <summary>The client's current token and when it expires; refreshes it through
/// <see cref="PriceFeedClientOptions.TokenRefresher"/> before it runs out (docs/clients.md, "Token refresh").</summary>
/// <remarks>The expiry comes from the token's <c>exp</c>, read without verifying (only the server can), and then from
/// the server's <c>auth_result</c>, which is authoritative. Thread-safe: the token is swapped whole.</remarks>
internal sealed class TokenKeeper
{
    /// <summary>The refresh starts when this share of the token's remaining lifetime has passed.</summary>
    public const double RefreshAt = 0.8;

    /// <summary>The shortest wait between two refreshes, so that a callback returning a token about to run out
    /// cannot make the loop spin.</summary>
    private static readonly TimeSpan s_minDelay = TimeSpan.FromMilliseconds(100);

    private readonly Func<CancellationToken, ValueTask<string>>? _refresher;
    private volatile Holder _current;

    public TokenKeeper(string? token, Func<CancellationToken, ValueTask<string>>? refresher)
    {
        _refresher = refresher;
        _current = new Holder(token, token is null ? null : ReadExpiry(token));
    }

    /// <summary>The token to present now (on a reconnect, the latest one); null: none.</summary>
    public string? Token => _current.Token;

    /// <summary>When the current token expires, as its <c>exp</c> or the server's <c>auth_result</c> says; null: unknown.</summary>
    public DateTimeOffset? ExpiresAt => _current.ExpiresAt;

    /// <summary>Whether there is a callback to refresh through.</summary>
    public bool CanRefresh => _refresher is not null;

    /// <summary>Reads <c>exp</c> from a JWT's payload without checking its signature; null when it has none or is no JWT.</summary>
    public static DateTimeOffset? ReadExpiry(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            return payload.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The server accepted the token sent last and says when it expires.</summary>
    public void Confirmed(long expiresAtNs)
    {
        var current = _current;
        _current = current with { ExpiresAt = DateTimeOffset.UnixEpoch.AddTicks(expiresAtNs / 100) };
    }

    /// <summary>Before a reconnect: a token that has run out (or is about to) is refreshed first, so the
    /// handshake carries a valid one. Without a callback, nothing.</summary>
    /// <exception cref="PriceFeedException">The callback failed: transient, so the reconnect is tried again later.</exception>
    public async Task EnsureFreshAsync(CancellationToken cancellationToken)
    {
        if (_refresher is not null && _current.ExpiresAt is { } expiresAt && expiresAt - DateTimeOffset.UtcNow < s_minDelay * 10)
        {
            try
            {
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new PriceFeedException($"The token ran out and {nameof(PriceFeedClientOptions.TokenRefresher)} failed: {ex.Message}", ex);
            }
        }
    }

    /// <summary>For one connection's life: at <see cref="RefreshAt"/> of the remaining lifetime, asks the callback for
    /// a new token and hands it to <paramref name="send"/> (as <c>auth</c>); again for each new token. A callback that
    /// fails is asked again at <see cref="RefreshAt"/> of what is left, until the token runs out and the server closes
    /// with 1008.</summary>
    public async Task RunAsync(Func<string, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        if (_refresher is null)
        {
            return;
        }

        try
        {
            while (true)
            {
                if (_current.ExpiresAt is not { } expiresAt)
                {
                    // No exp in the token: wait for the server's auth_result to say one.
                    await Task.Delay(s_minDelay * 10, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var remaining = expiresAt - DateTimeOffset.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    return;
                }

                var wait = remaining * RefreshAt;
                await Task.Delay(wait > s_minDelay ? wait : s_minDelay, cancellationToken).ConfigureAwait(false);
                string token;
                try
                {
                    token = await RefreshAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    continue;
                }

                await send(token, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The connection ended.
        }
    }

    private async Task<string> RefreshAsync(CancellationToken cancellationToken)
    {
        var token = await _refresher!(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(token))
        {
            throw new InvalidOperationException($"{nameof(PriceFeedClientOptions.TokenRefresher)} returned no token.");
        }

        _current = new Holder(token, ReadExpiry(token));
        return token;
    }

    private sealed record Holder(string? Token, DateTimeOffset? ExpiresAt);
}
