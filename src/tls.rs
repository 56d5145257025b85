//! One TLS configuration for a run: the suite's `tls:` block or the command line's flags
//! ([`TlsOptions`]) built once into a rustls client configuration ([`Tls`]) that the measured
//! connections and reqwest's clients (fixtures, Rust fixtures, cookie-jar users) share.
//!
//! The root store is the Mozilla roots (`webpki-roots`, as reqwest's own) plus the CA bundle
//! given; a client certificate is offered when one is given (mutual TLS). ALPN offers
//! `http/1.1` only: loadgate measures HTTP/1.1, and a server that speaks only HTTP/2 refuses
//! the handshake (or answers in HTTP/2), which [`readable`] and the response reader put in words.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};

/// What the response reader and the TLS errors say when the server speaks only HTTP/2.
pub const HTTP2_ONLY: &str = "the server speaks only HTTP/2; loadgate measures HTTP/1.1";

/// TLS settings as given: a suite's `tls:` block, or `--cacert`, `--cert`, `--key`,
/// `--insecure` and `--servername` on the command line. Paths are as they are to be opened
/// (a suite's are already joined to its folder).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsOptions {
    /// A PEM bundle of CA certificates trusted besides the Mozilla roots.
    pub ca: Option<PathBuf>,
    /// A PEM client certificate chain, offered to servers that ask for one.
    pub cert: Option<PathBuf>,
    /// The PEM private key of `cert`.
    pub key: Option<PathBuf>,
    /// Accept any server certificate (nothing is verified); recorded in the run's facts.
    pub insecure: bool,
    /// The name the server's certificate is verified against (and, on measured connections,
    /// sent as SNI) instead of the URL's host.
    pub server_name: Option<String>,
}

impl TlsOptions {
    /// These options with each one `over` sets put in their place (the command line's over a
    /// suite's).
    pub fn overridden_by(&self, over: &TlsOptions) -> TlsOptions {
        TlsOptions {
            ca: over.ca.clone().or_else(|| self.ca.clone()),
            cert: over.cert.clone().or_else(|| self.cert.clone()),
            key: over.key.clone().or_else(|| self.key.clone()),
            insecure: self.insecure || over.insecure,
            server_name: over
                .server_name
                .clone()
                .or_else(|| self.server_name.clone()),
        }
    }

    /// True when nothing is set: the defaults.
    pub fn is_default(&self) -> bool {
        *self == TlsOptions::default()
    }
}

/// A TLS configuration built from [`TlsOptions`], shared by a target's clients and connections.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The rustls client configuration: roots, client certificate, ALPN `http/1.1`.
    pub config: Arc<ClientConfig>,
    /// The server name to present and verify instead of the URL's host.
    pub server_name: Option<ServerName<'static>>,
    /// Server certificates are not verified.
    pub insecure: bool,
}

impl Tls {
    /// The configuration `options` describe; an error names the file and what is wrong with it.
    pub fn new(options: &TlsOptions) -> Result<Tls, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = &options.ca {
            let certs = certificates(path, "tls.ca")?;
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    format!(
                        "tls.ca `{}`: not a usable CA certificate: {e}",
                        path.display()
                    )
                })?;
            }
        }
        let server_name = match &options.server_name {
            Some(name) => Some(ServerName::try_from(name.clone()).map_err(|_| {
                format!("tls.server_name `{name}` is not a valid DNS name or IP address")
            })?),
            None => None,
        };
        let verifier: Arc<dyn ServerCertVerifier> = if options.insecure {
            Arc::new(Unverified(Arc::clone(&provider)))
        } else {
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()
                    .map_err(|e| format!("cannot set up certificate verification: {e}"))?;
            match &server_name {
                Some(name) => Arc::new(Renamed {
                    inner: webpki,
                    name: name.clone(),
                }),
                None => webpki,
            }
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match (&options.cert, &options.key) {
            (Some(cert), Some(key)) => {
                let chain = certificates(cert, "tls.cert")?;
                let private = private_key(key)?;
                builder.with_client_auth_cert(chain, private).map_err(|e| {
                    format!(
                        "tls.cert `{}` and tls.key `{}` do not make a client certificate: {e}",
                        cert.display(),
                        key.display()
                    )
                })?
            }
            (None, None) => builder.with_no_client_auth(),
            (Some(_), None) => {
                return Err("tls.cert is given without tls.key (--cert needs --key)".into())
            }
            (None, Some(_)) => {
                return Err("tls.key is given without tls.cert (--key needs --cert)".into())
            }
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            config: Arc::new(config),
            server_name,
            insecure: options.insecure,
        })
    }

    /// The defaults (Mozilla roots, no client certificate), built once per process.
    pub fn shared_default() -> Arc<Tls> {
        static DEFAULT: OnceLock<Arc<Tls>> = OnceLock::new();
        Arc::clone(DEFAULT.get_or_init(|| {
            Arc::new(Tls::new(&TlsOptions::default()).expect("the default TLS configuration"))
        }))
    }

    /// The name to present for a connection to `host` (a URL's host, `[::1]` as written).
    pub fn name_for(&self, host: &str) -> Result<ServerName<'static>, String> {
        if let Some(name) = &self.server_name {
            return Ok(name.clone());
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        ServerName::try_from(bare.to_string())
            .map_err(|_| format!("`{host}` is not a valid TLS server name"))
    }
}

/// Every PEM certificate in the file at `path`; at least one.
fn certificates(path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read(path, key)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{key} `{}`: not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{key} `{}`: no certificate in it (expected PEM `-----BEGIN CERTIFICATE-----` blocks)",
            path.display()
        ));
    }
    Ok(certs)
}

/// The first PEM private key (PKCS#8, PKCS#1 or SEC1) in the file at `path`.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = read(path, "tls.key")?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        let why = match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no private key in it (expected a PEM `-----BEGIN ... PRIVATE KEY-----` block)"
                    .to_string()
            }
            other => format!("not a valid PEM private key: {other}"),
        };
        format!("tls.key `{}`: {why}", path.display())
    })
}

fn read(path: &Path, key: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{key} `{}`: cannot read it: {e}", path.display()))
}

/// Verifies the server's certificate for a given name rather than the URL's host.
#[derive(Debug)]
struct Renamed {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for Renamed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts any server certificate (`insecure`); the handshake's signatures are still checked,
/// so the connection is encrypted, only not authenticated.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
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
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
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

/// A rustls error in words a person acts on.
pub fn readable(error: &rustls::Error) -> String {
    use rustls::Error as E;
    match error {
        E::InvalidCertificate(cert) => certificate(cert),
        E::AlertReceived(AlertDescription::NoApplicationProtocol) | E::NoApplicationProtocol => {
            HTTP2_ONLY.to_string()
        }
        E::AlertReceived(AlertDescription::CertificateRequired) => {
            "the server requires a client certificate: pass one with tls.cert and tls.key \
             (--cert and --key)"
                .to_string()
        }
        E::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
            | AlertDescription::AccessDenied),
        ) => format!(
            "the server rejected the client certificate ({alert:?}): check tls.cert and tls.key \
             (--cert and --key) against the CA the server trusts"
        ),
        E::AlertReceived(AlertDescription::HandshakeFailure) => {
            "the TLS handshake failed: the server accepted none of the protocol versions or \
             cipher suites offered (or wanted a client certificate)"
                .to_string()
        }
        E::AlertReceived(alert) => format!("the server ended the TLS handshake ({alert:?})"),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } => {
            "the server did not answer in TLS: is it plain HTTP? (use an http:// URL)".to_string()
        }
        other => format!("TLS failed: {other}"),
    }
}

fn certificate(error: &CertificateError) -> String {
    use CertificateError as C;
    match error {
        C::UnknownIssuer | C::BadSignature => {
            "the server's certificate is not trusted (self-signed or unknown CA): pass its CA \
             with tls.ca / --cacert, or tls.insecure / --insecure to skip verification"
                .to_string()
        }
        C::NotValidForName => "the server's certificate is not valid for the name connected \
                               to: use a name it lists, or set tls.server_name / --servername"
            .to_string(),
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            let names = if presented.is_empty() {
                "no name".to_string()
            } else {
                presented.join(", ")
            };
            format!(
                "the server's certificate is not valid for `{}` (it is for {names}): use a \
                 name it lists, or set tls.server_name / --servername",
                server_name(expected)
            )
        }
        C::Expired | C::ExpiredContext { .. } => "the server's certificate has expired".to_string(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet (is this machine's clock right?)".to_string()
        }
        C::Revoked => "the server's certificate has been revoked".to_string(),
        other => format!("the server's certificate was rejected: {other:?}"),
    }
}

fn server_name(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(dns) => dns.as_ref().to_string(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// The TLS error inside an I/O error, in words (see [`readable`]), if there is one.
pub fn readable_io(error: &std::io::Error) -> Option<String> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(readable)
}

/// The TLS error somewhere in `error`'s chain of sources, in words. An I/O error is looked
/// into (it passes over the error it holds when asked for its source); an error that wraps the
/// TLS error out of reach (as a client library's connect error may) is recognised by its text.
pub fn readable_in(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source = Some(error);
    while let Some(inner) = source {
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return Some(readable(tls));
        }
        if let Some(text) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|held| readable_in(held))
        {
            return Some(text);
        }
        if inner.source().is_none() {
            return readable_text(&inner.to_string());
        }
        source = inner.source();
    }
    None
}

/// The TLS error a message shows, recognised by rustls's wording of it.
fn readable_text(text: &str) -> Option<String> {
    use rustls::Error as E;
    use AlertDescription as A;
    use CertificateError as C;
    let known = [
        E::InvalidCertificate(C::UnknownIssuer),
        E::InvalidCertificate(C::BadSignature),
        E::InvalidCertificate(C::NotValidForName),
        E::InvalidCertificate(C::Expired),
        E::InvalidCertificate(C::NotValidYet),
        E::InvalidCertificate(C::Revoked),
        E::AlertReceived(A::NoApplicationProtocol),
        E::AlertReceived(A::CertificateRequired),
        E::AlertReceived(A::HandshakeFailure),
        E::AlertReceived(A::BadCertificate),
        E::AlertReceived(A::UnknownCA),
        E::AlertReceived(A::CertificateUnknown),
    ];
    if let Some(error) = known.iter().find(|e| text.contains(&e.to_string())) {
        return Some(readable(error));
    }
    let certificate = |error| Some(readable(&E::InvalidCertificate(error)));
    if text.contains("certificate not valid for name") {
        certificate(C::NotValidForName)
    } else if text.contains("certificate expired") {
        certificate(C::Expired)
    } else if text.contains("certificate not valid yet") {
        certificate(C::NotValidYet)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_wins_and_insecure_adds_up() {
        let suite = TlsOptions {
            ca: Some("a.pem".into()),
            server_name: Some("api".into()),
            ..TlsOptions::default()
        };
        let flags = TlsOptions {
            ca: Some("b.pem".into()),
            insecure: true,
            ..TlsOptions::default()
        };
        let merged = suite.overridden_by(&flags);
        assert_eq!(merged.ca, Some(PathBuf::from("b.pem")));
        assert_eq!(merged.server_name.as_deref(), Some("api"));
        assert!(merged.insecure);
        assert!(TlsOptions::default().is_default() && !merged.is_default());
    }

    #[test]
    fn bad_files_name_the_path_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = Tls::new(&TlsOptions {
            ca: Some(missing.clone()),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(e.starts_with(&format!("tls.ca `{}`: cannot read it", missing.display())));
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let e = Tls::new(&TlsOptions {
            ca: Some(junk.clone()),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(e.contains("no certificate in it"), "{e}");
        let e = Tls::new(&TlsOptions {
            cert: Some(junk.clone()),
            key: Some(junk.clone()),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(e.starts_with("tls.cert `"), "{e}");
        let e = Tls::new(&TlsOptions {
            cert: Some(junk),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(e.contains("without tls.key"), "{e}");
        let e = Tls::new(&TlsOptions {
            server_name: Some("bad name!".into()),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(e.contains("not a valid DNS name"), "{e}");
    }

    #[test]
    fn the_defaults_offer_http1_only() {
        let tls = Tls::shared_default();
        assert_eq!(tls.config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        assert!(!tls.insecure);
        assert!(tls.name_for("[::1]").is_ok());
        assert!(tls.name_for("api.example").is_ok());
    }

    #[test]
    fn errors_read_as_what_to_do() {
        let untrusted = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(readable(&untrusted).contains("--cacert"));
        let h2 = rustls::Error::AlertReceived(AlertDescription::NoApplicationProtocol);
        assert_eq!(readable(&h2), HTTP2_ONLY);
        let expired = rustls::Error::InvalidCertificate(CertificateError::Expired);
        assert!(readable(&expired).contains("expired"));
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, untrusted);
        assert!(readable_io(&io).unwrap().contains("not trusted"));
        // As a client library may pass it on: only its text.
        let wrapped = std::io::Error::other(format!("connect: {}", io));
        assert!(readable_in(&wrapped).unwrap().contains("not trusted"));
        let plain = std::io::Error::other("connection reset");
        assert_eq!(readable_in(&plain), None);
    }
}
