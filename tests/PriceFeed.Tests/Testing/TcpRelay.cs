using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace PriceFeed.Tests.Testing;

/// <summary>A TCP relay on 127.0.0.1 in front of a server, so a test can cut a client off while the server
/// keeps running and its quotes keep flowing (a network blip, not a server restart).</summary>
/// <remarks><see cref="Cut"/> resets every relayed connection and refuses new ones (accepts, then resets) until
/// <see cref="Restore"/>. <see cref="Stall"/> stops relaying bytes, both ways, without closing anything, as a congested
/// path does (the server's socket fills and the client sees nothing), until <see cref="Unstall"/>. Thread-safe.</remarks>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _cut;
    private volatile TaskCompletionSource? _stalled;

    public TcpRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public Uri WsUri => new($"ws://127.0.0.1:{Port}/ws");

    /// <summary>Resets every relayed connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (var socket in _open.Keys)
        {
            Reset(socket);
        }
    }

    public void Restore() => _cut = false;

    /// <summary>Stops relaying (no byte passes either way; the connections stay open) until <see cref="Unstall"/>.</summary>
    public void Stall() => _stalled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Relays again what waited.</summary>
    public void Unstall()
    {
        var stalled = _stalled;
        _stalled = null;
        stalled?.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped, as asked.
        }

        _stop.Dispose();
    }

    private static void Reset(Socket socket)
    {
        try
        {
            // Linger 0: close sends RST, as a dropped network path looks to the client at its next read.
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
            // Closed already.
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            if (_cut)
            {
                Reset(client);
                continue;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }
            catch (SocketException)
            {
                Reset(client);
                server.Dispose();
                continue;
            }

            _open[client] = 0;
            _open[server] = 0;
            _ = PumpAsync(client, server);
            _ = PumpAsync(server, client);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                if (_stalled is { } stalled)
                {
                    await stalled.Task;
                }

                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // One side was reset or cut: take the other down with it.
            Reset(from);
            Reset(to);
        }
        finally
        {
            _open.TryRemove(from, out _);
        }
    }
}
