//! Built-in HTTPS: rustls (ring provider) with TLS 1.2 and 1.3 only, the
//! certificate chain and key from PEM files, and the HSTS header that every
//! response carries while TLS is on.

use crate::config::TlsFiles;
use axum::{
    body::Body,
    http::{header, HeaderValue, Request},
    middleware::Next,
    response::Response,
};
use std::{io, net::SocketAddr, path::Path, sync::Arc, time::Duration};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::mpsc,
    task::JoinHandle,
};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    },
    server::TlsStream,
    TlsAcceptor,
};

/// One year, subdomains included. Sent only over TLS: over plain HTTP a
/// browser ignores it, and a local development server must stay reachable.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// A client that opens a connection and never finishes the handshake is
/// dropped after this long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Adds `Strict-Transport-Security` to every response, errors included.
pub async fn hsts(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    response
}

/// Reads the PEM certificate chain and private key and builds the server's
/// TLS configuration. A file that cannot be read or parsed, or a key that
/// does not belong to the certificate, is an error naming the file.
pub fn server_config(files: &TlsFiles) -> io::Result<Arc<rustls::ServerConfig>> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid(&files.cert, "AMBULA_TLS_CERT", &e.to_string()))?;
    if certs.is_empty() {
        return Err(invalid(&files.cert, "AMBULA_TLS_CERT", "no PEM CERTIFICATE block found"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| invalid(&files.key, "AMBULA_TLS_KEY", &format!("no usable PEM private key: {e}")))?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| io::Error::other(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "TLS certificate {} (AMBULA_TLS_CERT) and key {} (AMBULA_TLS_KEY) cannot be used together: {e}",
                    files.cert.display(),
                    files.key.display()
                ),
            )
        })?;
    // axum serves HTTP/1.1 here (its http2 feature is off).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn invalid(path: &Path, setting: &str, detail: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{setting} {}: {detail}", path.display()))
}

/// A listener for `axum::serve` that hands out connections whose TLS
/// handshake has completed. Handshakes run in their own tasks, so a slow or
/// silent client cannot hold up accepting others. Dropping the listener (as
/// graceful shutdown does) stops accepting and abandons pending handshakes.
pub struct TlsListener {
    local_addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    acceptor: JoinHandle<()>,
}

impl TlsListener {
    /// Must be called inside a Tokio runtime: it starts accepting at once.
    pub fn new(mut tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> io::Result<Self> {
        let local_addr = tcp.local_addr()?;
        let tls = TlsAcceptor::from(config);
        let (sender, ready) = mpsc::channel(64);
        let acceptor = tokio::spawn(async move {
            loop {
                // axum's own accept loop: retries, and backs off when out of
                // file descriptors.
                let (stream, remote) = axum::serve::Listener::accept(&mut tcp).await;
                let (tls, sender) = (tls.clone(), sender.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let _ = sender.send((stream, remote)).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%remote, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { local_addr, ready, acceptor })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // Only if the accepting task died; nothing more will come.
            None => {
                tracing::error!("the TLS accept loop stopped");
                std::future::pending().await
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}
