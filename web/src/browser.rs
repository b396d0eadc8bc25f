//! Thin wrappers over browser APIs: time, sleeping, randomness, files,
//! the clipboard, persistent storage. They compile natively (for clippy
//! and native unit tests of the pure modules) but only work in a browser.

use js_sys::Promise;
use wallet_core::entropy::Entropy;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The device clock in milliseconds.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Resolves when the browser is idle (`requestIdleCallback`), or after
/// `limit_ms` at the latest; a plain timer where there is no such call.
pub async fn idle(limit_ms: f64) {
    let p = Promise::new(&mut |resolve, _| {
        let Some(w) = web_sys::window() else { return };
        let asked = js_sys::Reflect::has(&w, &"requestIdleCallback".into()).unwrap_or(false)
            && w.request_idle_callback(&resolve).is_ok();
        // Also a timer: an always-busy page still gets there.
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
            &resolve,
            if asked { limit_ms } else { 0.0 }.clamp(0.0, 2_147_483_000.0) as i32,
        );
    });
    let _ = JsFuture::from(p).await;
}

/// The browser's time zone at Unix time `unix_secs`, in minutes east of
/// UTC (JavaScript counts them west: the sign is turned).
pub fn utc_offset_minutes(unix_secs: u64) -> i64 {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_secs as f64 * 1000.0));
    -(date.get_timezone_offset() as i64)
}

/// Resolves after `ms` milliseconds (a `setTimeout`).
pub async fn sleep(ms: f64) {
    let p = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                ms.clamp(0.0, 2_147_483_000.0) as i32,
            );
        }
    });
    let _ = JsFuture::from(p).await;
}

/// `crypto.getRandomValues`, through getrandom's `wasm_js` backend.
#[derive(Debug, Default, Clone, Copy)]
pub struct BrowserEntropy;

impl Entropy for BrowserEntropy {
    fn fill(&mut self, out: &mut [u8]) {
        if let Err(e) = getrandom::fill(out) {
            // Without a CSPRNG no key, nonce or signature is safe: stop.
            panic!("the browser's random number generator is unavailable: {e}");
        }
    }
}

/// `navigator.onLine` (true when unknown).
pub fn online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}

/// Asks the browser not to evict this site's storage; returns whether it agreed.
pub async fn request_persistent_storage() -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    let Ok(p) = w.navigator().storage().persist() else {
        return false;
    };
    JsFuture::from(p)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Writes `text` to the clipboard.
pub async fn copy_text(text: &str) -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    let p = w.navigator().clipboard().write_text(text);
    JsFuture::from(p).await.is_ok()
}

/// Offers `text` as a file download named `file_name`.
pub fn download(file_name: &str, text: &str, mime: &str) -> bool {
    (|| -> Result<(), JsValue> {
        let parts = js_sys::Array::of1(&JsValue::from_str(text));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(mime);
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        let doc = web_sys::window()
            .and_then(|w| w.document())
            .ok_or(JsValue::NULL)?;
        let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
        web_sys::Url::revoke_object_url(&url)?;
        Ok(())
    })()
    .is_ok()
}

/// The text of the first file chosen in `<input type=file>`.
pub async fn read_file(input: &web_sys::HtmlInputElement) -> Option<String> {
    let file = input.files()?.get(0)?;
    JsFuture::from(file.text()).await.ok()?.as_string()
}

/// This tab's id, to tell its wallet lease from another tab's. A reload
/// keeps it (it lives in `sessionStorage`), so a reloaded page takes its
/// own lease back at once; any other navigation (a new or duplicated tab,
/// which may inherit `sessionStorage`) gets a fresh one.
pub fn tab_id() -> String {
    const KEY: &str = "lockstep-tab-id";
    let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    if navigation_type().as_deref() == Some("reload")
        && let Some(id) = storage
            .as_ref()
            .and_then(|s| s.get_item(KEY).ok().flatten())
    {
        return id;
    }
    let b: [u8; 8] = BrowserEntropy.bytes();
    let id = wallet_core::hex::encode(&b);
    if let Some(s) = storage {
        let _ = s.set_item(KEY, &id);
    }
    id
}

/// `performance.getEntriesByType("navigation")[0].type`: `navigate`,
/// `reload` or `back_forward`.
fn navigation_type() -> Option<String> {
    use js_sys::Reflect;
    let perf = Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok()?;
    let f: js_sys::Function = Reflect::get(&perf, &JsValue::from_str("getEntriesByType"))
        .ok()?
        .dyn_into()
        .ok()?;
    let entries = f.call1(&perf, &JsValue::from_str("navigation")).ok()?;
    let first = Reflect::get(&entries, &JsValue::from_f64(0.0)).ok()?;
    Reflect::get(&first, &JsValue::from_str("type"))
        .ok()?
        .as_string()
}

/// The invite in this page's address (`#join=lsi1…`), if any.
pub fn linked_invite() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    crate::view::invite_from_hash(&hash)
}

/// A link that opens this wallet page with `code` ready to join.
pub fn invite_link(code: &str) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}/#join={code}")
}

/// Removes the `#join=…` part from the address bar.
pub fn clear_hash() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash("");
    }
}

/// The clipboard's text (`navigator.clipboard.readText`); `None` when the
/// browser refuses (no permission, no clipboard, not a secure page).
pub async fn paste_text() -> Option<String> {
    let w = web_sys::window()?;
    // `navigator.clipboard` is undefined outside a secure context: calling
    // through it would throw.
    let clipboard = js_sys::Reflect::get(&w.navigator(), &JsValue::from_str("clipboard")).ok()?;
    if clipboard.is_undefined() {
        return None;
    }
    let p = w.navigator().clipboard().read_text();
    JsFuture::from(p).await.ok()?.as_string()
}

/// Puts `text` in an `<input>` or `<textarea>` as if typed: its `input`
/// event fires (the page's handlers see the change), and it gets focus.
pub fn set_field(field: &web_sys::Node, text: &str) {
    if let Some(input) = field.dyn_ref::<web_sys::HtmlInputElement>() {
        input.set_value(text);
    } else if let Some(area) = field.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.set_value(text);
    } else {
        return;
    }
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    if let Ok(event) = web_sys::Event::new_with_event_init_dict("input", &init) {
        let _ = field.dispatch_event(&event);
    }
    if let Some(el) = field.dyn_ref::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
}

/// Registers the service worker (`/sw.js`, written by scripts/build-web.sh)
/// that caches the app shell; where the browser has none (or the page is
/// not a secure context) the wallet runs as before.
pub fn register_service_worker() {
    let Some(w) = web_sys::window() else {
        return;
    };
    let has =
        js_sys::Reflect::has(&w.navigator(), &JsValue::from_str("serviceWorker")).unwrap_or(false);
    if !has {
        return;
    }
    let p = w.navigator().service_worker().register("/sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = JsFuture::from(p).await {
            web_sys::console::warn_2(&JsValue::from_str("service worker not registered:"), &e);
        }
    });
}
