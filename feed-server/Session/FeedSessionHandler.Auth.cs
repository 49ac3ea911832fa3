using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using PriceFeed.Protocol.V1;
using PriceFeed.Server.Codecs.WebSockets;
using PriceFeed.Server.Metrics;
using PriceFeed.Server.Security;

namespace PriceFeed.Server.Session;

// The token-refresh use case (docs/protocol.md, "Token refresh"): a client sends auth{token} before its token expires.
// A valid token for the same user extends the connection and brings its entitlements; anything else closes with 1008
// and changes nothing. Event loop only.
internal sealed partial class FeedSessionHandler
{
    /// <summary>What a server without <c>--auth-secret</c> answers to <c>auth</c>; the connection stays open.</summary>
    public const string NoTokensMessage = "this server takes no tokens";

    private void OnAuth(IChannelHandlerContext context, Auth request)
    {
        var tokens = _sessions.Options.Tokens;
        if (tokens is null)
        {
            // Code 0: no close follows (docs/protocol.md, "Error").
            Send(new ServerMessage { Error = new Error { Code = 0, Message = NoTokensMessage } });
            return;
        }

        // On an open connection a token gets no clock-skew allowance: its exp must be ahead by the server's clock.
        var check = tokens.ValidateAsync(request.Token, withClockSkew: false);
        if (check.IsCompleted)
        {
            // The usual case (HS256 needs no key fetch): answered before the client's next message is read.
            OnAuthChecked(check);
            return;
        }

        check.ContinueWith(
            static (done, state) => ((FeedSessionHandler)state!).OnAuthChecked(done),
            this,
            CancellationToken.None,
            TaskContinuationOptions.None,
            new ExecutorTaskScheduler(context.Executor));
    }

    private void OnAuthChecked(Task<TokenCheck> check)
    {
        if (_context is null || !_context.Channel.Active)
        {
            return;
        }

        if (!check.IsCompletedSuccessfully)
        {
            // Only the exception's type: a message about a token may quote it.
            _sessions.Logger.LogWarning(
                "Token check failed on {Remote} ({Error}); closing with 1008",
                _context.Channel.RemoteAddress,
                check.Exception?.GetBaseException().GetType().Name);
            Deny(MetricLabels.InvalidToken, "invalid token");
            return;
        }

        var result = check.Result;
        switch (result.Status)
        {
            case TokenStatus.Expired:
                Deny(MetricLabels.ExpiredToken, "token expired");
                break;
            case TokenStatus.Valid when result.Identity!.Subject is { } subject && subject == _identity.Subject:
                Extend(_context, result.Identity);
                break;
            case TokenStatus.Valid:
                Deny(MetricLabels.OtherSubject, "token for another user");
                break;
            default:
                Deny(MetricLabels.InvalidToken, "invalid token");
                break;
        }
    }

    /// <summary>The same user with a fresh token: a new deadline, the new entitlements, and what they no longer cover
    /// dropped and reported in a <c>subscribe_result</c> with <c>request_id</c> 0.</summary>
    private void Extend(IChannelHandlerContext context, ClientIdentity identity)
    {
        var expiresAt = identity.ValidUntil!.Value;
        _identity = identity;
        ScheduleExpiry(context, expiresAt);
        var dropped = _sessions.Subscriptions.ChangeEntitlements(Session, identity.Entitlements);
        _sessions.Logger.LogDebug(
            "Token refreshed for {Subject} from {Remote}, symbols {Entitlements}, until {ValidUntil:O}; {Dropped} symbols dropped",
            identity.Subject, context.Channel.RemoteAddress, identity.Entitlements, expiresAt, dropped.Count);

        Send(new ServerMessage { AuthResult = new AuthResult { ExpiresAtNs = (expiresAt - DateTimeOffset.UnixEpoch).Ticks * 100 } });
        if (dropped.Count > 0)
        {
            Send(new ServerMessage { SubscribeResult = new SubscribeResult { RequestId = 0, Rejected = { dropped } } });
        }
    }

    /// <summary>A refused refresh: counted, logged without the token, closed with 1008; the session keeps its
    /// identity, entitlements and subscriptions until the close.</summary>
    private void Deny(string reason, string closeReason)
    {
        _sessions.Metrics.AccessDenied.WithLabels(reason).Inc();
        _sessions.Logger.LogInformation("Token refresh on {Remote} refused: {Reason}; closing with 1008", _context?.Channel.RemoteAddress, reason);
        Close(WebSocketCloseStatus.PolicyViolation, closeReason);
    }
}
