//! Escaping text for the markup reports: the HTML report with its SVG charts, and JUnit XML.
//! One escaper serves all three, since what XML needs is what HTML needs plus a few characters
//! XML 1.0 cannot hold at all.

/// `text` safe as element content, or inside a double- or single-quoted attribute, of HTML, SVG
/// or XML: markup and quotes escaped, characters XML 1.0 cannot hold replaced by U+FFFD (a
/// terminal colour code in a failure message must not make the file unreadable). Line breaks
/// and tabs are kept; see [`attribute`] for XML attributes.
pub fn escape(text: &str) -> String {
    escape_as(text, false)
}

/// `text` for an XML attribute value: as [`escape`], and line breaks and tabs kept as
/// character references, since an XML parser turns literal ones in an attribute into spaces.
pub fn attribute(text: &str) -> String {
    escape_as(text, true)
}

fn escape_as(text: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' if in_attribute => out.push_str("&#13;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_characters_xml_cannot_hold() {
        assert_eq!(
            attribute("a<b & \"c\" 'd'\nnext"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&#10;next"
        );
        assert_eq!(escape("x]]>\u{1b}[31m\n"), "x]]&gt;\u{FFFD}[31m\n");
        assert_eq!(
            escape("<b title=\"it's\">p95 & p99</b>"),
            "&lt;b title=&quot;it&apos;s&quot;&gt;p95 &amp; p99&lt;/b&gt;"
        );
    }
}
