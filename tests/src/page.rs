//! One browser session on the wallet page, driven the way a person (or a
//! third-party tool) would: buttons by their visible text, values by their
//! documented `data-testid` (README "Test hooks").

use crate::stack::Stack;
use fantoccini::{Client, Locator};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a step that needs the relay (and Argon2id in wasm) may take.
pub const STEP: Duration = Duration::from_secs(60);

pub struct Page {
    pub(crate) client: Client,
    pub name: String,
    pub(crate) stack: Arc<Stack>,
}

impl Page {
    pub(crate) fn new(client: Client, name: &str, stack: Arc<Stack>) -> Page {
        Page {
            client,
            name: name.to_string(),
            stack,
        }
    }

    /// A Chrome DevTools Protocol command in this page's session.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.stack.cdp(&self.client, cmd, params).await
    }

    /// Loads the wallet page and waits for the app to render.
    pub async fn open(&self) {
        self.client
            .goto(&self.stack.base)
            .await
            .expect("the page loads");
        self.wait_rendered().await;
    }

    /// Opens the wallet page in a second tab of this browser (same profile,
    /// same storage) and drives that tab from now on.
    pub async fn open_second_tab(&self) {
        let tab = self.client.new_window(true).await.expect("a new tab");
        self.client
            .switch_to_window(tab.handle)
            .await
            .expect("to the new tab");
        self.open().await;
    }

    /// Waits for the app's first render, then starts keeping script errors.
    /// Panics if the page broke its Content-Security-Policy while loading.
    async fn wait_rendered(&self) {
        self.wait("the app to render", STEP, || async {
            self.js_bool("return document.querySelector('button') !== null")
                .await
                .then_some(())
        })
        .await;
        self.capture_errors().await;
        self.assert_no_csp_violation().await;
    }

    /// The browser console's entries since the last look, as `LEVEL message`.
    pub async fn console(&self) -> Vec<String> {
        self.stack.browser_log(&self.client).await
    }

    /// Panics if the console (since the last look) or the page's
    /// `securitypolicyviolation` events report a Content-Security-Policy
    /// violation: the relay's policy must let the whole wallet run.
    pub async fn assert_no_csp_violation(&self) {
        let mut found: Vec<String> = self
            .console()
            .await
            .into_iter()
            .filter(|m| {
                m.contains("Content Security Policy") || m.contains("Content-Security-Policy")
            })
            .collect();
        found.extend(
            self.page_errors()
                .await
                .into_iter()
                .filter(|m| m.starts_with("csp: ")),
        );
        assert!(
            found.is_empty(),
            "{}: Content-Security-Policy violations: {found:#?}",
            self.name
        );
    }

    /// Keeps the page's uncaught errors and console errors (a wasm trap
    /// freezes the app silently otherwise) for a timeout's report.
    async fn capture_errors(&self) {
        let _ = self
            .client
            .execute(
                "if (!window.__e2e) { window.__e2e = [];
                   const keep = m => window.__e2e.push(String(m).slice(0, 500));
                   window.addEventListener('error', e => keep('error: ' + (e.message || e.error)));
                   window.addEventListener('unhandledrejection', e => keep('rejection: ' + (e.reason && (e.reason.stack || e.reason))));
                   document.addEventListener('securitypolicyviolation', e => keep('csp: ' + e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));
                   const ce = console.error.bind(console);
                   console.error = (...a) => { keep('console.error: ' + a.join(' ')); ce(...a); };
                 }",
                vec![],
            )
            .await;
    }

    /// What [`Page::capture_errors`] caught so far.
    pub async fn page_errors(&self) -> Vec<String> {
        match self
            .client
            .execute("return window.__e2e || [];", vec![])
            .await
        {
            Ok(v) => serde_json::from_value(v).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    /// Reloads the page (the tab's state is what IndexedDB kept).
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
        self.wait_rendered().await;
    }

    pub async fn screenshot(&self, what: &str) {
        self.stack.screenshot(&self.client, &self.name, what).await;
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("{}: script failed ({e}): {script}", self.name))
    }

    async fn js_bool(&self, script: &str) -> bool {
        matches!(
            self.client.execute(script, vec![]).await,
            Ok(Value::Bool(true))
        )
    }

    /// Waits (as [`Page::wait`]) until `script` returns `true`.
    pub async fn wait_true(&self, what: &str, limit: Duration, script: &str) {
        self.wait(what, limit, || async {
            self.js_bool(script).await.then_some(())
        })
        .await;
    }

    /// Polls `probe` every 150 ms until it returns `Some`, for at most
    /// `limit`; on timeout saves a screenshot and panics with what the page
    /// shows as its error, if anything.
    pub async fn wait<T, F, Fut>(&self, what: &str, limit: Duration, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(v) = probe().await {
                return v;
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("timeout-{}", slug(what))).await;
                let error = self.text("error").await.unwrap_or_default();
                let busy = self.text("busy").await.unwrap_or_default();
                let errors = self.page_errors().await;
                panic!(
                    "{}: gave up after {:?} waiting for {what} (page error: {error:?}, busy: {busy:?}, script errors: {errors:?})",
                    self.name, limit
                );
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits for an enabled `<button>` whose visible text is `label`.
    pub async fn wait_button(&self, label: &str) -> fantoccini::elements::Element {
        let xpath = format!(
            "//button[normalize-space(.)={} and not(@disabled)]",
            xpath_literal(label)
        );
        self.wait(&format!("a button {label:?}"), STEP, || async {
            self.client.find(Locator::XPath(&xpath)).await.ok()
        })
        .await
    }

    /// Clicks the enabled `<button>` whose visible text is `label`.
    pub async fn click(&self, label: &str) {
        let el = self.wait_button(label).await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot click {label:?}: {e}", self.name));
    }

    /// Clicks the element matched by a CSS selector.
    pub async fn click_css(&self, css: &str) {
        let el = self
            .wait(&format!("an element {css}"), STEP, || async {
                self.client.find(Locator::Css(css)).await.ok()
            })
            .await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot click {css}: {e}", self.name));
    }

    /// Types `value` into the field with this `data-testid` (cleared first).
    pub async fn fill(&self, testid: &str, value: &str) {
        let css = testid_css(testid);
        let el = self
            .wait(&format!("the field {testid}"), STEP, || async {
                self.client.find(Locator::Css(&css)).await.ok()
            })
            .await;
        el.clear().await.expect("clear a field");
        el.send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot type into {testid}: {e}", self.name));
    }

    /// The text of the first element with this `data-testid`, if shown.
    pub async fn text(&self, testid: &str) -> Option<String> {
        let v = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                vec![Value::String(testid_css(testid))],
            )
            .await
            .ok()?;
        v.as_str().map(|s| s.trim().to_string())
    }

    /// An attribute of the first element with this `data-testid`.
    pub async fn attr(&self, testid: &str, attr: &str) -> Option<String> {
        let v = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
                vec![Value::String(testid_css(testid)), Value::String(attr.to_string())],
            )
            .await
            .ok()?;
        v.as_str().map(str::to_string)
    }

    /// Waits until `testid`'s attribute `attr` satisfies `ok`; returns it.
    pub async fn wait_attr(
        &self,
        testid: &str,
        attr: &str,
        limit: Duration,
        ok: impl Fn(&str) -> bool,
    ) -> String {
        let what = format!("{testid}[{attr}] to change");
        self.wait(&what, limit, || async {
            self.attr(testid, attr).await.filter(|v| ok(v))
        })
        .await
    }

    /// Waits until an element with this `data-testid` is on the page.
    pub async fn wait_for(&self, testid: &str) {
        let css = testid_css(testid);
        self.wait(&format!("{testid} to show"), STEP, || async {
            self.client.find(Locator::Css(&css)).await.ok().map(|_| ())
        })
        .await;
    }

    /// The error line on screen, if any.
    pub async fn error(&self) -> Option<String> {
        self.text("error").await
    }
}

pub(crate) fn testid_css(testid: &str) -> String {
    format!("[data-testid='{testid}']")
}

/// An XPath string literal for any text (XPath 1.0 has no escapes).
fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

fn slug(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.chars().take(40).collect()
}

/// A WebDriver command fantoccini has no method for: a POST to
/// `/session/{id}/<path>` with a JSON body.
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

impl Page {
    /// Grants the page a permission (`clipboard-read`, …) as a person
    /// answering the browser's prompt would: WebDriver's Set Permission.
    pub async fn grant_permission(&self, name: &str) {
        let cmd = SessionPost {
            path: "permissions",
            body: serde_json::json!({ "descriptor": { "name": name }, "state": "granted" }),
        };
        self.client
            .issue_cmd(cmd)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot grant {name}: {e}", self.name));
    }
}
