//! Appendable strings for model states: an append shares the old value and adds one
//! small node, so states that differ by an append cost O(appended) to build, and a
//! rolling hash keeps hashing O(1).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

const ROLL: u64 = 0x0000_0100_0000_01b3;

fn roll(hash: u64, s: &str) -> u64 {
    s.bytes().fold(hash, |h, b| {
        h.wrapping_mul(ROLL).wrapping_add(u64::from(b) + 1)
    })
}

/// Bytes of an appended piece; short pieces live inside the node, saving an allocation.
enum Chunk {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

const INLINE: usize = 22;

impl Chunk {
    fn new(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Chunk::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            Chunk::Heap(s.as_bytes().into())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Chunk::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Chunk::Heap(bytes) => bytes,
        }
    }
}

struct Node {
    /// The value before the last append, if any.
    prev: Option<Rc<Node>>,
    /// The appended piece.
    chunk: Chunk,
    /// Length of the whole value, in bytes.
    len: usize,
    /// Rolling hash of the whole value.
    hash: u64,
}

impl Drop for Node {
    // Unlinks long chains iteratively, so dropping a long value cannot overflow the stack.
    fn drop(&mut self) {
        let mut prev = self.prev.take();
        while let Some(node) = prev {
            match Rc::try_unwrap(node) {
                Ok(mut node) => prev = node.prev.take(),
                Err(_) => break,
            }
        }
    }
}

/// An immutable string built by appends; clones share storage.
#[derive(Clone)]
pub struct Text(Rc<Node>);

impl Text {
    /// A text holding `s`.
    pub fn new(s: &str) -> Self {
        Text(Rc::new(Node {
            prev: None,
            chunk: Chunk::new(s),
            len: s.len(),
            hash: roll(0, s),
        }))
    }

    /// This text followed by `suffix`.
    pub fn appended(&self, suffix: &str) -> Self {
        Text(Rc::new(Node {
            prev: Some(self.0.clone()),
            chunk: Chunk::new(suffix),
            len: self.0.len + suffix.len(),
            hash: roll(self.0.hash, suffix),
        }))
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// The pieces, last first.
    fn chunks_rev(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::successors(Some(&*self.0), |n| n.prev.as_deref()).map(|n| n.chunk.as_bytes())
    }

    /// True when the text equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        self.len() == s.len() && self.starts(s.as_bytes())
    }

    /// True when the text is a prefix of `s`.
    pub fn is_prefix_of(&self, s: &str) -> bool {
        self.len() <= s.len() && self.starts(s.as_bytes())
    }

    /// True when `bytes` (at least as long as the text) starts with the text.
    fn starts(&self, bytes: &[u8]) -> bool {
        let mut end = self.len();
        for chunk in self.chunks_rev() {
            let start = end - chunk.len();
            if &bytes[start..end] != chunk {
                return false;
            }
            end = start;
        }
        true
    }
}

/// Compares two equally long chains from the end, stopping early at a shared node.
fn same_content(a: &Node, b: &Node) -> bool {
    let (mut a, mut b) = (Some(a), Some(b));
    let (mut ra, mut rb): (&[u8], &[u8]) = (&[], &[]);
    loop {
        if ra.is_empty() && rb.is_empty() {
            match (a, b) {
                (None, None) => return true,
                (Some(x), Some(y)) if std::ptr::eq(x, y) => return true,
                _ => {}
            }
        }
        if ra.is_empty() {
            let Some(node) = a else { return false };
            ra = node.chunk.as_bytes();
            a = node.prev.as_deref();
            continue;
        }
        if rb.is_empty() {
            let Some(node) = b else { return false };
            rb = node.chunk.as_bytes();
            b = node.prev.as_deref();
            continue;
        }
        let k = ra.len().min(rb.len());
        let (ha, ta) = ra.split_at(ra.len() - k);
        let (hb, tb) = rb.split_at(rb.len() - k);
        if ta != tb {
            return false;
        }
        (ra, rb) = (ha, hb);
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
            || (self.0.hash == other.0.hash
                && self.0.len == other.0.len
                && same_content(&self.0, &other.0))
    }
}

impl Eq for Text {}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chunks: Vec<&[u8]> = self.chunks_rev().collect();
        let bytes: Vec<u8> = chunks.into_iter().rev().flatten().copied().collect();
        // The pieces came from `&str`s, so their concatenation is valid UTF-8.
        f.write_str(&String::from_utf8_lossy(&bytes))
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::FixedState;
    use std::hash::BuildHasher;

    fn build(pieces: &[&str]) -> Text {
        let mut t = Text::new(pieces[0]);
        for p in &pieces[1..] {
            t = t.appended(p);
        }
        t
    }

    #[test]
    fn equal_content_is_equal_whatever_the_pieces() {
        let a = build(&["ab", "cde", "", "f"]);
        let b = build(&["a", "bcd", "ef"]);
        let c = Text::new("abcdef");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(
            FixedState::default().hash_one(&a),
            FixedState::default().hash_one(&c)
        );
        assert_eq!(a.to_string(), "abcdef");
        assert_ne!(a, build(&["abc", "dex"]));
        assert_ne!(a, Text::new("abcde"));
    }

    #[test]
    fn shared_prefixes_compare_equal() {
        let base = build(&["x", "y", "z"]);
        assert_eq!(base.appended("1"), base.appended("1"));
        assert_ne!(base.appended("1"), base.appended("2"));
        assert_eq!(base.appended("12"), base.appended("1").appended("2"));
    }

    #[test]
    fn compares_with_plain_strings() {
        let t = build(&["ab", "", "c"]);
        assert!(t.eq_str("abc"));
        assert!(t.is_prefix_of("abc") && t.is_prefix_of("abcd"));
        assert!(!t.is_prefix_of("ab") && !t.is_prefix_of("abd") && !t.is_prefix_of("xabc"));
        assert!(Text::new("").is_prefix_of(""));
        assert!(!Text::new("é").is_prefix_of("\u{e8}"));
        assert!(!t.eq_str("abd"));
        assert!(!t.eq_str("ab"));
        assert!(Text::new("").eq_str("") && Text::new("").is_empty());
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn long_and_multibyte_pieces_round_trip() {
        let long = "é".repeat(40);
        let t = build(&["ü", &long, "x"]);
        assert_eq!(t.to_string(), format!("ü{long}x"));
        assert!(t.eq_str(&format!("ü{long}x")));
        assert_eq!(t, Text::new(&format!("ü{long}x")));
        assert_eq!(t.len(), 2 + long.len() + 1);
    }

    #[test]
    fn long_chains_drop_without_recursion() {
        let mut t = Text::new("");
        for _ in 0..200_000 {
            t = t.appended("x");
        }
        assert_eq!(t.len(), 200_000);
        drop(t);
    }
}
