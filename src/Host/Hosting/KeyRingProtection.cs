using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;

namespace Commerce.Host.Hosting;

/// <summary>
/// The token key ring (<c>platform.data_protection_keys</c>) encrypted at rest with the certificate in
/// <c>Commerce:DataProtection:CertificatePath</c> (a PKCS#12/PFX file with its private key; its password in
/// <c>CertificatePassword</c>). Every instance needs the same certificate. Without one the keys are stored as plain XML,
/// and every start says so.
/// </summary>
internal static class KeyRingProtection
{
    public const string Section = "Commerce:DataProtection";

    public static IServiceCollection AddCommerceKeyRingProtection(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration[$"{Section}:CertificatePath"] is not { Length: > 0 } path)
        {
            services.AddHostedService<UnencryptedKeyRingWarning>();
            return services;
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, configuration[$"{Section}:CertificatePassword"]);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{Section}:CertificatePath: cannot read a PFX certificate from {path} ({e.Message}).", e);
        }

        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"{Section}:CertificatePath: {path} has no private key; the key ring could not be read back.");
        }

        services.AddDataProtection()
            .ProtectKeysWithCertificate(certificate)
            // Read with the certificate itself, not looked up by thumbprint in a machine store (there is none on Linux).
            .UnprotectKeysWithAnyCertificate(certificate);
        return services;
    }

    private sealed class UnencryptedKeyRingWarning(ILogger<UnencryptedKeyRingWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogWarning("The token key ring is stored unencrypted in platform.data_protection_keys: set {Setting} to a PFX certificate " +
                "(and {Password}) to encrypt it at rest. Keys written before that stay readable.",
                $"{Section}:CertificatePath", $"{Section}:CertificatePassword");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
