//! Keeps secrets out of text meant for people: error messages, reports, logs.

use std::sync::{LazyLock, RwLock};

use regex::Regex;

/// What replaces a hidden value.
pub const REDACTED: &str = "[REDACTED]";

/// Field names whose values are hidden: any name containing one of these words.
const FIELD: &str =
    r"[\w.-]*(?:password|passwd|secret|token|api[_-]?key|session|cookie|authorization)[\w.-]*";

/// `Authorization: ...`, `Cookie: ...` and like header lines, also after curl's `> ` or a YAML `- `.
static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^([ \t<>-]*(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key)[ \t]*:[ \t]*)\S[^\r\n]*").unwrap()
});
/// `Bearer <anything>` wherever it appears.
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\b(bearer[ \t]+)[^\s"',;]+"#).unwrap());
/// `"password": "x"` in JSON.
static JSON_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r#"(?i)("{FIELD}"[ \t]*:[ \t]*")(?:[^"\\]|\\.)*""#)).unwrap()
});
/// `\"password\": \"x\"`: JSON quoted inside a string, as in a debug-printed body.
static ESCAPED_JSON_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(\\"{FIELD}\\"[ \t]*:[ \t]*\\")(?:[^"\\]|\\[^"])*\\""#
    ))
    .unwrap()
});
/// `password: x` on a YAML line.
static YAML_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?im)^([ \t-]*{FIELD}[ \t]*:[ \t]+)[^\s#{{\[][^\r\n]*"
    ))
    .unwrap()
});
/// `password=x` in a query string or form body.
static QUERY_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r#"(?i)\b({FIELD}=)[^&\s#;"']+"#)).unwrap());

/// Replaces secret values and sensitive fields with `[REDACTED]` in text meant for people.
///
/// Shared across threads as `Arc<Redactor>`: extractions add the secrets they capture while
/// reports redact with what is known so far.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Known secret values, longest first so a secret containing another is replaced whole.
    secrets: RwLock<Vec<String>>,
}

impl Redactor {
    /// A redactor that knows no secret values yet (field and header masking still apply).
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers `value` as secret; values shorter than 4 characters are ignored, as they would
    /// collide with ordinary text. The JSON-escaped form is remembered too when it differs.
    pub fn add_secret(&self, value: &str) {
        if value.chars().count() < 4 {
            return;
        }
        let escaped = serde_json::Value::from(value).to_string();
        let escaped = &escaped[1..escaped.len() - 1];
        let mut secrets = self
            .secrets
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for candidate in [value, escaped] {
            let key = |s: &String| (std::cmp::Reverse(s.len()), s.clone());
            if let Err(at) = secrets.binary_search_by_key(&key(&candidate.to_owned()), key) {
                secrets.insert(at, candidate.to_owned());
            }
        }
    }

    /// `text` with every known secret value, sensitive header line, bearer token and sensitive
    /// JSON, YAML or query field value replaced by `[REDACTED]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        {
            let secrets = self
                .secrets
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for secret in secrets.iter() {
                if out.contains(secret.as_str()) {
                    out = out.replace(secret.as_str(), REDACTED);
                }
            }
        }
        let masks: [(&Regex, String); 6] = [
            (&HEADER_LINE, format!("${{1}}{REDACTED}")),
            (&BEARER, format!("${{1}}{REDACTED}")),
            (&JSON_FIELD, format!("${{1}}{REDACTED}\"")),
            (&ESCAPED_JSON_FIELD, format!("${{1}}{REDACTED}\\\"")),
            (&YAML_FIELD, format!("${{1}}{REDACTED}")),
            (&QUERY_FIELD, format!("${{1}}{REDACTED}")),
        ];
        for (regex, replacement) in masks {
            if let std::borrow::Cow::Owned(masked) = regex.replace_all(&out, replacement.as_str()) {
                out = masked;
            }
        }
        out
    }
}

/// True for header names whose values are never shown: authorization, cookie, set-cookie,
/// proxy-authorization, x-api-key.
pub fn is_sensitive_header(name: &str) -> bool {
    [
        "authorization",
        "cookie",
        "set-cookie",
        "proxy-authorization",
        "x-api-key",
    ]
    .iter()
    .any(|sensitive| name.trim().eq_ignore_ascii_case(sensitive))
}

/// The first `n` bytes of a body as lossy UTF-8, cut at a char boundary, with "…" if cut — for
/// error messages (callers redact it).
pub fn snippet(body: &[u8], n: usize) -> String {
    if body.len() <= n {
        return String::from_utf8_lossy(body).into_owned();
    }
    let mut cut = n;
    // Step back over at most three continuation bytes so a multi-byte char is not split.
    while cut > 0 && n - cut < 3 && body[cut] & 0xC0 == 0x80 {
        cut -= 1;
    }
    format!("{}…", String::from_utf8_lossy(&body[..cut]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn known_secrets_are_replaced_in_multi_line_messages() {
        let redactor = Redactor::new();
        redactor.add_secret("abc123token");
        redactor.add_secret("abc123");
        let text = "step login: got abc123token\nnext step sent abc123token and abc123 again";
        assert_eq!(
            redactor.redact(text),
            "step login: got [REDACTED]\nnext step sent [REDACTED] and [REDACTED] again"
        );
    }

    #[test]
    fn short_values_are_ignored() {
        let redactor = Redactor::new();
        redactor.add_secret("abc");
        redactor.add_secret("");
        assert_eq!(redactor.redact("abc is fine"), "abc is fine");
    }

    #[test]
    fn json_escaped_secrets_are_replaced() {
        let redactor = Redactor::new();
        redactor.add_secret("p\"ss/word");
        assert_eq!(
            redactor.redact(r#"{"note":"p\"ss/word"}"#),
            r#"{"note":"[REDACTED]"}"#
        );
    }

    #[test]
    fn header_lines_and_bearer_tokens_are_masked() {
        let r = Redactor::new();
        let text = "GET /me\r\nAuthorization: Basic dXNlcjpwdw==\r\nCookie: sid=1; theme=dark\r\nAccept: */*";
        assert_eq!(
            r.redact(text),
            "GET /me\r\nAuthorization: [REDACTED]\r\nCookie: [REDACTED]\r\nAccept: */*"
        );
        assert_eq!(
            r.redact("> set-cookie: sid=9; HttpOnly"),
            "> set-cookie: [REDACTED]"
        );
        assert_eq!(
            r.redact(r#"sent {"authorization": "Bearer eyJ.a-b_c.d=", "x": 1}"#),
            r#"sent {"authorization": "[REDACTED]", "x": 1}"#
        );
        assert_eq!(
            r.redact("header was bearer abc.def, then"),
            "header was bearer [REDACTED], then"
        );
    }

    #[test]
    fn sensitive_fields_are_masked() {
        let r = Redactor::new();
        assert_eq!(
            r.redact(r#"{"user":"ann","password":"x"}"#),
            r#"{"user":"ann","password":"[REDACTED]"}"#
        );
        assert_eq!(
            r.redact(r#"{"access_token" : "a\"b", "n": 1}"#),
            r#"{"access_token" : "[REDACTED]", "n": 1}"#
        );
        assert_eq!(
            r.redact(r#"body: "{\"refresh_token\":\"zz\"}""#),
            r#"body: "{\"refresh_token\":\"[REDACTED]\"}""#
        );
        assert_eq!(
            r.redact("POST /login?user=ann&password=x&next=/"),
            "POST /login?user=ann&password=[REDACTED]&next=/"
        );
        assert_eq!(
            r.redact("api_key=k1 apikey=k2 session=s"),
            "api_key=[REDACTED] apikey=[REDACTED] session=[REDACTED]"
        );
        assert_eq!(
            r.redact("user: ann\n  passwd: hunter2\nsecret: {{ s }}"),
            "user: ann\n  passwd: [REDACTED]\nsecret: {{ s }}"
        );
        assert_eq!(
            r.redact("status 500, no secrets here"),
            "status 500, no secrets here"
        );
    }

    #[test]
    fn concurrent_use_from_threads() {
        let redactor = Arc::new(Redactor::new());
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let redactor = Arc::clone(&redactor);
                std::thread::spawn(move || {
                    for j in 0..50 {
                        let secret = format!("secret-value-{i}-{j}");
                        redactor.add_secret(&secret);
                        assert_eq!(
                            redactor.redact(&format!("got {secret}!")),
                            "got [REDACTED]!"
                        );
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(
            redactor.redact("secret-value-7-49 secret-value-0-0"),
            "[REDACTED] [REDACTED]"
        );
    }

    #[test]
    fn sensitive_headers() {
        for name in [
            "Authorization",
            "cookie",
            "SET-COOKIE",
            "proxy-authorization",
            "x-api-key",
        ] {
            assert!(is_sensitive_header(name), "{name}");
        }
        assert!(!is_sensitive_header("content-type"));
    }

    #[test]
    fn snippets_cut_at_char_boundaries() {
        assert_eq!(snippet(b"short", 10), "short");
        assert_eq!(snippet(b"0123456789", 4), "0123…");
        assert_eq!(snippet("aé".as_bytes(), 2), "a…");
        assert_eq!(snippet("日本".as_bytes(), 4), "日…");
        assert_eq!(snippet(b"\xff\xfeab", 2), "\u{fffd}\u{fffd}…");
        assert_eq!(snippet(b"abc", 0), "…");
    }
}
