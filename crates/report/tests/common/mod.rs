//! Helpers shared by the integration tests: decoding PNGs, inspecting pixels, checking markup.
// Each test crate uses a different subset of the helpers.
#![allow(dead_code)]

/// A decoded RGB image.
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// RGB triples, row-major.
    pub rgb: Vec<u8>,
}

impl Image {
    /// Decodes a PNG produced by the crate (8-bit RGB).
    pub fn decode(bytes: &[u8]) -> Image {
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "not a PNG signature"
        );
        let decoder = png::Decoder::new(bytes);
        let mut reader = decoder.read_info().expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("PNG frame");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        buf.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            rgb: buf,
        }
    }

    /// The pixel at `(x, y)`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Pixels in rows `rows` that are clearly darker than the white background.
    pub fn dark_pixels_in_rows(&self, rows: std::ops::Range<u32>) -> usize {
        rows.flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|&(x, y)| self.pixel(x, y).iter().all(|&c| c < 128))
            .count()
    }

    /// Distinct colours in the whole image.
    pub fn distinct_colors(&self) -> usize {
        let mut seen = std::collections::BTreeSet::new();
        for px in self.rgb.chunks(3) {
            seen.insert([px[0], px[1], px[2]]);
        }
        seen.len()
    }

    /// Whether any pixel is within `tolerance` of `color` on every channel.
    pub fn contains_color(&self, color: [u8; 3], tolerance: u8) -> bool {
        self.rgb.chunks(3).any(|px| {
            px.iter()
                .zip(color)
                .all(|(&a, b)| a.abs_diff(b) <= tolerance)
        })
    }
}

/// Checks that `doc` is well-formed markup: every element closed in order, nothing left open.
/// Returns the element names in document order. (Enough for the SVG this crate writes: no
/// comments, CDATA or `>` inside attribute values.)
pub fn check_markup(doc: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
            continue;
        }
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap()
            .to_string();
        names.push(name.clone());
        if !tag.ends_with('/') && !matches!(name.as_str(), "meta" | "img") {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed elements {stack:?}");
    names
}

/// Every `<tag ...>` start tag whose attributes contain `needle`.
pub fn tags_with<'a>(doc: &'a str, tag: &str, needle: &str) -> Vec<&'a str> {
    let open = format!("<{tag} ");
    doc.match_indices(&open)
        .map(|(i, _)| &doc[i..i + doc[i..].find('>').unwrap()])
        .filter(|t| t.contains(needle))
        .collect()
}

/// Standard base64 decoding (the HTML report's data URIs).
pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &v)| n | (u32::from(v) << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}
