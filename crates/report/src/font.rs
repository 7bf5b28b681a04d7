//! The bundled font. PNG rendering rasterises text itself, so it must not depend on system fonts:
//! DejaVu Sans is compiled into the crate and registered with plotters under the family name that
//! every chart uses.

use crate::ReportError;
use plotters::style::FontStyle;
use std::sync::OnceLock;

/// DejaVu Sans (Bitstream Vera license, see `assets/DejaVuSans-LICENSE.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The font family every chart asks for; it resolves to the bundled font.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the bundled font once per process (idempotent, cheap after the first call).
pub(crate) fn ensure_registered() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [FontStyle::Normal, FontStyle::Bold]
            .into_iter()
            .all(|style| plotters::style::register_font(FAMILY, style, DEJAVU_SANS).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font)
    }
}
