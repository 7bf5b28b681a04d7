//! Helpers shared by the integration tests: decoding PNGs and inspecting their pixels.

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
