//! QR codes as SVG path data (the `qrcode` crate without its renderers),
//! for the invite, answer and address codes the web wallet shows.
//!
//! Built as its own wasm (scripts/build-web.sh, `wasm-bindgen --target
//! no-modules`) that the page loads the first time it draws a code
//! (`web/src/qr.rs`): keeping it out of the wallet's wasm takes 8.9 KB
//! Brotli off the first load; on its own it is 19.6 KB of wasm and 1.8 KB
//! of JS (Brotli), fetched when a code is first shown.

use qrcode::{Color, EcLevel, QrCode};
use wasm_bindgen::prelude::*;

/// Quiet zone around the code, in modules.
const QUIET: usize = 4;

/// The side length (modules, quiet zone included) and an SVG path drawing
/// every dark module, or `None` when the text is too long for a QR code.
pub fn svg_path(text: &str) -> Option<(usize, String)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let mut d = String::with_capacity(colors.len() * 4);
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            d.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Some((width + 2 * QUIET, d))
}

/// [`svg_path`] for the page: `"<side> <path>"`, or `undefined` when the
/// text is too long.
#[wasm_bindgen(js_name = svgPath)]
pub fn svg_path_text(text: &str) -> Option<String> {
    svg_path(text).map(|(side, d)| format!("{side} {d}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_code() {
        let (side, d) = svg_path("tml1qqpuezjtcexcj77achau9ans775t5zecvau3qm83").unwrap();
        assert!(side >= 21 + 8);
        assert!(d.starts_with('M') && d.ends_with('z'));
        assert!(svg_path(&"x".repeat(5000)).is_none());
    }

    #[test]
    fn the_page_gets_the_side_then_the_path() {
        let text = "tml1qqpuezjtcexcj77achau9ans775t5zecvau3qm83";
        let (side, d) = svg_path(text).unwrap();
        assert_eq!(svg_path_text(text), Some(format!("{side} {d}")));
        assert_eq!(svg_path_text(&"x".repeat(5000)), None);
    }
}
