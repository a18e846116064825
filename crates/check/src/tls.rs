//! The TLS client: rustls with the `ring` provider, the Mozilla roots of
//! `webpki-roots`, ALPN `h2` and/or `http/1.1` (or `h3` and TLS 1.3 only,
//! for QUIC); or, with `-k`, a verifier that accepts any certificate (and
//! still checks handshake signatures).

use std::sync::{Arc, OnceLock};

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{
    ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
};

use crate::CheckError;

/// The protocols offered by ALPN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alpn {
    /// `http/1.1` only.
    Http1,
    /// `h2`, then `http/1.1`.
    Both,
    /// `h2` only.
    Http2,
    /// `h3`, for QUIC: TLS 1.3 only.
    Http3,
}

impl Alpn {
    fn protocols(self) -> Vec<Vec<u8>> {
        match self {
            Alpn::Http1 => vec![b"http/1.1".to_vec()],
            Alpn::Both => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            Alpn::Http2 => vec![b"h2".to_vec()],
            Alpn::Http3 => vec![b"h3".to_vec()],
        }
    }
}

/// The client configuration; `insecure` accepts any certificate. Each
/// combination is built once and shared.
pub fn client_config(insecure: bool, alpn: Alpn) -> Arc<ClientConfig> {
    static CONFIGS: [OnceLock<Arc<ClientConfig>>; 8] = [const { OnceLock::new() }; 8];
    let slot = &CONFIGS[usize::from(insecure) * 4 + alpn as usize];
    slot.get_or_init(|| build(insecure, alpn)).clone()
}

fn build(insecure: bool, alpn: Alpn) -> Arc<ClientConfig> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone());
    let builder = if alpn == Alpn::Http3 {
        builder.with_protocol_versions(&[&tokio_rustls::rustls::version::TLS13])
    } else {
        builder.with_safe_default_protocol_versions()
    }
    .expect("the ring provider supports TLS 1.2 and 1.3");
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = alpn.protocols();
    Arc::new(config)
}

/// The name to ask for (SNI) and verify: a DNS name or an IP address.
pub fn server_name(host: &str) -> Result<ServerName<'static>, CheckError> {
    ServerName::try_from(host.to_string())
        .map_err(|_| CheckError::Usage(format!("{host:?} is not a host name for TLS")))
}

/// `-k`: any certificate, any name; signatures are still checked.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
