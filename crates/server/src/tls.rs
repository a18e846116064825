//! TLS with rustls (the `ring` provider): a certificate from PEM files, or
//! one made at start-up for localhost and the bind address. Over TCP, ALPN
//! offers `h2` and `http/1.1`; for QUIC (HTTP/3) a second configuration of
//! the same certificate offers `h3`, TLS 1.3 only, and no early data.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use teapot_wire::Transport;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, ServerConfig};

/// A TLS setup: the rustls configuration and the certificate's SHA-256
/// fingerprint (for people to compare).
#[derive(Clone, Debug)]
pub struct Tls {
    /// For the acceptor.
    pub config: Arc<ServerConfig>,
    /// For QUIC: TLS 1.3, ALPN `h3`, no 0-RTT.
    pub quic: Arc<ServerConfig>,
    /// `AB:CD:…`, of the leaf certificate.
    pub fingerprint: String,
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Tls, String> {
    let leaf = chain
        .first()
        .ok_or("the certificate file holds no certificate")?
        .clone();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain.clone(), key.clone_key())
        .map_err(|e| format!("the certificate and key do not go together: {e}"))?;
    // QUIC needs TLS 1.3; early data stays off (`max_early_data_size` 0),
    // so no request arrives in a replayable 0-RTT flight.
    let mut quic = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not go together: {e}"))?;
    quic.alpn_protocols = vec![b"h3".to_vec()];
    // HTTP/2 first, as clients that offer both expect (RFC 9113 §3.2).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let fingerprint = Sha256::digest(leaf.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    Ok(Tls {
        config: Arc::new(config),
        quic: Arc::new(quic),
        fingerprint,
    })
}

/// A certificate chain and private key from PEM files.
pub fn from_files(cert: &Path, key: &Path) -> Result<Tls, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("cannot read {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read a private key from {}: {e}", key.display()))?;
    server_config(chain, key)
}

/// A self-signed certificate for `names` (host names or IP addresses).
pub fn self_signed(names: Vec<String>) -> Result<Tls, String> {
    let made = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    server_config(vec![made.cert.der().clone()], key)
}

/// A certificate for `names` issued by a certificate authority made here
/// and now, and that authority's certificate in PEM: for a client that is
/// to trust this server by the usual means (a CA bundle), which a
/// self-signed leaf does not serve everywhere (webpki takes no end-entity
/// certificate as its own anchor).
pub fn with_authority(names: Vec<String>) -> Result<(Tls, String), String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let fail = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate().map_err(fail)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "teapot grade authority");
    let ca_cert = ca.self_signed(&ca_key).map_err(fail)?;
    let leaf_key = KeyPair::generate().map_err(fail)?;
    let mut leaf = CertificateParams::new(names).map_err(fail)?;
    leaf.distinguished_name.push(DnType::CommonName, "teapot");
    let issuer = Issuer::new(ca, ca_key);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(fail)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let tls = server_config(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)?;
    Ok((tls, ca_cert.pem()))
}

/// A TLS connection the engine can serve.
pub struct TlsIo(pub tokio_rustls::server::TlsStream<TcpStream>);

impl AsyncRead for TlsIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    // HTTP/2 hands a frame's head and its payload over together when the
    // transport takes vectored writes, so they go out in one TLS record.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl Transport for TlsIo {
    fn prepare_reset(&mut self) {
        let _ = self.0.get_ref().0.set_zero_linger();
    }

    fn is_secure(&self) -> bool {
        true
    }
}

impl TlsIo {
    /// Whether the client and server agreed on HTTP/2 by ALPN.
    pub fn is_h2(&self) -> bool {
        self.0.get_ref().1.alpn_protocol() == Some(b"h2")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_certificates_load() {
        let tls = self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        assert_eq!(tls.fingerprint.len(), 32 * 3 - 1);
        assert_eq!(
            tls.config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn a_client_that_trusts_the_authority_trusts_the_server() {
        use rustls::pki_types::ServerName;
        let (tls, ca_pem) = with_authority(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let handshake = |name: &'static str| {
            let name = ServerName::try_from(name).unwrap();
            let mut c = rustls::ClientConnection::new(Arc::new(client.clone()), name).unwrap();
            let mut s = rustls::ServerConnection::new(tls.config.clone()).unwrap();
            while c.is_handshaking() || s.is_handshaking() {
                let mut buf = Vec::new();
                c.write_tls(&mut buf).unwrap();
                s.read_tls(&mut &buf[..]).unwrap();
                s.process_new_packets().map_err(|e| e.to_string())?;
                buf.clear();
                s.write_tls(&mut buf).unwrap();
                c.read_tls(&mut &buf[..]).unwrap();
                c.process_new_packets().map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        };
        handshake("localhost").unwrap();
        handshake("127.0.0.1").unwrap();
        // A name the certificate does not carry is refused.
        assert!(handshake("example.com").is_err());
    }

    #[test]
    fn files_that_are_not_pem_are_refused() {
        let dir = std::env::temp_dir().join(format!("teapot-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        assert!(from_files(&junk, &junk).is_err());
        assert!(from_files(&dir.join("missing.pem"), &junk)
            .unwrap_err()
            .contains("cannot read"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
