//! A command's words — its name, then its arguments — as they cross into a
//! command or hook in one buffer.
//!
//! One `list<u8>` is one allocation in the plugin's memory, where a
//! `list<list<u8>>` is one per argument and each costs the host a call into
//! the plugin, so the host packs the words: a little-endian `u32` count, one
//! little-endian `u32` length per word, then the words' bytes one after the
//! other. [`Args`] reads the arguments from it in place.

/// Packs `words` as the host does (for native tests of commands and hooks).
pub fn pack<'a>(words: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let words: Vec<&[u8]> = words.into_iter().collect();
    let mut out =
        Vec::with_capacity(4 + 4 * words.len() + words.iter().map(|w| w.len()).sum::<usize>());
    out.extend_from_slice(&(words.len() as u32).to_le_bytes());
    for w in &words {
        out.extend_from_slice(&(w.len() as u32).to_le_bytes());
    }
    for w in &words {
        out.extend_from_slice(w);
    }
    out
}

/// A checked packed buffer: every length it declares is within it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Words {
    buf: Vec<u8>,
    count: usize,
}

impl Words {
    /// Checks `buf`; a malformed one (which the host never sends) reads as
    /// no words at all.
    pub(crate) fn new(buf: Vec<u8>) -> Words {
        let count = Self::check(&buf).unwrap_or(0);
        Words { buf, count }
    }

    fn check(buf: &[u8]) -> Option<usize> {
        let count = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?) as usize;
        let table = 4usize.checked_add(count.checked_mul(4)?)?;
        let lengths = buf.get(4..table)?;
        let total = lengths.chunks_exact(4).try_fold(0usize, |sum, l| {
            sum.checked_add(u32::from_le_bytes(l.try_into().ok()?) as usize)
        })?;
        (table.checked_add(total)? == buf.len()).then_some(count)
    }

    /// The number of words.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The words from the `skip`-th on.
    pub(crate) fn from(&self, skip: usize) -> Args<'_> {
        let table = 4 + 4 * self.count;
        let mut at = table;
        let mut i = 0;
        // Find where word `skip` starts.
        while i < skip.min(self.count) {
            at += self.length(i);
            i += 1;
        }
        Args {
            words: self,
            first: skip.min(self.count),
            at,
        }
    }

    fn length(&self, i: usize) -> usize {
        let l = &self.buf[4 + 4 * i..8 + 4 * i];
        u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize
    }

    /// Word `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        self.from(i).first()
    }
}

/// The arguments of a command, byte for byte as the client sent them: a
/// borrowed, slice-like view (`len`, `get`, `iter`, indexing) of the words
/// the host passed in.
#[derive(Debug, Clone, Copy)]
pub struct Args<'a> {
    words: &'a Words,
    /// The index of the first word in view.
    first: usize,
    /// Where its bytes start in the buffer.
    at: usize,
}

impl<'a> Args<'a> {
    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.words.count - self.first
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Argument `i`, if there are that many.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        self.iter().nth(i)
    }

    /// The first argument.
    pub fn first(&self) -> Option<&'a [u8]> {
        self.iter().next()
    }

    /// The last argument.
    pub fn last(&self) -> Option<&'a [u8]> {
        self.iter().last()
    }

    /// The arguments in order.
    pub fn iter(&self) -> ArgsIter<'a> {
        ArgsIter {
            words: self.words,
            next: self.first,
            at: self.at,
        }
    }

    /// The arguments, copied.
    pub fn to_vec(&self) -> Vec<Vec<u8>> {
        self.iter().map(<[u8]>::to_vec).collect()
    }
}

impl<'a> IntoIterator for Args<'a> {
    type Item = &'a [u8];
    type IntoIter = ArgsIter<'a>;
    fn into_iter(self) -> ArgsIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &Args<'a> {
    type Item = &'a [u8];
    type IntoIter = ArgsIter<'a>;
    fn into_iter(self) -> ArgsIter<'a> {
        self.iter()
    }
}

impl std::ops::Index<usize> for Args<'_> {
    type Output = [u8];
    /// Argument `i`; panics if there are not that many, as a slice does.
    fn index(&self, i: usize) -> &[u8] {
        match self.get(i) {
            Some(arg) => arg,
            None => panic!(
                "index out of bounds: there are {} arguments but the index is {i}",
                self.len()
            ),
        }
    }
}

impl PartialEq<[&[u8]]> for Args<'_> {
    fn eq(&self, other: &[&[u8]]) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

/// The iterator of [`Args::iter`].
#[derive(Debug, Clone)]
pub struct ArgsIter<'a> {
    words: &'a Words,
    next: usize,
    at: usize,
}

impl<'a> Iterator for ArgsIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.next >= self.words.count {
            return None;
        }
        let len = self.words.length(self.next);
        let word = &self.words.buf[self.at..self.at + len];
        self.next += 1;
        self.at += len;
        Some(word)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.words.count - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for ArgsIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_pack_and_read_back_in_place() {
        let w = Words::new(pack([&b"SET"[..], b"k", b"", b"\0\xff"]));
        assert_eq!(w.len(), 4);
        assert_eq!(w.get(0), Some(&b"SET"[..]));
        let args = w.from(1);
        assert_eq!(args.len(), 3);
        assert_eq!(args.get(2), Some(&b"\0\xff"[..]));
        assert_eq!(args.get(3), None);
        assert_eq!(&args[0], b"k");
        assert_eq!(args.last(), Some(&b"\0\xff"[..]));
        assert_eq!(
            args.to_vec(),
            vec![b"k".to_vec(), vec![], b"\0\xff".to_vec()]
        );
        assert_eq!(args.iter().len(), 3);
        assert!(w.from(9).is_empty());
    }

    #[test]
    fn a_malformed_buffer_has_no_words() {
        for bad in [
            vec![],
            vec![1, 0, 0],
            vec![1, 0, 0, 0, 5, 0, 0, 0, b'a'],
            vec![255, 255, 255, 255],
            vec![1, 0, 0, 0, 255, 255, 255, 255],
        ] {
            let w = Words::new(bad);
            assert_eq!(w.len(), 0);
            assert!(w.from(1).is_empty());
        }
    }
}
