//! Files that readers may open at any moment: written whole or not at all, under a lock shared
//! by every process that writes the folder.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why report files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be created, written, renamed or removed.
    #[error("cannot write report file {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A case file or the run marker could not be read.
    #[error("cannot read report file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A case file or the run marker is not what loadgate writes (edited, or another version).
    #[error("report file {} is not a loadgate case file of this version: {source}; remove the folder to start afresh", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the JSON reader said.
        source: serde_json::Error,
    },
    /// The folder's lock could not be taken.
    #[error("cannot lock the report folder with {}: {source}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}

/// Ends the name of a file being written; one left behind (a process killed mid-write) is
/// removed when the next run starts.
pub(super) const TEMP_SUFFIX: &str = ".tmp";

/// Writes `path` through a temporary file in its folder, renamed over `path` when complete.
/// Not synced to the disk: the rename is for readers running meanwhile, not for power cuts,
/// and the next run rewrites every report anyway.
pub(crate) fn write_atomically(
    path: &Path,
    content: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), ReportError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("report");
    let temp = path.with_file_name(format!(
        ".{name}.{}.{}{TEMP_SUFFIX}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = fs::File::create(&temp).and_then(|file| {
        let mut out = io::BufWriter::new(file);
        content(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?;
        fs::rename(&temp, path)
    });
    written.map_err(|source| {
        let _ = fs::remove_file(&temp);
        ReportError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Replaces the run's part of the step summary at `path` (from `part`, its file and start, when
/// this run wrote there before) with `markdown`; returns where the part starts.
pub(super) fn rewrite_run_part(
    path: &Path,
    part: Option<(PathBuf, u64)>,
    markdown: &[u8],
) -> Result<(PathBuf, u64), ReportError> {
    let failed = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(failed)?;
    let length = file.metadata().map_err(failed)?.len();
    let start = match part {
        Some((earlier, start)) if earlier == path && start <= length => start,
        _ => length,
    };
    file.set_len(start).map_err(failed)?;
    io::Seek::seek(&mut file, io::SeekFrom::Start(start)).map_err(failed)?;
    file.write_all(markdown).map_err(failed)?;
    Ok((path.to_path_buf(), start))
}

/// An exclusive lock on the report folder, released when dropped or when the process ends.
pub(super) struct FolderLock(fs::File);

impl FolderLock {
    pub(super) fn acquire(path: &Path) -> Result<Self, ReportError> {
        let failed = |source| ReportError::Lock {
            path: path.to_path_buf(),
            source,
        };
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(failed)?;
        file.lock().map_err(failed)?;
        Ok(FolderLock(file))
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_summary_holds_the_run_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary");
        fs::write(&path, "before\n").unwrap();
        let part = rewrite_run_part(&path, None, b"one case\n").unwrap();
        assert_eq!(part.1, 7);
        let part = rewrite_run_part(&path, Some(part), b"two cases\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "before\ntwo cases\n");
        // Another file, or one cut shorter since: the part starts at its end.
        fs::write(&path, "new\n").unwrap();
        let part = rewrite_run_part(&path, Some(part), b"three\n").unwrap();
        assert_eq!(part.1, 4);
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\nthree\n");
    }
}
