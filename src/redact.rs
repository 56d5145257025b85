//! Keeps secrets out of text meant for people: error messages, reports, logs.

use std::sync::{LazyLock, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

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

/// Most distinct secret values remembered. Past it, the redactor masks every long token-like
/// word instead (see [`Redactor::redact`]): it errs towards hiding too much rather than grow
/// with every value a long run extracts.
pub const MAX_SECRETS: usize = 10_000;

/// Token-like words: what the redactor masks when it knows too many secrets to list them.
static LONG_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9_\-.~+/%=]{16,}").unwrap());

/// Replaces secret values and sensitive fields with `[REDACTED]` in text meant for people.
///
/// Shared across threads as `Arc<Redactor>`: set-ups and extractions add the secrets they see
/// while reports redact with what is known so far. Each value is remembered with the forms it
/// can take in a message: JSON-escaped, URL-encoded and base64 (standard and URL-safe, padded
/// or not), so an echoing server cannot print it in another spelling.
#[derive(Debug, Default)]
pub struct Redactor {
    known: RwLock<Known>,
}

#[derive(Debug, Default)]
struct Known {
    /// Secret values as added (deduplicated), to skip work for values seen before.
    values: std::collections::HashSet<String>,
    /// Every form of every value: the patterns the matcher looks for.
    forms: Vec<String>,
    /// The matcher over `forms`, rebuilt on the next redaction after a change.
    matcher: Option<AhoCorasick>,
    /// More than [`MAX_SECRETS`] values were added.
    overflowed: bool,
}

impl Redactor {
    /// A redactor that knows no secret values yet (field and header masking still apply).
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers `value` as secret; values shorter than 4 characters are ignored, as they would
    /// collide with ordinary text. Cheap for a value already known.
    pub fn add_secret(&self, value: &str) {
        if value.chars().count() < 4 {
            return;
        }
        {
            let known = self.known.read().unwrap_or_else(|p| p.into_inner());
            if known.overflowed || known.values.contains(value) {
                return;
            }
        }
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        if known.values.len() >= MAX_SECRETS {
            known.overflowed = true;
            return;
        }
        if known.values.insert(value.to_owned()) {
            // Two values rarely share a spelling, and a pattern listed twice matches the same.
            let forms = forms(value).into_iter().filter(|f| f.chars().count() >= 4);
            known.forms.extend(forms);
            known.matcher = None;
        }
    }

    /// `text` with every known secret value (in any of its forms), sensitive header line, bearer
    /// token and sensitive JSON, YAML or query field value replaced by `[REDACTED]`. Redact
    /// whole texts, then cut them: a secret cut in half no longer matches.
    pub fn redact(&self, text: &str) -> String {
        let mut out = self.replace_known(text);
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

    fn replace_known(&self, text: &str) -> String {
        {
            let known = self.known.read().unwrap_or_else(|p| p.into_inner());
            if known.matcher.is_some() || known.forms.is_empty() {
                return known.replace(text);
            }
        }
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        if known.matcher.is_none() {
            // Longest first, so a secret containing another is replaced whole.
            known.matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&known.forms)
                .ok();
        }
        known.replace(text)
    }
}

impl Known {
    fn replace(&self, text: &str) -> String {
        let mut out = match &self.matcher {
            Some(matcher) => {
                let replacements = vec![REDACTED; self.forms.len()];
                matcher.replace_all(text, &replacements)
            }
            None => text.to_owned(),
        };
        if self.overflowed {
            out = LONG_TOKEN.replace_all(&out, REDACTED).into_owned();
        }
        out
    }
}

/// The spellings a secret can take in text: as is, JSON-escaped, URL-encoded, base64.
fn forms(value: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    let escaped = serde_json::Value::from(value).to_string();
    let mut forms = vec![
        value.to_owned(),
        escaped[1..escaped.len() - 1].to_owned(),
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        // Form encoding writes spaces as `+`.
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%20", "+"),
    ];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        forms.push(engine.encode(value));
    }
    forms.sort();
    forms.dedup();
    forms
}

/// Words that make a name (a variable, a data column, a JSON field) look like a credential.
const SECRET_WORDS: [&str; 8] = [
    "token", "secret", "password", "passwd", "key", "session", "cookie", "auth",
];

/// True when a name (a variable, a data-file column, a JSON field) suggests its value is a
/// credential.
pub fn name_looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| lower.contains(word))
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
    fn every_spelling_of_a_secret_is_replaced() {
        use base64::Engine;
        let redactor = Redactor::new();
        let secret = "a/b+c=d token";
        redactor.add_secret(secret);
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
        for text in [
            format!("raw {secret}!"),
            "query q=a%2Fb%2Bc%3Dd%20token&x=1".to_string(),
            "form q=a%2Fb%2Bc%3Dd+token".to_string(),
            format!("basic {b64}"),
            format!("url-safe {url}"),
        ] {
            let out = redactor.redact(&text);
            assert!(out.contains(REDACTED), "{text} -> {out}");
            assert!(!out.contains("c%3Dd") && !out.contains(&b64), "{out}");
        }
    }

    #[test]
    fn past_the_limit_every_long_token_is_masked() {
        let redactor = Redactor::new();
        for i in 0..=MAX_SECRETS {
            redactor.add_secret(&format!("value-{i:08}"));
        }
        let out = redactor.redact("a never-registered-secret-abcdef123 and short words stay");
        assert_eq!(out, "a [REDACTED] and short words stay");
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
