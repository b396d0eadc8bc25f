//! Reading a QR code with the camera: the back camera (`getUserMedia`,
//! `facingMode: environment`) into a `<video>`, and its frames decoded by
//! the browser's `BarcodeDetector` where it has one, otherwise by the
//! small rqrr decoder (crate `qr-decoder`, its own wasm) in a worker
//! (`/qr-worker.js`) started only now: the first load never carries it.

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MediaStream};

/// Why scanning stopped without a code, as a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// No camera, or the user or browser refused it.
    Camera(String),
    /// Neither `BarcodeDetector` nor the fallback decoder could run.
    Decoder,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Camera(why) => write!(
                f,
                "The camera is not available ({why}). Paste the code instead."
            ),
            ScanError::Decoder => {
                f.write_str("This browser cannot read QR codes here. Paste the code instead.")
            }
        }
    }
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `getUserMedia`'s refusal (a `DOMException` by name) in words.
fn js_reason(e: &JsValue) -> String {
    match get(e, "name").as_string().as_deref() {
        Some("NotAllowedError" | "SecurityError") => "permission refused".into(),
        Some("NotFoundError" | "OverconstrainedError") => "no camera found".into(),
        Some("NotReadableError" | "AbortError") => "the camera is in use or failed".into(),
        Some(other) => other.to_string(),
        None => e.as_string().unwrap_or_else(|| "unknown error".into()),
    }
}

/// Opens the back camera (any camera where there is no back one).
pub async fn open_camera() -> Result<MediaStream, ScanError> {
    let devices = web_sys::window()
        .and_then(|w| w.navigator().media_devices().ok())
        .ok_or_else(|| ScanError::Camera("no camera access on this page".into()))?;
    let video = Object::new();
    let _ = Reflect::set(&video, &"facingMode".into(), &"environment".into());
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video(&video);
    let p = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| ScanError::Camera(js_reason(&e)))?;
    JsFuture::from(p)
        .await
        .map_err(|e| ScanError::Camera(js_reason(&e)))?
        .dyn_into()
        .map_err(|_| ScanError::Camera("no video".into()))
}

/// Stops every track of `stream` (the camera light goes off).
pub fn close_camera(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// What reads the codes in the video's frames.
pub enum Decoder {
    /// The browser's `BarcodeDetector` for `qr_code`.
    Native(JsValue),
    /// The rqrr worker and a canvas to grab frames with.
    Worker(web_sys::Worker, web_sys::HtmlCanvasElement),
}

impl Decoder {
    /// The browser's detector where it has one, the worker otherwise.
    pub fn new() -> Result<Decoder, ScanError> {
        let global = js_sys::global();
        let ctor = get(&global, "BarcodeDetector");
        if let Some(ctor) = ctor.dyn_ref::<js_sys::Function>() {
            let opts = Object::new();
            let _ = Reflect::set(&opts, &"formats".into(), &Array::of1(&"qr_code".into()));
            if let Ok(detector) = Reflect::construct(ctor, &Array::of1(&opts)) {
                return Ok(Decoder::Native(detector));
            }
        }
        let worker = web_sys::Worker::new("/qr-worker.js").map_err(|_| ScanError::Decoder)?;
        let canvas = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("canvas").ok())
            .and_then(|c| c.dyn_into().ok())
            .ok_or(ScanError::Decoder)?;
        Ok(Decoder::Worker(worker, canvas))
    }

    /// The text of a QR code in the video's current frame, if any.
    pub async fn detect(&self, video: &HtmlVideoElement) -> Result<Option<String>, ScanError> {
        let (w, h) = (video.video_width(), video.video_height());
        if w == 0 || h == 0 {
            return Ok(None); // no frame yet
        }
        match self {
            Decoder::Native(detector) => {
                let detect: js_sys::Function = get(detector, "detect")
                    .dyn_into()
                    .map_err(|_| ScanError::Decoder)?;
                let p: Promise = detect
                    .call1(detector, video)
                    .and_then(|p| p.dyn_into())
                    .map_err(|_| ScanError::Decoder)?;
                let found = JsFuture::from(p).await.map_err(|_| ScanError::Decoder)?;
                Ok(Array::from(&found)
                    .iter()
                    .find_map(|code| get(&code, "rawValue").as_string()))
            }
            Decoder::Worker(worker, canvas) => {
                // At most 640 pixels wide: plenty for a code that fills
                // part of the view, and quick to decode.
                let scale = (640.0 / f64::from(w)).min(1.0);
                let (cw, ch) = (
                    (f64::from(w) * scale).round() as u32,
                    (f64::from(h) * scale).round() as u32,
                );
                canvas.set_width(cw);
                canvas.set_height(ch);
                let ctx: web_sys::CanvasRenderingContext2d = canvas
                    .get_context("2d")
                    .ok()
                    .flatten()
                    .and_then(|c| c.dyn_into().ok())
                    .ok_or(ScanError::Decoder)?;
                ctx.draw_image_with_html_video_element_and_dw_and_dh(
                    video,
                    0.0,
                    0.0,
                    f64::from(cw),
                    f64::from(ch),
                )
                .map_err(|_| ScanError::Decoder)?;
                let frame = ctx
                    .get_image_data(0.0, 0.0, f64::from(cw), f64::from(ch))
                    .map_err(|_| ScanError::Decoder)?;
                // The worker answers each frame with one message: the text
                // or null; a worker that cannot load fires `error`.
                let reply = Promise::new(&mut |resolve, reject| {
                    worker.set_onmessage(Some(&resolve));
                    worker.set_onerror(Some(&reject));
                });
                worker
                    .post_message(&frame)
                    .map_err(|_| ScanError::Decoder)?;
                let event = JsFuture::from(reply)
                    .await
                    .map_err(|_| ScanError::Decoder)?;
                Ok(get(&event, "data").as_string())
            }
        }
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        if let Decoder::Worker(worker, _) = self {
            worker.terminate();
        }
    }
}
