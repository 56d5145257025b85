//! Tag names: the one rule for what a tag may look like, shared by suite files, thresholds
//! rules, profiles and the `PERF_TAGS` filter.

/// A tag as a regular expression, for the JSON Schemas: no whitespace or comma anywhere (a
/// filter lists tags with commas) and no leading `!` (a filter excludes with it).
pub const TAG_PATTERN: &str = r"^[^\s,!][^\s,]*$";

/// Checks one tag name; the error says what a tag may hold.
pub fn check_tag(tag: &str) -> Result<(), String> {
    let bad = tag.is_empty()
        || tag.starts_with('!')
        || tag.chars().any(|c| c.is_whitespace() || c == ',');
    if bad {
        Err(format!(
            "tag `{tag}` must be non-empty, without spaces or commas, and not start with `!`"
        ))
    } else {
        Ok(())
    }
}

/// Which tags a run takes: a case runs when it carries none of `exclude` and, if `include` is
/// not empty, at least one of `include`. Written `auth,read,!slow` (`PERF_TAGS`, `--tags`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFilter {
    /// A case must carry one of these (when there are any).
    pub include: Vec<String>,
    /// A case must carry none of these.
    pub exclude: Vec<String>,
}

impl TagFilter {
    /// Reads `auth,read,!slow`: tags separated by commas, `!` before a tag to leave it out;
    /// spaces around items are ignored, and so are empty items.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut filter = TagFilter::default();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (list, tag) = match item.strip_prefix('!') {
                Some(tag) => (&mut filter.exclude, tag.trim()),
                None => (&mut filter.include, item),
            };
            check_tag(tag).map_err(|e| format!("in the tag filter `{text}`: {e}"))?;
            list.push(tag.to_string());
        }
        Ok(filter)
    }

    /// True when the filter lets every case through.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether a case with `tags` runs.
    pub fn admits(&self, tags: &[String]) -> bool {
        let excluded = tags.iter().any(|t| self.exclude.contains(t));
        let included = self.include.is_empty() || tags.iter().any(|t| self.include.contains(t));
        included && !excluded
    }
}

impl std::fmt::Display for TagFilter {
    /// As written: `auth,read,!slow`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = (self.include.iter().cloned())
            .chain(self.exclude.iter().map(|t| format!("!{t}")))
            .collect();
        f.write_str(&items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_filter_includes_any_and_excludes_every_listed_tag() {
        let filter = TagFilter::parse("auth, read").unwrap();
        assert!(filter.admits(&tags(&["read"])));
        assert!(filter.admits(&tags(&["write", "auth"])));
        assert!(!filter.admits(&tags(&["write"])));
        assert!(
            !filter.admits(&[]),
            "an untagged case needs no include list"
        );

        let filter = TagFilter::parse("!slow").unwrap();
        assert!(filter.admits(&tags(&["auth"])));
        assert!(filter.admits(&[]), "excluding leaves untagged cases in");
        assert!(!filter.admits(&tags(&["auth", "slow"])));

        let filter = TagFilter::parse("auth,!slow").unwrap();
        assert!(filter.admits(&tags(&["auth"])));
        assert!(!filter.admits(&tags(&["auth", "slow"])));
        assert_eq!(filter.to_string(), "auth,!slow");

        let none = TagFilter::parse(" , ").unwrap();
        assert!(none.is_empty() && none.admits(&[]));
    }

    #[test]
    fn a_bad_filter_names_the_tag() {
        let err = TagFilter::parse("auth,two words").unwrap_err();
        assert_eq!(
            err,
            "in the tag filter `auth,two words`: tag `two words` must be non-empty, without \
             spaces or commas, and not start with `!`"
        );
        assert!(TagFilter::parse("!!x").is_err());
    }

    #[test]
    fn tags_are_single_words_a_filter_can_list() {
        for good in ["auth", "read-only", "p1", "team/api", "v1.2"] {
            assert_eq!(check_tag(good), Ok(()), "{good}");
        }
        for bad in ["", "two words", "a,b", "!slow", "tab\there"] {
            let err = check_tag(bad).unwrap_err();
            assert!(err.contains("must be non-empty, without spaces"), "{err}");
        }
    }

    #[test]
    fn the_schema_pattern_agrees_with_the_check() {
        let pattern = regex::Regex::new(TAG_PATTERN).unwrap();
        for tag in ["auth", "read-only", "", "two words", "a,b", "!slow", "x!"] {
            assert_eq!(pattern.is_match(tag), check_tag(tag).is_ok(), "{tag:?}");
        }
    }
}
