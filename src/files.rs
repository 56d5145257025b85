//! Reading user files with a size cap: one byte past the limit is enough to refuse a file, so
//! an endless or huge file costs no more than the limit.

use std::io::Read;
use std::path::Path;

/// Why a capped read failed.
#[derive(Debug, thiserror::Error)]
pub enum CappedReadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is larger than the limit.
    #[error("file is larger than the limit of {0} bytes")]
    TooLarge(u64),
}

/// The file's bytes, or [`CappedReadError::TooLarge`] when it holds more than `limit` bytes.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, CappedReadError> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(CappedReadError::TooLarge(limit));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_one_byte_over_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "12345").unwrap();
        assert_eq!(read_capped(&path, 5).unwrap(), b"12345");
        assert!(matches!(
            read_capped(&path, 4),
            Err(CappedReadError::TooLarge(4))
        ));
        assert!(matches!(
            read_capped(&dir.path().join("missing"), 4),
            Err(CappedReadError::Io(_))
        ));
    }
}
