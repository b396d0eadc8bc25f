//! The relay transport over `fetch`, same origin as the page.
//!
//! Every request carries an `AbortController`: dropping the future (a poll
//! that lost a race) or a timeout aborts it, so long-polls never pile up on
//! the browser's six connections per host. Each outcome feeds
//! [`NetStatus`], which drives the offline / relay-unreachable banner.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wallet_core::Error;
use wallet_core::client::{HttpRequest, HttpResponse, Method, Transport};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// What the page knows about its connection to the relay.
#[derive(Default)]
pub struct NetStatus {
    /// Consecutive requests that got no answer (or a 5xx).
    pub failures: Cell<u32>,
    /// Device time of the last answer.
    pub last_ok_ms: Cell<f64>,
    listeners: RefCell<Vec<Rc<dyn Fn()>>>,
}

impl NetStatus {
    pub fn on_change(&self, f: Rc<dyn Fn()>) {
        self.listeners.borrow_mut().push(f);
    }

    fn set(&self, ok: bool) {
        let before = self.failures.get();
        if ok {
            self.failures.set(0);
            self.last_ok_ms.set(crate::browser::now_ms());
        } else {
            self.failures.set(before.saturating_add(1));
        }
        if (before == 0) != ok || (before == 0 && !ok) {
            let ls: Vec<_> = self.listeners.borrow().clone();
            for l in ls {
                l();
            }
        }
    }

    /// Whether the relay looks unreachable now.
    pub fn unreachable(&self) -> bool {
        self.failures.get() > 0
    }
}

/// `fetch` to the relay at `base` ("" = this page's origin). A request
/// that gets no answer within `HttpRequest::timeout_ms` (10 s beyond a
/// long-poll's wait) is aborted: a relay that hangs shows as unreachable
/// within seconds.
#[derive(Clone)]
pub struct FetchTransport {
    pub base: String,
    pub status: Rc<NetStatus>,
}

impl FetchTransport {
    pub fn same_origin(status: Rc<NetStatus>) -> Self {
        FetchTransport {
            base: String::new(),
            status,
        }
    }
}

/// Aborts the request when dropped before it finished.
struct AbortOnDrop {
    controller: web_sys::AbortController,
    timer: Option<i32>,
    done: bool,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let (Some(t), Some(w)) = (self.timer, web_sys::window()) {
            w.clear_timeout_with_handle(t);
        }
        if !self.done {
            self.controller.abort();
        }
    }
}

fn no_answer(why: &str) -> Error {
    Error::Transport(why.to_string())
}

impl Transport for FetchTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let result = self.fetch(request).await;
        self.status.set(matches!(&result, Ok(r) if r.status < 500));
        result
    }
}

impl FetchTransport {
    async fn fetch(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let window = web_sys::window().ok_or_else(|| no_answer("no window"))?;
        let controller =
            web_sys::AbortController::new().map_err(|_| no_answer("no AbortController"))?;
        let mut guard = AbortOnDrop {
            controller: controller.clone(),
            timer: None,
            done: false,
        };
        let abort = Closure::once_into_js({
            let c = controller.clone();
            move || c.abort()
        });
        guard.timer = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                abort.unchecked_ref(),
                request.timeout_ms().min(i32::MAX as u64) as i32,
            )
            .ok();
        let init = web_sys::RequestInit::new();
        init.set_signal(Some(&controller.signal()));
        init.set_cache(web_sys::RequestCache::NoStore);
        match request.method {
            Method::Get => init.set_method("GET"),
            Method::Post => init.set_method("POST"),
        }
        if let Some(body) = &request.body {
            let headers = web_sys::Headers::new().map_err(|_| no_answer("cannot build headers"))?;
            let _ = headers.set("content-type", "application/json");
            init.set_headers(&headers);
            init.set_body(&JsValue::from_str(body));
        }
        let url = format!("{}{}", self.base, request.path);
        let resp = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
            .await
            .map_err(|_| no_answer("fetch failed"))?;
        let resp: web_sys::Response = resp.dyn_into().map_err(|_| no_answer("not a response"))?;
        let status = resp.status();
        let buf = resp
            .array_buffer()
            .map_err(|_| no_answer("unreadable body"))?;
        let buf = JsFuture::from(buf)
            .await
            .map_err(|_| no_answer("body cut short"))?;
        guard.done = true;
        Ok(HttpResponse {
            status,
            body: js_sys::Uint8Array::new(&buf).to_vec(),
        })
    }
}
