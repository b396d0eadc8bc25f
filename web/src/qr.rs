//! QR codes as SVG path data (the `qrcode` crate without its renderers).

use qrcode::{Color, EcLevel, QrCode};

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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn draws_a_code() {
        let (side, d) = svg_path("tml1qqpuezjtcexcj77achau9ans775t5zecvau3qm83").unwrap();
        assert!(side >= 21 + 8);
        assert!(d.starts_with('M') && d.ends_with('z'));
        assert!(svg_path(&"x".repeat(5000)).is_none());
    }
}
