//! The response view shared by extractions and checks, and JSON selectors into its body.

use std::cell::OnceCell;
use std::fmt;

use reqwest::header::HeaderMap;
use serde_json::Value;
use serde_json_path::JsonPath;

/// A received response, as checks and extractions see it. The body is parsed as JSON at most
/// once, on first use.
#[derive(Debug)]
pub struct Exchange<'a> {
    status: u16,
    headers: &'a HeaderMap,
    body: &'a [u8],
    json: OnceCell<Option<Value>>,
}

impl<'a> Exchange<'a> {
    /// A view of one response: its status, headers and whole body.
    pub fn new(status: u16, headers: &'a HeaderMap, body: &'a [u8]) -> Self {
        Self {
            status,
            headers,
            body,
            json: OnceCell::new(),
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first value of header `name` (any case), if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        let value = self.headers.get(name)?;
        std::str::from_utf8(value.as_bytes()).ok()
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        self.body
    }

    /// The body parsed as JSON, or `None` when it is not JSON (an empty body is not JSON).
    pub fn json(&self) -> Option<&Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(self.body).ok())
            .as_ref()
    }
}

/// Where a value sits in a JSON body: an RFC 6901 pointer (`/data/token`) or an RFC 9535
/// JSONPath (`$.data.token`, first match).
#[derive(Debug, Clone)]
pub enum JsonSelector {
    /// A JSON pointer; `""` is the whole document.
    Pointer(String),
    /// A parsed JSONPath query and its text.
    Path(JsonPath, String),
}

impl JsonSelector {
    /// Parses `text`: JSONPath when it starts with `$`, otherwise a JSON pointer.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.starts_with('$') {
            return JsonPath::parse(text)
                .map(|path| Self::Path(path, text.to_owned()))
                .map_err(|e| format!("`{text}` is not a valid JSONPath: {e}"));
        }
        if !text.is_empty() && !text.starts_with('/') {
            return Err(format!("`{text}` is not a JSON pointer (start with `/`, e.g. `/data/token`) or a JSONPath (start with `$`)"));
        }
        let mut rest = text;
        while let Some(at) = rest.find('~') {
            rest = &rest[at + 1..];
            if !(rest.starts_with('0') || rest.starts_with('1')) {
                return Err(format!(
                    "`{text}` is not a valid JSON pointer: `~` must be followed by 0 or 1"
                ));
            }
        }
        Ok(Self::Pointer(text.to_owned()))
    }

    /// The first value selected in `value`.
    pub fn select<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        match self {
            Self::Pointer(pointer) => value.pointer(pointer),
            Self::Path(path, _) => path.query(value).first(),
        }
    }

    /// The selected value in the exchange's JSON body; the error says which of the two is missing.
    pub fn lookup<'e>(&self, exchange: &'e Exchange) -> Result<&'e Value, String> {
        let json = exchange.json().ok_or("body is not JSON")?;
        self.select(json)
            .ok_or_else(|| format!("`{self}` not found in the JSON body"))
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pointer(text) | Self::Path(_, text) => text,
        }
    }
}

impl fmt::Display for JsonSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
