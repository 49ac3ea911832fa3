using System.Net;
using System.Net.Sockets;

namespace PriceFeed.ReconnectStorm;

/// <summary>
/// The smallest TCP load balancer for a failover: each new connection goes to the primary node while it accepts, else
/// to the standby, and its bytes are relayed both ways (as nginx's stream or HTTP upgrade proxying would).
/// </summary>
internal sealed class LoadBalancer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _primary;
    private readonly int _standby;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public LoadBalancer(int primaryPort, int standbyPort)
    {
        _primary = primaryPort;
        _standby = standbyPort;
        _listener.Start(8192);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
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

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var upstream = await ConnectAsync(_primary) ?? await ConnectAsync(_standby);
        if (upstream is null)
        {
            client.Dispose();
            return;
        }

        client.NoDelay = true;
        await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
        client.Dispose();
        upstream.Dispose();
    }

    private static async Task<Socket?> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // One side went away: the other follows when its own pump ends.
            from.Dispose();
            to.Dispose();
        }
    }
}
