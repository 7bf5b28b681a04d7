//! The bundled font. PNG rendering rasterises text itself, so it must not depend on system fonts:
//! DejaVu Sans is compiled into the crate and registered with plotters' `ab_glyph` font table.
//!
//! PNG charts ask for a family name that only the bundled font answers to, so text can never come
//! from a system font: if plotters' `ttf` feature (font-kit, fontconfig) were ever enabled in the
//! build, PNG rendering would fail loudly instead. SVG charts name the generic `sans-serif`
//! family, which viewers resolve themselves; plotters measures their text with the bundled font.

use crate::ReportError;
use plotters::style::FontStyle;
use std::sync::OnceLock;

/// DejaVu Sans (Bitstream Vera license, see `assets/DejaVuSans-LICENSE.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The family PNG charts use: the bundled font and nothing else.
pub(crate) const PNG_FAMILY: &str = "faultline-dejavu-sans";

/// The family SVG charts name in their `font-family` attributes.
pub(crate) const SVG_FAMILY: &str = "sans-serif";

/// Registers the bundled font under both families, once per process.
pub(crate) fn ensure_registered() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [PNG_FAMILY, SVG_FAMILY].into_iter().all(|family| {
            [FontStyle::Normal, FontStyle::Bold]
                .into_iter()
                .all(|style| plotters::style::register_font(family, style, DEJAVU_SANS).is_ok())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font)
    }
}
