//! Reading user files with a size cap, for data files: the same reader YAML files go through,
//! so a named pipe or a device is refused before it is opened and a huge file costs no more
//! than the limit.

pub use crate::suite::yaml::{read_capped, CappedReadError};

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

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_capped(dir.path(), 4).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file");
    }
}
