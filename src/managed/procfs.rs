//! Reading a process tree's CPU time and resident memory from Linux's `/proc`.
//!
//! Each process's `/proc/<pid>/stat` gives its parent, its CPU time in clock ticks, its start
//! time (so a reused pid is not mistaken for the old process) and its resident pages. A tree is
//! found through `/proc/<pid>/task/<tid>/children`, or by scanning every process's parent where
//! the kernel does not offer that file. Elsewhere than Linux nothing is found, so nothing is
//! sampled.

use std::collections::HashMap;
use std::path::Path;

/// What one process's `stat` line says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// The parent's process id.
    pub ppid: u32,
    /// `Z` for a zombie (ended, not yet waited for), `R`, `S`, ... otherwise.
    pub state: char,
    /// User plus system CPU time, in clock ticks.
    pub ticks: u64,
    /// When it started, in clock ticks after boot: with the pid, a process's identity.
    pub start: u64,
    /// Resident memory, in pages.
    pub rss_pages: u64,
}

/// Parses a `/proc/<pid>/stat` line. The command name sits in parentheses and may itself hold
/// spaces and parentheses, so the fields are counted from the last `)`.
pub fn parse_stat(line: &str) -> Option<Stat> {
    let after = &line[line.rfind(')')? + 1..];
    // Fields from the third (state) on: state is [0], ppid [1], utime [11], stime [12],
    // starttime [19], rss [21] (proc(5) numbers them 3, 4, 14, 15, 22 and 24).
    let fields: Vec<&str> = after.split_whitespace().collect();
    let number = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: u32::try_from(number(1)?).ok()?,
        ticks: number(11)?.saturating_add(number(12)?),
        start: number(19)?,
        rss_pages: number(21)?,
    })
}

/// One process's `stat`, if it exists.
pub fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// True while `pid` is a process that has not ended (a zombie has).
pub fn is_alive(pid: u32) -> bool {
    stat(pid).is_some_and(|s| s.state != 'Z')
}

/// `root` and every process below it, with their `stat`; empty once `root` is gone.
pub fn tree(root: u32) -> Vec<(u32, Stat)> {
    let Some(first) = stat(root).filter(|s| s.state != 'Z') else {
        return Vec::new();
    };
    let mut found = vec![(root, first)];
    let by_parent = if children_files(root).is_some() {
        None
    } else {
        Some(parents())
    };
    let mut next = 0;
    while next < found.len() {
        let pid = found[next].0;
        next += 1;
        let children = match &by_parent {
            Some(map) => map.get(&pid).cloned().unwrap_or_default(),
            None => children_files(pid).unwrap_or_default(),
        };
        for child in children {
            // A pid already seen would mean a cycle from a pid reused mid-walk.
            if found.iter().any(|(p, _)| *p == child) {
                continue;
            }
            if let Some(s) = stat(child).filter(|s| s.state != 'Z') {
                found.push((child, s));
            }
        }
    }
    found
}

/// The children of `pid`, from each of its threads' `children` file; `None` where the kernel
/// has no such files.
fn children_files(pid: u32) -> Option<Vec<u32>> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut children = Vec::new();
    let mut any = false;
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("children")) else {
            continue;
        };
        any = true;
        children.extend(
            text.split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
    }
    any.then_some(children)
}

/// Every process's children, by scanning `/proc`.
fn parents() -> HashMap<u32, Vec<u32>> {
    let mut map: HashMap<u32, Vec<u32>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir(Path::new("/proc")) else {
        return map;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(s) = stat(pid) {
            map.entry(s.ppid).or_default().push(pid);
        }
    }
    map
}

/// Clock ticks per second, the unit of [`Stat::ticks`].
pub fn ticks_per_second() -> f64 {
    sysconf(Conf::ClockTicks).unwrap_or(100) as f64
}

/// Bytes per page, the unit of [`Stat::rss_pages`].
pub fn page_size() -> u64 {
    sysconf(Conf::PageSize).unwrap_or(4096)
}

enum Conf {
    ClockTicks,
    PageSize,
}

#[cfg(unix)]
fn sysconf(conf: Conf) -> Option<u64> {
    let name = match conf {
        Conf::ClockTicks => libc::_SC_CLK_TCK,
        Conf::PageSize => libc::_SC_PAGESIZE,
    };
    // SAFETY: sysconf only reads a system constant.
    let value = unsafe { libc::sysconf(name) };
    u64::try_from(value).ok().filter(|v| *v > 0)
}

#[cfg(not(unix))]
fn sysconf(_: Conf) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_stat_line_whose_name_has_spaces_and_parentheses() {
        let line = "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 1200 0 0 0 \
                    350 150 0 0 20 0 9 0 777 123456789 2560 18446744073709551615 1 1 0 0 0";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                ppid: 1,
                state: 'S',
                ticks: 500,
                start: 777,
                rss_pages: 2560,
            })
        );
        assert_eq!(parse_stat("4242 (short) S 1"), None);
        assert_eq!(parse_stat("no parenthesis"), None);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn finds_this_process_and_a_child_it_started() {
        let me = std::process::id();
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let tree = tree(me);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(tree[0].0, me);
        assert!(tree[0].1.rss_pages > 0);
        assert!(tree.iter().any(|(pid, _)| *pid == child.id()), "{tree:?}");
        assert!(!is_alive(child.id()));
        assert!(ticks_per_second() > 0.0 && page_size() >= 4096);
    }
}
