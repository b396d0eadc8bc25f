//! A small IndexedDB layer: string keys to string values, one short
//! transaction per call.
//!
//! A transaction closes as soon as control returns to the event loop with
//! no request pending, so no call here awaits anything but its own
//! transaction: values are serialized before it opens, and a
//! read-modify-write ([`Db::update`]) decides inside the read's success
//! callback. Writes resolve when the transaction *completes* (durably
//! committed), not when the request succeeds.

use js_sys::{Array, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode};

/// Why an IndexedDB call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdbError {
    /// `indexedDB` is missing or refuses to open (private windows).
    Unavailable,
    /// The key exists already (an `add`).
    Exists,
    /// The browser's quota is exhausted.
    QuotaExceeded,
    /// Any other failure, with the DOM exception's name.
    Failed(String),
}

fn dom_error(v: &JsValue) -> IdbError {
    let name = v
        .dyn_ref::<web_sys::DomException>()
        .map(|d| d.name())
        .unwrap_or_else(|| "Error".into());
    match name.as_str() {
        "ConstraintError" => IdbError::Exists,
        "QuotaExceededError" => IdbError::QuotaExceeded,
        "InvalidStateError" | "SecurityError" | "UnknownError" => IdbError::Unavailable,
        _ => IdbError::Failed(name),
    }
}

/// Resolves with the request's result, or rejects with its error.
fn request_promise(r: &IdbRequest) -> Promise {
    let r = r.clone();
    Promise::new(&mut |resolve, reject| {
        let ok = r.clone();
        let on_success = Closure::once_into_js(move |_e: web_sys::Event| {
            let _ = resolve.call1(&JsValue::NULL, &ok.result().unwrap_or(JsValue::UNDEFINED));
        });
        let bad = r.clone();
        let on_error = Closure::once_into_js(move |e: web_sys::Event| {
            e.prevent_default();
            let err: JsValue = bad
                .error()
                .ok()
                .flatten()
                .map(Into::into)
                .unwrap_or(JsValue::NULL);
            let _ = reject.call1(&JsValue::NULL, &err);
        });
        r.set_onsuccess(Some(on_success.unchecked_ref()));
        r.set_onerror(Some(on_error.unchecked_ref()));
    })
}

/// Resolves when the transaction commits; rejects when it aborts or fails.
fn transaction_promise(t: &IdbTransaction) -> Promise {
    let t = t.clone();
    Promise::new(&mut |resolve, reject| {
        let on_complete = Closure::once_into_js(move |_e: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let tt = t.clone();
        let reject2 = reject.clone();
        let on_error = Closure::once_into_js(move |e: web_sys::Event| {
            // The failing request's error (bubbled here); the transaction's
            // own error is only set once it has aborted.
            let from_request = e
                .target()
                .and_then(|t| t.dyn_into::<IdbRequest>().ok())
                .and_then(|r| r.error().ok().flatten())
                .map(JsValue::from);
            let err = from_request
                .or_else(|| tt.error().map(Into::into))
                .unwrap_or(JsValue::NULL);
            let _ = reject.call1(&JsValue::NULL, &err);
        });
        let ta = t.clone();
        let on_abort = Closure::once_into_js(move |_e: web_sys::Event| {
            let err: JsValue = ta.error().map(Into::into).unwrap_or(JsValue::NULL);
            let _ = reject2.call1(&JsValue::NULL, &err);
        });
        t.set_oncomplete(Some(on_complete.unchecked_ref()));
        t.set_onerror(Some(on_error.unchecked_ref()));
        t.set_onabort(Some(on_abort.unchecked_ref()));
    })
}

/// An open database.
#[derive(Clone, Debug)]
pub struct Db {
    db: IdbDatabase,
}

impl Db {
    /// Opens (creating or upgrading) database `name` with `stores`.
    pub async fn open(
        name: &str,
        version: u32,
        stores: &'static [&'static str],
    ) -> Result<Db, IdbError> {
        let factory = web_sys::window()
            .and_then(|w| w.indexed_db().ok().flatten())
            .ok_or(IdbError::Unavailable)?;
        let open = factory
            .open_with_u32(name, version)
            .map_err(|_| IdbError::Unavailable)?;
        let req = open.clone();
        let on_upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
            if let Ok(db) = req.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
                let names = db.object_store_names();
                for s in stores {
                    if !names.contains(s) {
                        let _ = db.create_object_store(s);
                    }
                }
            }
        });
        open.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let result = JsFuture::from(request_promise(&open)).await;
        open.set_onupgradeneeded(None);
        drop(on_upgrade);
        let db = result
            .map_err(|_| IdbError::Unavailable)?
            .dyn_into::<IdbDatabase>()
            .map_err(|_| IdbError::Unavailable)?;
        Ok(Db { db })
    }

    pub fn close(&self) {
        self.db.close();
    }

    fn tx(&self, stores: &[&str], mode: IdbTransactionMode) -> Result<IdbTransaction, IdbError> {
        let names = Array::new();
        for s in stores {
            names.push(&JsValue::from_str(s));
        }
        self.db
            .transaction_with_str_sequence_and_mode(&names, mode)
            .map_err(|e| dom_error(&e))
    }

    fn store(t: &IdbTransaction, name: &str) -> Result<IdbObjectStore, IdbError> {
        t.object_store(name).map_err(|e| dom_error(&e))
    }

    /// The value at `key`, if any.
    pub async fn get(&self, store: &str, key: &str) -> Result<Option<String>, IdbError> {
        let t = self.tx(&[store], IdbTransactionMode::Readonly)?;
        let r = Self::store(&t, store)?
            .get(&JsValue::from_str(key))
            .map_err(|e| dom_error(&e))?;
        let v = JsFuture::from(request_promise(&r))
            .await
            .map_err(|e| dom_error(&e))?;
        Ok(v.as_string())
    }

    /// Every key of `store`, sorted.
    pub async fn keys(&self, store: &str) -> Result<Vec<String>, IdbError> {
        let t = self.tx(&[store], IdbTransactionMode::Readonly)?;
        let r = Self::store(&t, store)?
            .get_all_keys()
            .map_err(|e| dom_error(&e))?;
        let v = JsFuture::from(request_promise(&r))
            .await
            .map_err(|e| dom_error(&e))?;
        let mut out: Vec<String> = Array::from(&v)
            .iter()
            .filter_map(|k| k.as_string())
            .collect();
        wallet_core::util::sort_small(&mut out);
        Ok(out)
    }

    /// Writes several `(store, key, value)` in one transaction; `None`
    /// deletes. With `add_only`, a key that exists fails the whole write
    /// ([`IdbError::Exists`]).
    pub async fn write(
        &self,
        items: &[(&str, &str, Option<&str>)],
        add_only: bool,
    ) -> Result<(), IdbError> {
        let mut stores: Vec<&str> = items.iter().map(|(s, _, _)| *s).collect();
        wallet_core::util::sort_small(&mut stores);
        stores.dedup();
        let t = self.tx(&stores, IdbTransactionMode::Readwrite)?;
        let done = transaction_promise(&t);
        for (store, key, value) in items {
            let os = Self::store(&t, store)?;
            let k = JsValue::from_str(key);
            let r = match value {
                Some(v) if add_only => os.add_with_key(&JsValue::from_str(v), &k),
                Some(v) => os.put_with_key(&JsValue::from_str(v), &k),
                None => os.delete(&k),
            };
            if let Err(e) = r {
                let _ = t.abort();
                return Err(dom_error(&e));
            }
        }
        JsFuture::from(done)
            .await
            .map(|_| ())
            .map_err(|e| dom_error(&e))
    }

    /// One key's read-modify-write in a single transaction: `f` sees the
    /// current value and returns the new one (`None`: leave it). Returns
    /// what `f` returned.
    pub async fn update(
        &self,
        store: &str,
        key: &str,
        f: impl FnOnce(Option<String>) -> Option<String> + 'static,
    ) -> Result<Option<String>, IdbError> {
        let t = self.tx(&[store], IdbTransactionMode::Readwrite)?;
        let done = transaction_promise(&t);
        let os = Self::store(&t, store)?;
        let k = JsValue::from_str(key);
        let r = os.get(&k).map_err(|e| dom_error(&e))?;
        let written = std::rc::Rc::new(std::cell::RefCell::new(None));
        let w = written.clone();
        let rr = r.clone();
        let on_success = Closure::once_into_js(move |_e: web_sys::Event| {
            let current = rr.result().ok().and_then(|v| v.as_string());
            if let Some(new) = f(current) {
                let _ = os.put_with_key(&JsValue::from_str(&new), &k);
                *w.borrow_mut() = Some(new);
            }
        });
        r.set_onsuccess(Some(on_success.unchecked_ref()));
        JsFuture::from(done).await.map_err(|e| dom_error(&e))?;
        let out = written.borrow_mut().take();
        Ok(out)
    }
}
