//! What the timer keeps of a response body while it reads it to the last byte.

use bytes::{Bytes, BytesMut};

/// A body read chunk by chunk inside the measured span: every byte is counted, chunks are kept
/// (as handles, no copy) only when a limit was given and only while the body fits it. A body
/// over the limit is still read to its end by the caller, so a large response costs its time
/// but not its size in memory.
#[derive(Debug)]
pub struct Kept {
    limit: Option<usize>,
    chunks: Vec<Bytes>,
    received: u64,
    over_limit: bool,
}

impl Kept {
    /// Ready to read one body; `limit` is `None` when the body is only counted. Call before the
    /// clock starts: a kept body of up to eight chunks then needs no allocation while timed.
    pub fn new(limit: Option<usize>) -> Self {
        Kept {
            limit,
            chunks: Vec::with_capacity(if limit.is_some() { 8 } else { 0 }),
            received: 0,
            over_limit: false,
        }
    }

    /// Counts one chunk and keeps it if the body is wanted and still fits the limit.
    #[inline]
    pub fn push(&mut self, chunk: Bytes) {
        if self.fits(chunk.len()) {
            self.chunks.push(chunk);
        }
    }

    /// Counts bytes that are about to be reused, keeping a copy if the body is wanted and still
    /// fits the limit.
    #[inline]
    pub fn push_slice(&mut self, chunk: &[u8]) {
        if !chunk.is_empty() && self.fits(chunk.len()) {
            self.chunks.push(Bytes::copy_from_slice(chunk));
        }
    }

    /// Counts `len` more bytes; whether they are to be kept.
    #[inline]
    fn fits(&mut self, len: usize) -> bool {
        self.received += len as u64;
        let Some(limit) = self.limit else {
            return false;
        };
        if self.over_limit {
            return false;
        }
        if self.received > limit as u64 {
            self.over_limit = true;
            self.chunks = Vec::new();
            return false;
        }
        true
    }

    /// The kept body (empty when not wanted or over the limit), the bytes received, and whether
    /// the body was wanted but larger than the limit. Joins the chunks: call after the clock
    /// stops. A single chunk is the body itself, without a copy.
    pub fn finish(mut self) -> (Bytes, u64, bool) {
        let body = match self.chunks.len() {
            0 => Bytes::new(),
            1 => self.chunks.pop().unwrap_or_default(),
            _ => {
                let size = self.chunks.iter().map(Bytes::len).sum();
                let mut body = BytesMut::with_capacity(size);
                for chunk in &self.chunks {
                    body.extend_from_slice(chunk);
                }
                body.freeze()
            }
        };
        (body, self.received, self.over_limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(limit: Option<usize>, chunks: &[&'static [u8]]) -> (Bytes, u64, bool) {
        let mut kept = Kept::new(limit);
        for chunk in chunks {
            kept.push(Bytes::from_static(chunk));
        }
        kept.finish()
    }

    #[test]
    fn counted_only_when_not_wanted() {
        assert_eq!(read(None, &[b"abc", b"de"]), (Bytes::new(), 5, false));
    }

    #[test]
    fn kept_whole_when_it_fits() {
        assert_eq!(
            read(Some(5), &[b"abc", b"de"]),
            (Bytes::from_static(b"abcde"), 5, false)
        );
        assert_eq!(
            read(Some(5), &[b"abc"]),
            (Bytes::from_static(b"abc"), 3, false)
        );
    }

    #[test]
    fn over_the_limit_keeps_nothing_and_counts_everything() {
        assert_eq!(
            read(Some(4), &[b"abc", b"de", b"f"]),
            (Bytes::new(), 6, true)
        );
    }

    #[test]
    fn a_single_chunk_is_not_copied() {
        let chunk = Bytes::from(vec![7u8; 1000]);
        let mut kept = Kept::new(Some(1000));
        kept.push(chunk.clone());
        let (body, _, _) = kept.finish();
        assert_eq!(body.as_ptr(), chunk.as_ptr());
    }
}
