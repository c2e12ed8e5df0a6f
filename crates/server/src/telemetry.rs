//! Logging: tracing to stderr, pretty for people or JSON for machines; every line of a request
//! carries its request id (the request span's field).
//!
//! Nothing a client sent can forge a log line: the JSON format escapes strings by itself, and the text
//! format writes every field through [`escaped_fields`], which escapes control characters (a body key
//! holding `\n` is written as `\n`, two characters, on the line of the event that logged it).

use tracing_subscriber::{
    field::MakeExt,
    fmt::{self, format::Writer, FormatFields},
    EnvFilter,
};

use crate::config::{LogConfig, LogFormat};

pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_new(&config.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a terminal, not for log files and collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = match config.format {
        LogFormat::Json => {
            builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init()
        }
        LogFormat::Pretty => builder.compact().fmt_fields(escaped_fields()).try_init(),
    };
}

/// The text format's fields (`name=value`, the message bare), each value with its control characters
/// escaped.
pub fn escaped_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    fmt::format::debug_fn(
        |writer: &mut Writer<'_>, field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
            let text = escape_controls(&format!("{value:?}"));
            if field.name() == "message" {
                writer.write_str(&text)
            } else {
                write!(writer, "{}={text}", field.name())
            }
        },
    )
    .delimited(" ")
}

/// `text` with every control character (newlines, carriage returns, escape sequences) written as its
/// Rust escape (`\n`, `\u{1b}`).
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_client_key_with_a_newline_does_not_forge_a_log_line() {
        // What the API logs when it refuses a body: the parse error names the client's key.
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            name: Option<String>,
        }
        let forged = "x\n2026-01-01T00:00:00.000000Z  INFO request: done status=200\r\u{1b}[2K";
        let body = serde_json::json!({ forged: 1 }).to_string();
        let error = api::extract::parse_json::<Body>(body.as_bytes()).unwrap_err();
        assert!(error.message().contains('\n'), "the message carries the raw key: {}", error.message());

        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .compact()
            .fmt_fields(escaped_fields())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", path = %"/v1/clusters\nforged");
            let _entered = span.enter();
            tracing::info!(code = error.code(), msg = %error.message(), "request refused");
        });
        let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(!out.contains('\r') && !out.contains('\u{1b}'), "{out:?}");
        assert!(out.contains(r"x\n2026-01-01T00:00:00.000000Z  INFO"), "{out}");
        assert!(out.contains(r"path=/v1/clusters\nforged"), "{out}");
        assert!(out.contains("request refused"), "{out}");
    }
}
