//! Redaction in depth: every secret the console holds (the Azure client secret, uploaded TLS
//! keys, the simulator's secret) is registered here when it enters the process, and every line
//! the console persists or streams (events, step errors, outputs, recovery files, its own log)
//! passes through [`Redactor::redact`] first. A secret is matched as written and in the forms it
//! travels in: base64 (kubeconfigs embed keys that way; standard and URL-safe alphabets, padded
//! or not) and URL-encoded (form and query strings).
//!
//! One registry per process ([`global`]): tracing's writer has no handle to pass around, and a
//! secret known to one part of the process must be hidden from every output of it.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, LazyLock, RwLock};

/// What a redacted secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not registered: matching them would blank common words, and no
/// secret the console handles is that short (Azure client secrets are 40 characters).
pub const MIN_SECRET_LEN: usize = 8;

/// PEM body lines at least this long are matched on their own (a log line may quote one).
const MIN_PEM_LINE_LEN: usize = 16;

/// The live secrets and a matcher over all their forms; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct Redactor {
    inner: Arc<RwLock<Inner>>,
}

#[derive(Default)]
struct Inner {
    /// Every form of every secret (never printed: see the `Debug` impl).
    patterns: Vec<SecretString>,
    matcher: Option<AhoCorasick>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.inner.read().map(|i| i.patterns.len()).unwrap_or(0);
        write!(f, "Redactor({n} patterns)")
    }
}

/// The process's registry.
pub fn global() -> &'static Redactor {
    static GLOBAL: LazyLock<Redactor> = LazyLock::new(Redactor::default);
    &GLOBAL
}

/// Register `secret` with the process's registry (see [`Redactor::add`]).
pub fn register(secret: &SecretString) {
    global().add(secret);
}

/// `text` with every registered secret replaced (see [`Redactor::redact`]).
pub fn redact(text: &str) -> String {
    global().redact(text)
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Hide `secret` (and its encoded forms) from now on. Too-short values are ignored.
    pub fn add(&self, secret: &SecretString) {
        let forms = forms(secret.expose_secret());
        if forms.is_empty() {
            return;
        }
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        let mut changed = false;
        for form in forms {
            if !inner
                .patterns
                .iter()
                .any(|p| p.expose_secret() == form.as_str())
            {
                inner.patterns.push(SecretString::from(form));
                changed = true;
            }
        }
        if changed {
            // Leftmost-longest: a PEM as a whole wins over one of its lines.
            inner.matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(inner.patterns.iter().map(|p| p.expose_secret().as_bytes()))
                .ok();
        }
    }

    /// `text` with every form of every registered secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let Ok(inner) = self.inner.read() else {
            // A poisoned lock means a panic mid-registration: say nothing rather than leak.
            return REDACTED.to_string();
        };
        match &inner.matcher {
            Some(m) if m.is_match(text) => {
                m.replace_all(text, &vec![REDACTED; inner.patterns.len()])
            }
            _ => text.to_string(),
        }
    }

    /// Bytes with every form of every registered secret replaced (the log writer's view).
    pub fn redact_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let Ok(inner) = self.inner.read() else {
            return REDACTED.as_bytes().to_vec();
        };
        match &inner.matcher {
            Some(m) if m.is_match(bytes) => {
                m.replace_all_bytes(bytes, &vec![REDACTED.as_bytes(); inner.patterns.len()])
            }
            _ => bytes.to_vec(),
        }
    }

    /// Every string inside `value`, redacted in place (step outputs, checkpoints).
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => {
                let clean = self.redact(s);
                if clean != *s {
                    *s = clean;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.redact_json(v)),
            _ => {}
        }
    }
}

/// The forms a secret is matched in: as written, trimmed, base64 (standard and URL-safe, with
/// and without padding) and URL-encoded (percent and form encoding); for a PEM also its body
/// without line breaks and each long body line.
fn forms(secret: &str) -> Vec<String> {
    let mut bases = vec![secret.to_string()];
    let trimmed = secret.trim();
    if trimmed != secret {
        bases.push(trimmed.to_string());
    }
    let mut out = Vec::new();
    for base in &bases {
        out.push(base.clone());
        for engine in [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            out.push(engine.encode(base.as_bytes()));
        }
        out.push(
            percent_encoding::utf8_percent_encode(base, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
        out.push(form_urlencoded::byte_serialize(base.as_bytes()).collect());
        // Percent-encoding that leaves RFC 3986's unreserved characters alone.
        out.push(percent_encoding::utf8_percent_encode(base, UNRESERVED_KEPT).to_string());
    }
    if trimmed.starts_with("-----BEGIN ") {
        let body: Vec<&str> = trimmed
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("-----") && !l.contains(':'))
            .collect();
        out.push(body.concat());
        out.extend(
            body.iter()
                .filter(|l| l.len() >= MIN_PEM_LINE_LEN)
                .map(|l| l.to_string()),
        );
    }
    out.retain(|f| f.len() >= MIN_SECRET_LEN);
    out.sort();
    out.dedup();
    out
}

/// Everything but ALPHA / DIGIT / "-" / "." / "_" / "~" is encoded.
const UNRESERVED_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A `tracing_subscriber` writer that redacts what the wrapped writer receives: the console's
/// log (stderr) never shows a registered secret.
#[derive(Clone, Copy, Debug)]
pub struct RedactingMakeWriter<M>(pub M);

impl<'a, M> tracing_subscriber::fmt::MakeWriter<'a> for RedactingMakeWriter<M>
where
    M: tracing_subscriber::fmt::MakeWriter<'a>,
{
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

/// See [`RedactingMakeWriter`]. The formatter writes one whole event per `write` call, so a
/// secret is never split across two calls.
#[derive(Debug)]
pub struct RedactingWriter<W>(W);

impl<W: std::io::Write> std::io::Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&global().redact_bytes(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn a_secret_and_its_encoded_forms_are_redacted() {
        let r = Redactor::new();
        let s = "canary+Secret/with=odd~chars";
        r.add(&secret(s));
        let b64 = base64::engine::general_purpose::STANDARD.encode(s);
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let pct = percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        let form: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
        for leaked in [s, &b64, &b64url, &pct, &form] {
            let line = format!("token request client_secret={leaked}&grant=x failed");
            let clean = r.redact(&line);
            assert!(!clean.contains(leaked), "{clean}");
            assert!(clean.contains(REDACTED), "{clean}");
            assert!(clean.starts_with("token request client_secret="), "{clean}");
        }
        assert_eq!(r.redact("nothing here"), "nothing here");
        assert!(!format!("{r:?}").contains(s));
    }

    #[test]
    fn short_values_are_not_registered() {
        let r = Redactor::new();
        r.add(&secret("abc"));
        assert_eq!(r.redact("abcabc"), "abcabc");
    }

    #[test]
    fn a_pem_key_is_redacted_whole_by_body_and_by_line() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\nAwEHBG0wawIBAQQgabcdefghijklmno\n-----END PRIVATE KEY-----\n";
        let r = Redactor::new();
        r.add(&secret(pem));
        assert_eq!(r.redact(&format!("key: {pem}")), format!("key: {REDACTED}"));
        let line = "AwEHBG0wawIBAQQgabcdefghijklmno";
        assert_eq!(
            r.redact(&format!("saw {line} here")),
            format!("saw {REDACTED} here")
        );
        let body = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgabcdefghijklmno";
        assert_eq!(r.redact(body), REDACTED);
        // As a kubeconfig embeds it: base64 of the whole PEM.
        let embedded = base64::engine::general_purpose::STANDARD.encode(pem);
        assert_eq!(
            r.redact(&format!("client-key-data: {embedded}")),
            format!("client-key-data: {REDACTED}")
        );
    }

    #[test]
    fn json_strings_are_redacted_in_place() {
        let r = Redactor::new();
        r.add(&secret("hunter2hunter2"));
        let mut v =
            serde_json::json!({"a": ["x hunter2hunter2"], "b": {"c": "hunter2hunter2"}, "n": 1});
        r.redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": ["x [redacted]"], "b": {"c": "[redacted]"}, "n": 1})
        );
    }

    #[test]
    fn the_log_writer_redacts_what_it_passes_on() {
        use std::io::Write;
        let canary = "log-writer-canary-0f3a9";
        register(&secret(canary));
        let mut out = RedactingWriter(Vec::new());
        out.write_all(format!("INFO got {canary}\n").as_bytes())
            .unwrap();
        assert_eq!(String::from_utf8(out.0).unwrap(), "INFO got [redacted]\n");
    }
}
