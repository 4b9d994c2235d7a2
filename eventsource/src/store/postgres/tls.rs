//! TLS on the store's connections, as libpq's `sslmode` and `sslrootcert` settings say:
//! the pool's connections and the notification connections alike.
//!
//! | `sslmode` | without the `postgres-tls` feature | with it |
//! | --- | --- | --- |
//! | `disable` | no TLS | no TLS |
//! | `prefer` (the default) | no TLS | TLS when the server offers it, without verifying its certificate (as libpq; verified as for `verify-ca` when `sslrootcert` is given) |
//! | `require` | refused ([`Error::Config`]) | TLS, the certificate not verified (verified as for `verify-ca` when `sslrootcert` is given) |
//! | `verify-ca` | refused | TLS; the certificate must chain to one in `sslrootcert` |
//! | `verify-full` | refused | as `verify-ca`, and the certificate must name the host |

use crate::error::{ConfigKind, Error, Result};
use std::path::PathBuf;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            "allow" => {
                return Err(Error::config(
                    ConfigKind::Connection,
                    "sslmode=allow is not supported: use prefer, require, verify-ca or verify-full",
                ));
            }
            other => {
                return Err(Error::config(
                    ConfigKind::Connection,
                    format!(
                        "invalid sslmode {other:?} in the PostgreSQL connection string: expected \
                     disable, prefer, require, verify-ca or verify-full"
                    ),
                ));
            }
        })
    }

    /// What `tokio_postgres` is told: it knows only disable, prefer and require.
    fn for_driver(self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Driver;
        match self {
            SslMode::Disable => Driver::Disable,
            SslMode::Prefer => Driver::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Driver::Require,
        }
    }

    fn from_driver(mode: tokio_postgres::config::SslMode) -> Self {
        use tokio_postgres::config::SslMode as Driver;
        match mode {
            Driver::Disable => SslMode::Disable,
            Driver::Require => SslMode::Require,
            _ => SslMode::Prefer,
        }
    }
}

/// The TLS settings of a connection string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TlsSettings {
    pub(super) mode: SslMode,
    /// `sslrootcert`: a PEM file of the certificates a server's must chain to.
    pub(super) root_cert: Option<PathBuf>,
}

impl TlsSettings {
    /// The settings a `tokio_postgres` configuration carries (its `ssl_mode`).
    pub(super) fn of_driver_config(config: &tokio_postgres::Config) -> Self {
        TlsSettings {
            mode: SslMode::from_driver(config.get_ssl_mode()),
            root_cert: None,
        }
    }
}

/// Parses a libpq connection string (a `postgres://` URL or `key=value` pairs): the
/// `tokio_postgres` configuration, with `sslmode` as it understands it and without
/// `sslrootcert`, which it does not know, and the TLS settings.
pub(super) fn parse(url: &str) -> Result<(tokio_postgres::Config, TlsSettings)> {
    let (rest, settings) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        split_url(url)?
    } else {
        split_pairs(url)?
    };
    let mut config = rest.parse::<tokio_postgres::Config>().map_err(|e| {
        Error::config(
            ConfigKind::Connection,
            format!("invalid PostgreSQL connection string: {e}"),
        )
    })?;
    config.ssl_mode(settings.mode.for_driver());
    Ok((config, settings))
}

/// A URL: `sslmode` and `sslrootcert` taken out of its query.
fn split_url(url: &str) -> Result<(String, TlsSettings)> {
    let mut settings = TlsSettings {
        mode: SslMode::Prefer,
        root_cert: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), settings));
    };
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslmode", value)) => settings.mode = SslMode::parse(&percent_decode(value)?)?,
            Some(("sslrootcert", value)) => {
                settings.root_cert = Some(PathBuf::from(percent_decode(value)?));
            }
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, settings))
}

/// `key=value` pairs (values optionally in single quotes, with `\` escapes), with
/// `sslmode` and `sslrootcert` taken out.
fn split_pairs(text: &str) -> Result<(String, TlsSettings)> {
    let mut settings = TlsSettings {
        mode: SslMode::Prefer,
        root_cert: None,
    };
    let mut kept = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(Error::config(
                ConfigKind::Connection,
                format!("invalid PostgreSQL connection string: expected `=` after {key:?}"),
            ));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                    None => {
                        return Err(Error::config(
                            ConfigKind::Connection,
                            format!(
                                "invalid PostgreSQL connection string: the value of {key:?} has \
                             no closing quote"
                            ),
                        ));
                    }
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        match key.as_str() {
            "sslmode" => settings.mode = SslMode::parse(&value)?,
            "sslrootcert" => settings.root_cert = Some(PathBuf::from(value)),
            _ => {
                let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
                kept.push(format!("{key}='{quoted}'"));
            }
        }
    }
    Ok((kept.join(" "), settings))
}

fn percent_decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    Error::config(
                        ConfigKind::Connection,
                        format!(
                            "invalid percent-encoding in the PostgreSQL connection string: {text:?}"
                        ),
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        Error::config(
            ConfigKind::Connection,
            format!("the PostgreSQL connection string's {text:?} is not UTF-8 once decoded"),
        )
    })
}

/// Where and how the store makes connections of its own (the notification, claim and
/// lock connections): the server's settings and the connector.
#[derive(Debug, Clone)]
pub(super) struct ConnectTo {
    pub(super) config: tokio_postgres::Config,
    pub(super) connector: Connector,
}

/// How the store's connections are made: with or without TLS.
#[derive(Clone)]
pub(super) enum Connector {
    Plain,
    #[cfg(feature = "postgres-tls")]
    Rustls(tokio_postgres_rustls::MakeRustlsConnect),
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Connector::Plain => f.write_str("Plain"),
            #[cfg(feature = "postgres-tls")]
            Connector::Rustls(_) => f.write_str("Rustls"),
        }
    }
}

impl Connector {
    /// The connector `settings` ask for.
    ///
    /// Errors: [`Error::Config`] when they need TLS and the `postgres-tls` feature is off,
    /// when a verifying mode has no `sslrootcert`, or when that file cannot be read.
    pub(super) fn for_settings(settings: &TlsSettings) -> Result<Self> {
        #[cfg(feature = "postgres-tls")]
        {
            if settings.mode == SslMode::Disable {
                return Ok(Connector::Plain);
            }
            rustls_config::client_config(settings).map(|config| {
                Connector::Rustls(tokio_postgres_rustls::MakeRustlsConnect::new(config))
            })
        }
        #[cfg(not(feature = "postgres-tls"))]
        match settings.mode {
            SslMode::Disable | SslMode::Prefer => Ok(Connector::Plain),
            mode => Err(Error::config(
                ConfigKind::Connection,
                format!(
                    "sslmode={} needs TLS: enable the `postgres-tls` feature of eventsource",
                    match mode {
                        SslMode::Require => "require",
                        SslMode::VerifyCa => "verify-ca",
                        _ => "verify-full",
                    }
                ),
            )),
        }
    }

    /// A connection pool's manager for `config`, connecting this way.
    pub(super) fn manager(
        &self,
        config: tokio_postgres::Config,
        manager: deadpool_postgres::ManagerConfig,
    ) -> deadpool_postgres::Manager {
        match self {
            Connector::Plain => {
                deadpool_postgres::Manager::from_config(config, tokio_postgres::NoTls, manager)
            }
            #[cfg(feature = "postgres-tls")]
            Connector::Rustls(tls) => {
                deadpool_postgres::Manager::from_config(config, tls.clone(), manager)
            }
        }
    }
}

/// A wake-up per notification a connection receives; its error when it fails.
pub(super) type Wakeups = tokio::sync::mpsc::Sender<Result<(), tokio_postgres::Error>>;

/// The task driving a connection: it ends when the connection does, with its error.
pub(super) type Driver = tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>;

impl ConnectTo {
    /// Connects and drives the connection on a task of its own. With `wakeups`, every
    /// notification the connection receives sends one (they coalesce when the channel is
    /// full), and a connection error is sent there before the task ends.
    pub(super) async fn connect(
        &self,
        wakeups: Option<Wakeups>,
    ) -> Result<(tokio_postgres::Client, Driver), tokio_postgres::Error> {
        match &self.connector {
            Connector::Plain => {
                let (client, connection) = self.config.connect(tokio_postgres::NoTls).await?;
                Ok((client, tokio::spawn(drive(connection, wakeups))))
            }
            #[cfg(feature = "postgres-tls")]
            Connector::Rustls(tls) => {
                let (client, connection) = self.config.connect(tls.clone()).await?;
                Ok((client, tokio::spawn(drive(connection, wakeups))))
            }
        }
    }
}

/// Drives `connection` until it closes, sending a wake-up per notification.
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    wakeups: Option<Wakeups>,
) -> Result<(), tokio_postgres::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::sync::mpsc::error::TrySendError;
    use tokio_postgres::AsyncMessage;
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(_))) => {
                // Full means a wake-up is pending already: they coalesce. Closed means no
                // one listens any more; the connection is still driven for its client.
                if let Some(sender) = &wakeups
                    && let Err(TrySendError::Closed(_)) = sender.try_send(Ok(()))
                {
                    continue;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                if let Some(sender) = &wakeups {
                    let _ = sender.send(Err(error)).await;
                    return Ok(());
                }
                return Err(error);
            }
            None => return Ok(()),
        }
    }
}

#[cfg(feature = "postgres-tls")]
mod rustls_config {
    //! rustls client configurations for each `sslmode`.

    use super::{SslMode, TlsSettings};
    use crate::error::ConfigKind;
    use crate::error::{Error, Result};
    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
    use std::sync::Arc;

    pub(super) fn client_config(settings: &TlsSettings) -> Result<ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let algorithms = provider.signature_verification_algorithms;
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config(ConfigKind::Connection, format!("TLS: {e}")))?;
        let verifier: Arc<dyn ServerCertVerifier> = match (&settings.root_cert, settings.mode) {
            (None, SslMode::VerifyCa | SslMode::VerifyFull) => {
                return Err(Error::config(
                    ConfigKind::Connection,
                    "sslmode=verify-ca and verify-full need sslrootcert=<PEM file of the CA \
                     certificates> in the PostgreSQL connection string",
                ));
            }
            (None, _) => Arc::new(Unverified(algorithms)),
            (Some(path), mode) => {
                let verifier = chain_verifier(path, &provider)?;
                if mode == SslMode::VerifyFull {
                    verifier
                } else {
                    Arc::new(AnyName(verifier))
                }
            }
        };
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    fn chain_verifier(
        path: &std::path::Path,
        provider: &Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ServerCertVerifier>> {
        let unreadable = |e: &dyn std::fmt::Display| {
            Error::config(
                ConfigKind::Connection,
                format!("sslrootcert {}: {e}", path.display()),
            )
        };
        let mut roots = RootCertStore::empty();
        for certificate in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
            roots
                .add(certificate.map_err(|e| unreadable(&e))?)
                .map_err(|e| unreadable(&e))?;
        }
        if roots.is_empty() {
            return Err(unreadable(&"no certificate in the file"));
        }
        let verifier: Arc<dyn ServerCertVerifier> =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
                .build()
                .map_err(|e| unreadable(&e))?;
        Ok(verifier)
    }

    /// `verify-ca`: the chain is verified, the host name is not.
    #[derive(Debug)]
    struct AnyName(Arc<dyn ServerCertVerifier>);

    impl ServerCertVerifier for AnyName {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            match self.0.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }

    /// `prefer` and `require` without `sslrootcert`: encrypted, the certificate taken as
    /// it comes (libpq's meaning of these modes); the handshake's signatures are still
    /// checked.
    #[derive(Debug)]
    struct Unverified(WebPkiSupportedAlgorithms);

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
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.supported_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_loses_the_settings_the_driver_does_not_know() {
        let (config, settings) = parse(
            "postgres://app@db.internal:6432/app?application_name=billing&sslmode=verify-full\
             &sslrootcert=%2Fetc%2Fssl%2Fmy%20ca.pem",
        )
        .unwrap();
        assert_eq!(settings.mode, SslMode::VerifyFull);
        assert_eq!(
            settings.root_cert,
            Some(PathBuf::from("/etc/ssl/my ca.pem"))
        );
        assert_eq!(config.get_application_name(), Some("billing"));
        assert_eq!(config.get_ports(), [6432]);
        assert_eq!(
            config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
    }

    #[test]
    fn pairs_keep_quoted_values() {
        let (config, settings) = parse(
            r"host=127.0.0.1 user = app password='it\'s' sslmode=verify-ca sslrootcert='/tmp/a b.pem'",
        )
        .unwrap();
        assert_eq!(settings.mode, SslMode::VerifyCa);
        assert_eq!(settings.root_cert, Some(PathBuf::from("/tmp/a b.pem")));
        assert_eq!(config.get_user(), Some("app"));
        assert_eq!(config.get_password(), Some(&b"it's"[..]));
    }

    #[test]
    fn a_url_without_settings_prefers_tls() {
        let (_, settings) = parse("postgres://127.0.0.1/test").unwrap();
        assert_eq!(settings.mode, SslMode::Prefer);
        assert_eq!(settings.root_cert, None);
    }

    #[test]
    fn unknown_modes_are_refused_by_name() {
        for url in [
            "postgres://h/db?sslmode=sometimes",
            "host=h sslmode=allow",
            "postgres://h/db?sslrootcert=%zz",
            "host=h password='open",
        ] {
            match parse(url) {
                Err(Error::Config {
                    reason: message, ..
                }) => assert!(!message.is_empty(), "{url}"),
                other => panic!("{url}: expected a configuration error, got {other:?}"),
            }
        }
    }

    #[cfg(not(feature = "postgres-tls"))]
    #[test]
    fn tls_modes_need_the_feature() {
        for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
            let settings = TlsSettings {
                mode,
                root_cert: None,
            };
            match Connector::for_settings(&settings) {
                Err(Error::Config {
                    reason: message, ..
                }) => assert!(message.contains("postgres-tls")),
                other => panic!("{mode:?}: expected a configuration error, got {other:?}"),
            }
        }
    }

    #[cfg(feature = "postgres-tls")]
    #[test]
    fn verifying_modes_need_a_root_certificate() {
        for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
            let settings = TlsSettings {
                mode,
                root_cert: None,
            };
            match Connector::for_settings(&settings) {
                Err(Error::Config {
                    reason: message, ..
                }) => assert!(message.contains("sslrootcert")),
                other => panic!("{mode:?}: expected a configuration error, got {other:?}"),
            }
        }
        let missing = TlsSettings {
            mode: SslMode::VerifyFull,
            root_cert: Some(PathBuf::from("/nonexistent/ca.pem")),
        };
        match Connector::for_settings(&missing) {
            Err(Error::Config {
                reason: message, ..
            }) => assert!(message.contains("/nonexistent/ca.pem")),
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }
}
