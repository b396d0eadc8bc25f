//! Drawing QR codes. The encoder (crate `qr-encoder`, its own small wasm
//! built by scripts/build-web.sh) is loaded the first time the page shows
//! a code: a `<script>` for its no-modules glue, then its wasm. The
//! wallet's first load does not carry it (8.9 KB Brotli less: README, Size).

use js_sys::{Function, Object, Promise, Reflect};
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// What the page can show for a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drawn {
    /// The side length in modules (quiet zone included) and an SVG path
    /// drawing every dark module.
    Code(usize, String),
    /// The text does not fit a QR code.
    TooLong,
    /// The encoder could not be loaded (offline, or blocked).
    Unavailable,
}

/// The global the encoder's glue defines (`wasm-bindgen --no-modules-global`
/// in scripts/build-web.sh): its init function, with its exports on it.
const GLOBAL: &str = "lockstepQrEncoder";
const SCRIPT_PATH: &str = "/qr-encoder.js";
const WASM: &str = "/qr-encoder_bg.wasm";

thread_local! {
    /// The encoder's script, loaded or on its way (every code on the page
    /// waits for the same `<script>`).
    static SCRIPT: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// `text` as a QR code.
pub async fn draw(text: &str) -> Drawn {
    let Ok(encoder) = encoder().await else {
        return Drawn::Unavailable;
    };
    let svg_path = Reflect::get(&encoder, &"svgPath".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    let Some(svg_path) = svg_path else {
        return Drawn::Unavailable;
    };
    match svg_path.call1(&encoder, &text.into()) {
        Ok(answer) => match answer.as_string() {
            Some(answer) => parse(&answer).unwrap_or(Drawn::Unavailable),
            None => Drawn::TooLong,
        },
        Err(_) => Drawn::Unavailable,
    }
}

/// The encoder's answer, `"<side> <path>"`.
fn parse(answer: &str) -> Option<Drawn> {
    let (side, path) = answer.split_once(' ')?;
    Some(Drawn::Code(side.parse().ok()?, path.to_string()))
}

/// The encoder's init function, its exports on it, once its wasm is ready.
/// (Calling init again after the first time returns at once.)
async fn encoder() -> Result<JsValue, ()> {
    let script = SCRIPT.with(|s| s.borrow_mut().get_or_insert_with(add_script).clone());
    if JsFuture::from(script).await.is_err() {
        // Not for good: the next code tries again (the network may be back).
        SCRIPT.with(|s| *s.borrow_mut() = None);
        return Err(());
    }
    let window = web_sys::window().ok_or(())?;
    let init: Function = Reflect::get(&window, &GLOBAL.into())
        .map_err(drop)?
        .dyn_into()
        .map_err(drop)?;
    let options = Object::new();
    Reflect::set(&options, &"module_or_path".into(), &WASM.into()).map_err(drop)?;
    let ready: Promise = init
        .call1(&JsValue::NULL, &options)
        .map_err(drop)?
        .dyn_into()
        .map_err(drop)?;
    JsFuture::from(ready).await.map_err(drop)?;
    Ok(init.into())
}

/// Adds the encoder's `<script>` to the page; the promise settles when it
/// has run or failed to load.
fn add_script() -> Promise {
    Promise::new(&mut |resolve, reject| {
        let added = (|| -> Option<()> {
            let document = web_sys::window()?.document()?;
            let script: web_sys::HtmlElement =
                document.create_element("script").ok()?.dyn_into().ok()?;
            script.set_attribute("src", SCRIPT_PATH).ok()?;
            script.set_onload(Some(&resolve));
            script.set_onerror(Some(&reject));
            document.body()?.append_child(&script).ok()?;
            Some(())
        })();
        if added.is_none() {
            let _ = reject.call0(&JsValue::NULL);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reads_the_encoders_answer() {
        assert_eq!(
            parse("29 M4 4h1v1h-1zM5 4h1v1h-1z"),
            Some(Drawn::Code(29, "M4 4h1v1h-1zM5 4h1v1h-1z".into()))
        );
        assert_eq!(parse("29"), None);
        assert_eq!(parse("x M4 4h1v1h-1z"), None);
    }
}
