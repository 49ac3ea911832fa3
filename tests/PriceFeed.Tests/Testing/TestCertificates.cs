using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PriceFeed.Tests.Testing;

/// <summary>Self-signed certificates made in-process for the TLS tests: no files to ship, nothing to expire in the repository.</summary>
internal static class TestCertificates
{
    /// <summary>A server certificate for 127.0.0.1 and localhost (ECDSA P-256), valid for a day, with its private key.</summary>
    public static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=pricefeed-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>Writes <paramref name="certificate"/> as a PEM certificate file and a PEM PKCS#8 key file in a new temporary folder.</summary>
    public static (string CertPath, string KeyPath, string Folder) WritePem(X509Certificate2 certificate)
    {
        var folder = Directory.CreateTempSubdirectory("pricefeed-tls-").FullName;
        var certPath = Path.Combine(folder, "server.crt");
        var keyPath = Path.Combine(folder, "server.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath, folder);
    }

    /// <summary>Accepts exactly <paramref name="expected"/>, as a client pinning the test's self-signed certificate.</summary>
    public static bool IsExpected(X509Certificate? presented, X509Certificate2 expected) =>
        presented is not null && presented.GetCertHashString(HashAlgorithmName.SHA256) == expected.GetCertHashString(HashAlgorithmName.SHA256);
}
