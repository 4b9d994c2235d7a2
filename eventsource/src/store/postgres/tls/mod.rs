//! TLS on the store's connections, as libpq's `sslmode` and `sslrootcert` settings say:
//! the pool's connections and the notification connections alike.
//!
//! | `sslmode` | without the `postgres-tls` feature | with it |
//! | --- | --- | --- |
//! | `disable` | no TLS | no TLS |
//! | `prefer` (the default) | no TLS | TLS when the server offers it, without verifying its certificate (as libpq; verified as for `verify-ca` when `sslrootcert` is given) |
//! | `require` | refused ([`Error::Config`](crate::Error::Config)) | TLS, the certificate not verified (verified as for `verify-ca` when `sslrootcert` is given) |
//! | `verify-ca` | refused | TLS; the certificate must chain to one in `sslrootcert` |
//! | `verify-full` | refused | as `verify-ca`, and the certificate must name the host |

mod settings;
#[cfg(feature = "postgres-tls")]
mod verifiers;

pub(super) use settings::{TlsSettings, parse};

use crate::error::Result;
#[cfg(not(feature = "postgres-tls"))]
use crate::error::{ConfigKind, Error};
use settings::SslMode;

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
    /// Errors: [`Error::Config`](crate::Error::Config) when they need TLS and the `postgres-tls` feature is off,
    /// when a verifying mode has no `sslrootcert`, or when that file cannot be read.
    pub(super) fn for_settings(settings: &TlsSettings) -> Result<Self> {
        #[cfg(feature = "postgres-tls")]
        {
            if settings.mode == SslMode::Disable {
                return Ok(Connector::Plain);
            }
            verifiers::client_config(settings).map(|config| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

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
            root_cert: Some(std::path::PathBuf::from("/nonexistent/ca.pem")),
        };
        match Connector::for_settings(&missing) {
            Err(Error::Config {
                reason: message, ..
            }) => assert!(message.contains("/nonexistent/ca.pem")),
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }
}
