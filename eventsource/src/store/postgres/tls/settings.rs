//! The TLS settings of a libpq connection string (`sslmode`, `sslrootcert`), parsed out
//! of it before `tokio_postgres` parses the rest.

use crate::error::{ConfigKind, Error, Result};
use std::path::PathBuf;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
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
pub(crate) struct TlsSettings {
    pub(crate) mode: SslMode,
    /// `sslrootcert`: a PEM file of the certificates a server's must chain to.
    pub(crate) root_cert: Option<PathBuf>,
}

impl TlsSettings {
    /// The settings a `tokio_postgres` configuration carries (its `ssl_mode`).
    pub(crate) fn of_driver_config(config: &tokio_postgres::Config) -> Self {
        TlsSettings {
            mode: SslMode::from_driver(config.get_ssl_mode()),
            root_cert: None,
        }
    }
}

/// Parses a libpq connection string (a `postgres://` URL or `key=value` pairs): the
/// `tokio_postgres` configuration, with `sslmode` as it understands it and without
/// `sslrootcert`, which it does not know, and the TLS settings.
pub(crate) fn parse(url: &str) -> Result<(tokio_postgres::Config, TlsSettings)> {
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
}
