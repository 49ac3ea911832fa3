using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PriceFeed.Server.Security;

/// <summary>Loads the server certificate of <c>--tls-cert</c> and <c>--tls-key</c>.</summary>
internal static class TlsCertificates
{
    /// <summary>Loads a PKCS#12 file (<c>.pfx</c>, <c>.p12</c>: its key inside, no password) or a PEM certificate
    /// whose key is in <paramref name="keyPath"/> (or in the same PEM file when null).</summary>
    /// <param name="certPath">The <c>--tls-cert</c> file.</param>
    /// <param name="keyPath">The <c>--tls-key</c> file, or null.</param>
    /// <param name="certificate">The certificate with its private key, on success.</param>
    /// <param name="faultyOption">On failure, the option to fix: <c>tls-cert</c> or <c>tls-key</c>.</param>
    /// <param name="error">On failure, what is wrong, for the user.</param>
    public static bool TryLoad(
        string certPath,
        string? keyPath,
        [NotNullWhen(true)] out X509Certificate2? certificate,
        out string faultyOption,
        out string error)
    {
        ArgumentNullException.ThrowIfNull(certPath);
        certificate = null;
        faultyOption = "tls-cert";
        var isPkcs12 = certPath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase)
            || certPath.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
        if (isPkcs12 && keyPath is not null)
        {
            faultyOption = "tls-key";
            error = $"'{certPath}' is a PFX, which holds its own key: leave --tls-key out.";
            return false;
        }

        X509Certificate2 loaded;
        try
        {
            loaded = isPkcs12
                ? X509CertificateLoader.LoadPkcs12FromFile(certPath, password: null)
                : X509Certificate2.CreateFromPemFile(certPath, keyPath);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            var files = keyPath is null ? $"'{certPath}'" : $"'{certPath}' and '{keyPath}'";
            error = $"cannot load a certificate with its private key from {files}: {ex.Message}";
            return false;
        }

        if (!loaded.HasPrivateKey)
        {
            loaded.Dispose();
            error = $"'{certPath}' holds no private key; give the key file with --tls-key.";
            return false;
        }

        certificate = loaded;
        error = string.Empty;
        return true;
    }
}
