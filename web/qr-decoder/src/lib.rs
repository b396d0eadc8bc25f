//! The QR decoder the web wallet falls back on where the browser has no
//! `BarcodeDetector`: rqrr over a camera frame's RGBA pixels. Built as its
//! own wasm (scripts/build-web.sh) and run in a worker (`qr-worker.js`)
//! that the page starts only when Scan is pressed, so the wallet's first
//! load does not carry it.

use wasm_bindgen::prelude::*;

/// The text of the first QR code found in an RGBA frame of `width` ×
/// `height` pixels, or `None` (no code, or `rgba` is not that size).
#[wasm_bindgen]
pub fn decode_rgba(rgba: &[u8], width: usize, height: usize) -> Option<String> {
    if width == 0 || height == 0 || width.checked_mul(height)?.checked_mul(4)? != rgba.len() {
        return None;
    }
    let luma = |x: usize, y: usize| {
        let p = &rgba[(y * width + x) * 4..][..3];
        // Rec. 601 weights in integers: what a camera's Y channel is.
        ((u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8) as u8
    };
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    img.detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_meta, text)| text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcode::{Color, QrCode};

    /// `text` as a QR code drawn into an RGBA frame, `scale` pixels a
    /// module, with a white border (the quiet zone) of 4 modules.
    fn frame(text: &str, scale: usize) -> (Vec<u8>, usize) {
        let code = QrCode::new(text.as_bytes()).expect("fits a QR code");
        let modules = code.width();
        let colors = code.to_colors();
        let side = (modules + 8) * scale;
        let mut rgba = vec![255u8; side * side * 4];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = ((x / scale).wrapping_sub(4), (y / scale).wrapping_sub(4));
                if mx < modules && my < modules && colors[my * modules + mx] == Color::Dark {
                    rgba[(y * side + x) * 4..][..3].fill(0);
                }
            }
        }
        (rgba, side)
    }

    #[test]
    fn a_generated_invite_code_decodes_to_its_text() {
        let invite = "lsi1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0jqgfzyvjz2f38yqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqy";
        let (rgba, side) = frame(invite, 4);
        assert_eq!(decode_rgba(&rgba, side, side).as_deref(), Some(invite));
    }

    #[test]
    fn a_frame_without_a_code_or_of_the_wrong_size_decodes_to_nothing() {
        let side = 64;
        assert_eq!(decode_rgba(&vec![255; side * side * 4], side, side), None);
        let (rgba, side) = frame("lsj1abc", 4);
        assert_eq!(decode_rgba(&rgba, side, side + 1), None);
        assert_eq!(decode_rgba(&rgba[1..], side, side), None);
        assert_eq!(decode_rgba(&[], 0, 0), None);
        assert_eq!(decode_rgba(&[], usize::MAX, usize::MAX), None);
    }
}
