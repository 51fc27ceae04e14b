import NIOSSL

/// `wss://`: the simulator serves TLS when given a PEM certificate chain and key (tests use a
/// self-signed one to check that the router refuses what it cannot verify).
extension SimulatorConfiguration {
    /// Thrown when only one of the certificate and the key is given.
    public struct IncompleteTLS: Error, CustomStringConvertible {
        public var description: String { "TLS needs both a certificate chain and a private key (PEM files)" }
    }

    /// The server TLS configuration, or nil for plain `ws://`.
    func tlsServerConfiguration() throws -> TLSConfiguration? {
        switch (tlsCertificateFile, tlsKeyFile) {
        case (nil, nil):
            return nil
        case (let certificate?, let key?):
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        default:
            throw IncompleteTLS()
        }
    }
}
