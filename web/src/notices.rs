//! Notices: the tab title ("(1) Answer arrived · Lockstep wallet") and,
//! when the user turned them on and the browser permits, a notification,
//! for what wallet-core's `attention` says deserves one. The decision is
//! wallet-core's; this keeps the count the user has not looked at and
//! calls the browser.

use js_sys::Reflect;
use wallet_core::wallet::Wallet;
use wallet_core::wallet::attention::{Notice, NoticeKind, fresh, notices, tab_title};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// What the open wallet's notices stand at.
pub struct Notices {
    /// The notices given so far (wallet-core's last list).
    seen: Vec<Notice>,
    /// How many arrived since the user last touched the page.
    unseen: usize,
    latest: Option<NoticeKind>,
}

impl Notices {
    /// Starts with what is already true at unlock: that needs no notice
    /// (the page opens on it).
    pub fn start(wallet: &Wallet, relay_now: u64) -> Notices {
        set_title(0, None);
        Notices {
            seen: notices(wallet, relay_now),
            unseen: 0,
            latest: None,
        }
    }

    /// Looks at `wallet` again: each new notice counts in the title and,
    /// with `notify`, shows as a notification.
    pub fn update(&mut self, wallet: &Wallet, relay_now: u64, notify: bool) {
        let now = notices(wallet, relay_now);
        let new = fresh(&self.seen, &now);
        self.seen = now;
        if new.is_empty() {
            return;
        }
        for notice in &new {
            self.unseen += 1;
            self.latest = Some(notice.kind);
            if notify {
                show(notice.kind);
            }
        }
        set_title(self.unseen, self.latest);
    }

    /// The user touched the page: they have seen it.
    pub fn looked(&mut self) {
        if self.unseen > 0 {
            self.unseen = 0;
            set_title(0, None);
        }
    }
}

/// Puts the title back (the wallet was locked).
pub fn reset_title() {
    set_title(0, None);
}

fn set_title(unseen: usize, latest: Option<NoticeKind>) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&tab_title(unseen, latest));
    }
}

/// The browser's `Notification` constructor, where it has one.
fn notification_api() -> Option<js_sys::Function> {
    let window = web_sys::window()?;
    Reflect::get(&window, &JsValue::from_str("Notification"))
        .ok()?
        .dyn_into()
        .ok()
}

/// Whether notifications may be shown now (`Notification.permission`).
pub fn permitted() -> bool {
    notification_api()
        .and_then(|api| Reflect::get(&api, &JsValue::from_str("permission")).ok())
        .and_then(|p| p.as_string())
        .is_some_and(|p| p == "granted")
}

/// Asks the browser for permission. Call only from a user's gesture (a
/// toggle): browsers ignore or penalise asking on load.
pub async fn ask() -> bool {
    let Some(api) = notification_api() else {
        return false;
    };
    let Ok(request) = Reflect::get(&api, &JsValue::from_str("requestPermission")) else {
        return false;
    };
    let Ok(request) = request.dyn_into::<js_sys::Function>() else {
        return false;
    };
    let Ok(promise) = request.call0(&api) else {
        return false;
    };
    match promise.dyn_into::<js_sys::Promise>() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|answer| answer.as_string())
            .is_some_and(|answer| answer == "granted"),
        Err(_) => false,
    }
}

fn show(kind: NoticeKind) {
    let Some(api) = notification_api() else {
        return;
    };
    if !permitted() {
        return;
    }
    let options = js_sys::Object::new();
    let _ = Reflect::set(
        &options,
        &JsValue::from_str("body"),
        &JsValue::from_str(kind.body()),
    );
    // One notification per kind: a newer one replaces it.
    let _ = Reflect::set(
        &options,
        &JsValue::from_str("tag"),
        &JsValue::from_str(kind.title()),
    );
    let args = js_sys::Array::of2(&JsValue::from_str(kind.title()), &options);
    let _ = Reflect::construct(&api, &args);
}
