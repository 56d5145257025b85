//! The statuses a response may have: `201`, `2xx`, `[200, "4xx"]`, compiled once.

use crate::suite::StatusSpec;

/// The statuses a response may have to count as a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusExpect {
    ranges: Vec<(u16, u16)>,
}

impl Default for StatusExpect {
    fn default() -> Self {
        Self {
            ranges: vec![(200, 299)],
        }
    }
}

impl StatusExpect {
    /// Parses `201`, `"2xx"`, `[200, "4xx"]`.
    pub fn parse(spec: &StatusSpec) -> Result<Self, String> {
        let mut ranges = Vec::new();
        Self::collect(spec, &mut ranges)?;
        if ranges.is_empty() {
            return Err("expect.status: the list is empty; give at least one status".into());
        }
        Ok(Self { ranges })
    }

    fn collect(spec: &StatusSpec, out: &mut Vec<(u16, u16)>) -> Result<(), String> {
        let bad = |s: &str| {
            format!("expect.status: `{s}` is not a status; use a code like `201`, a class like `2xx`, or a list")
        };
        match spec {
            StatusSpec::Code(code) if (100..=599).contains(code) => out.push((*code, *code)),
            StatusSpec::Code(code) => return Err(bad(&code.to_string())),
            StatusSpec::Text(text) => {
                let t = text.trim().to_ascii_lowercase();
                if let Some(class) = t
                    .strip_suffix("xx")
                    .and_then(|d| d.parse::<u16>().ok())
                    .filter(|d| (1..=5).contains(d))
                {
                    out.push((class * 100, class * 100 + 99));
                } else if let Some(code) = t.parse::<u16>().ok().filter(|c| (100..=599).contains(c))
                {
                    out.push((code, code));
                } else {
                    return Err(bad(text));
                }
            }
            StatusSpec::List(items) => {
                for item in items {
                    Self::collect(item, out)?;
                }
            }
        }
        Ok(())
    }

    /// True when `status` is accepted.
    pub fn accepts(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }
}

impl std::fmt::Display for StatusExpect {
    /// `201`, `2xx`, `200-204` or several joined by ` or `.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .ranges
            .iter()
            .map(|&(lo, hi)| match (lo, hi) {
                (lo, hi) if lo == hi => lo.to_string(),
                (lo, hi) if lo % 100 == 0 && hi == lo + 99 => format!("{}xx", lo / 100),
                (lo, hi) => format!("{lo}-{hi}"),
            })
            .collect();
        f.write_str(&parts.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(yaml: &str) -> Result<StatusExpect, String> {
        StatusExpect::parse(&crate::suite::yaml::parse::<StatusSpec>(yaml, "test.yaml").unwrap())
    }

    #[test]
    fn statuses_as_codes_classes_and_lists() {
        let created = expect("201").unwrap();
        assert!(created.accepts(201) && !created.accepts(200));
        let ok = expect("2xx").unwrap();
        assert!(ok.accepts(200) && ok.accepts(299) && !ok.accepts(301));
        let mixed = expect("[204, 4xx, '302']").unwrap();
        assert!(
            mixed.accepts(204) && mixed.accepts(404) && mixed.accepts(302) && !mixed.accepts(500)
        );
        assert!(StatusExpect::default().accepts(200) && !StatusExpect::default().accepts(404));
        assert_eq!(mixed.to_string(), "204 or 4xx or 302");
    }

    #[test]
    fn bad_statuses_say_what_is_accepted() {
        assert!(expect("99").unwrap_err().contains("`99` is not a status"));
        assert!(expect("6xx")
            .unwrap_err()
            .contains("use a code like `201`, a class like `2xx`"));
        assert!(expect("[]").unwrap_err().contains("the list is empty"));
    }
}
