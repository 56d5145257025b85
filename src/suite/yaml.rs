//! The one front door for YAML: files are read with limits, text becomes a [`Node`] tree that
//! keeps every position, and typed models are read from the tree with errors worded for the
//! person who wrote the file (`suites/tasks.yaml:14:7: unknown key `iteration`, ...`).

use std::io::{self, Read};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{DuplicateKeyPolicy, MessageFormatter};

use super::de;
use super::error::YamlError;
use super::node::Node;
use super::span::{Span, Spanned};

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Mappings and sequences may nest this deep; deeper files are refused.
pub const MAX_DEPTH: usize = 64;

/// A document may hold this many values, and its aliases may repeat this many more; past either
/// limit the file is refused, so an alias bomb costs no more than this.
pub const MAX_VALUES: usize = 100_000;

/// Why a capped read failed.
#[derive(Debug, thiserror::Error)]
pub enum CappedReadError {
    /// The file could not be opened or read, or is not a regular file.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The file is larger than the limit.
    #[error("file is larger than the limit of {0} bytes")]
    TooLarge(u64),
}

/// The bytes of the regular file at `path`, or an error when it holds more than `limit` bytes.
///
/// Anything else (a named pipe, a device, a directory) is refused before it is opened: opening
/// a pipe blocks until a writer comes, and a device may never end. Reading stops one byte past
/// the limit, so a huge file costs no more than the limit.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, CappedReadError> {
    if !std::fs::metadata(path)?.is_file() {
        let refused = io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
        return Err(CappedReadError::Io(refused));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(CappedReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// The text of a YAML file: a regular file of at most [`MAX_FILE_BYTES`], in UTF-8, without
/// its byte-order mark. `origin` names the file in errors.
pub fn read_file(path: &Path, origin: &str) -> Result<String, YamlError> {
    let bytes = read_capped(path, MAX_FILE_BYTES).map_err(|e| {
        let message = match e {
            CappedReadError::Io(e) => format!("cannot read file: {e}"),
            too_large => too_large.to_string(),
        };
        YamlError::new(origin, Span::UNKNOWN, message)
    })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
            Err(YamlError::new(
                origin,
                end_of(&valid),
                "the file is not valid UTF-8",
            ))
        }
    }
}

/// The position just after `text`: where the next character would be.
fn end_of(text: &str) -> Span {
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Span::new(narrow(line), narrow(column))
}

/// Parses YAML text into `T`.
pub fn parse<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, YamlError> {
    from_node(&parse_node(text, origin)?, origin)
}

/// Parses YAML text into a tree that keeps every position. An empty file, or one of only
/// comments, is [`Node::Null`]: what that means is the caller's to decide.
pub fn parse_node(text: &str, origin: &str) -> Result<Spanned<Node>, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() as u64 > MAX_FILE_BYTES {
        let message = format!("file is larger than the limit of {MAX_FILE_BYTES} bytes");
        return Err(YamlError::new(origin, Span::UNKNOWN, message));
    }
    let parse = || {
        serde_saphyr::from_str_with_options::<serde_saphyr::Spanned<Node>>(text, options())
            .map(Spanned::from)
            .map_err(|e| parser_error(&e, text, origin))
    };
    with_parser_stack(parse).unwrap_or_else(|e| {
        let message = format!("cannot start the parser: {e}");
        Err(YamlError::new(origin, Span::UNKNOWN, message))
    })
}

/// Stack for the parser's thread: room for [`MAX_DEPTH`] levels with a wide margin. It is
/// address space; only the pages a document's depth needs are ever touched.
const PARSER_STACK_BYTES: usize = 16 * 1024 * 1024;

/// Runs `parse` on a thread with a stack of [`PARSER_STACK_BYTES`].
///
/// serde-saphyr reads nested values recursively, and an unoptimised build (how `cargo test`
/// builds the harness) spends about 50 KiB of stack per level: more than a test thread's
/// 2 MiB well before [`MAX_DEPTH`]. The depth limit then reports a deep file instead of the
/// process dying of a stack overflow, whichever thread asked.
fn with_parser_stack<R: Send>(parse: impl FnOnce() -> R + Send) -> io::Result<R> {
    std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name("yaml parser".to_string())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, parse)?;
        Ok(parser
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

/// Reads a `T` from a tree made by [`parse_node`].
pub fn from_node<T: DeserializeOwned>(node: &Spanned<Node>, origin: &str) -> Result<T, YamlError> {
    de::from_node(node).map_err(|e| YamlError::new(origin, e.span(), e.to_string()))
}

/// Reads a `T` from a node found at `path` in its document (`cases[2]`), so messages name the
/// place as if the whole document had been read at once.
pub fn from_node_at<T: DeserializeOwned>(
    node: &Spanned<Node>,
    origin: &str,
    path: &str,
) -> Result<T, YamlError> {
    de::from_node(node).map_err(|e| {
        let inner = e.path();
        let at = match (path.is_empty(), inner.is_empty()) {
            (true, _) => inner,
            (false, true) => path.to_string(),
            (false, false) if inner.starts_with('[') => format!("{path}{inner}"),
            (false, false) => format!("{path}.{inner}"),
        };
        let message = if at.is_empty() {
            e.problem().to_string()
        } else {
            format!("{at}: {}", e.problem())
        };
        YamlError::new(origin, e.span(), message)
    })
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_VALUES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_VALUES,
        },
        duplicate_keys: DuplicateKeyPolicy::Error,
        // YAML 1.2 booleans only: `no`, `on` and `y` stay text (a country code, a switch name).
        strict_booleans: true,
        // Keys are read as text, and `~:` is a key like any other.
        null_as_string: true,
        // `007` and `01234` stay as written instead of quietly losing their zeros.
        leading_zero_numbers_as_strings: true,
        with_snippet: false,
    }
}

/// A parser error, worded for the person who wrote the file.
fn parser_error(error: &serde_saphyr::Error, text: &str, origin: &str) -> YamlError {
    let span = error.location().map_or(Span::UNKNOWN, |at| {
        let narrow = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Span::new(narrow(at.line()), narrow(at.column()))
    });
    let mut inner = error;
    while let serde_saphyr::Error::WithSnippet { error, .. }
    | serde_saphyr::Error::AliasError { error, .. } = inner
    {
        inner = error;
    }
    let too_many =
        || format!("aliases expand to more than {MAX_VALUES} values; the file is refused");
    let message = match inner {
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => Some(format!("nested deeper than {MAX_DEPTH} levels")),
            BudgetBreach::Nodes { .. } => Some(format!(
                "holds more than {MAX_VALUES} values; the file is refused"
            )),
            BudgetBreach::Aliases { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => Some(too_many()),
            _ => None,
        },
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => Some(too_many()),
        serde_saphyr::Error::MultipleDocuments { .. } => {
            Some("a second document (after `---`); a file holds one document".to_string())
        }
        serde_saphyr::Error::DuplicateMappingKey { key: Some(key), .. } => {
            Some(format!("duplicate key `{key}`"))
        }
        // Keys are read as strings (see `Node`), so this is a sequence or mapping as a key.
        serde_saphyr::Error::Unexpected {
            expected: "string scalar",
            ..
        } => Some(
            "a key must be a single value such as `name`, not a sequence or mapping".to_string(),
        ),
        serde_saphyr::Error::ExternalMessage { source, .. } if is_tab_in_indentation(source) => {
            let at = first_indenting_tab(text, span).unwrap_or(span);
            return YamlError::new(
                origin,
                at,
                "a tab in the indentation; YAML indents with spaces",
            );
        }
        _ => None,
    };
    let message = message.unwrap_or_else(|| {
        serde_saphyr::DefaultMessageFormatter
            .format_message(inner)
            .into_owned()
    });
    YamlError::new(origin, span, message)
}

fn is_tab_in_indentation(source: &serde_saphyr::ExternalMessageSource) -> bool {
    use serde_saphyr::granit_parser::ErrorKind;
    matches!(
        source,
        serde_saphyr::ExternalMessageSource::Parser(scan) if matches!(
            scan.kind(),
            ErrorKind::TabInPlainScalar
                | ErrorKind::TabInBlockIndentation
                | ErrorKind::TabInIndentation
        )
    )
}

/// The first tab in a line's indentation at or after `from`'s line. The parser reports some
/// of these errors where the value it was reading began (the line before the tab, when a
/// tab-indented line follows `kind: burst`), or just after the tab; the tab is what to fix.
fn first_indenting_tab(text: &str, from: Span) -> Option<Span> {
    let first = (from.line as usize).max(1);
    text.lines()
        .enumerate()
        .skip(first - 1)
        .find_map(|(i, line)| {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let column = line[..indent].find('\t')?;
            let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            Some(Span::new(narrow(i + 1), narrow(column + 1)))
        })
}

#[cfg(test)]
mod tests;
