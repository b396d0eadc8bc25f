//! Accessibility and layout checks on the page as it stands: axe-core's
//! rules (its `axe.min.js`, installed by `scripts/setup.sh` into
//! `.tools/axe-core/`, injected through WebDriver's execute script, which
//! the page's Content-Security-Policy does not apply to), both colour
//! schemes and a phone's screen (Chrome DevTools emulation through
//! chromedriver), sideways overflow, and where the keyboard focus is.

use crate::page::Page;
use crate::stack::workspace_root;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;

/// A phone's screen in CSS pixels (the 390×844).
pub const PHONE: (u32, u32) = (390, 844);
/// A desktop window's inner size.
pub const DESKTOP: (u32, u32) = (1280, 900);

/// axe-core's script, read once (`AXE_CORE_JS` overrides where it is).
fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = std::env::var_os("AXE_CORE_JS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                workspace_root().join(".tools/axe-core/node_modules/axe-core/axe.min.js")
            });
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is not installed at {} ({e}): run `bash scripts/setup.sh`",
                path.display()
            )
        })
    })
}

impl Page {
    /// Emulates a screen of `width`×`height` CSS pixels; `mobile` as a
    /// phone does (the page's viewport meta tag applies).
    pub async fn emulate_screen(&self, (width, height): (u32, u32), mobile: bool) {
        self.stack
            .cdp(
                &self.client,
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
            )
            .await;
    }

    /// Emulates the system's dark (or light) colour scheme:
    /// `prefers-color-scheme` in the page's CSS.
    pub async fn emulate_dark(&self, dark: bool) {
        let scheme = if dark { "dark" } else { "light" };
        self.stack
            .cdp(
                &self.client,
                "Emulation.setEmulatedMedia",
                json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
            )
            .await;
        let applied = self
            .js(
                "return matchMedia('(prefers-color-scheme: dark)').matches;",
                vec![],
            )
            .await;
        assert_eq!(
            applied,
            Value::Bool(dark),
            "{}: the colour scheme emulation took",
            self.name
        );
    }

    /// axe-core's violations on the page as it is now, one line each:
    /// rule id, impact, help, and every element it failed (its selector
    /// and what is wrong).
    pub async fn axe_violations(&self) -> Vec<String> {
        let loaded = self
            .js("return typeof window.axe === 'object';", vec![])
            .await;
        if loaded != Value::Bool(true) {
            let script = format!("{}\nreturn typeof window.axe;", axe_source());
            let kind = self.js(&script, vec![]).await;
            assert_eq!(
                kind,
                json!("object"),
                "{}: axe-core loads through WebDriver",
                self.name
            );
        }
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done({ violations: r.violations.map(v => ({
                       id: v.id, impact: v.impact, help: v.help,
                       nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' '))
                   })) }))
                   .catch(e => done({ error: String(e && e.stack || e) }));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("{}: axe.run failed: {e}", self.name));
        if let Some(error) = result.get("error") {
            panic!("{}: axe.run threw: {error}", self.name);
        }
        let violations = result["violations"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: axe.run gave no violations list: {result}", self.name));
        violations
            .iter()
            .map(|v| {
                let nodes: Vec<String> = v["nodes"]
                    .as_array()
                    .map(|nodes| {
                        nodes
                            .iter()
                            .map(|n| format!("    at {}", n.as_str().unwrap_or("?")))
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    "{} ({}): {}\n{}",
                    v["id"].as_str().unwrap_or("?"),
                    v["impact"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or("?"),
                    nodes.join("\n")
                )
            })
            .collect()
    }

    /// What is wrong with the screen shown, named `what`: axe-core's
    /// violations in the light and in the dark colour scheme, and content
    /// wider than the screen (the page would scroll sideways). Saves a
    /// screenshot in each scheme. Empty when all is well.
    pub async fn audit(&self, what: &str) -> Vec<String> {
        let mut problems = Vec::new();
        for dark in [false, true] {
            self.emulate_dark(dark).await;
            let scheme = if dark { "dark" } else { "light" };
            self.screenshot(&format!("{what}-{scheme}")).await;
            for violation in self.axe_violations().await {
                problems.push(format!("{what} ({scheme}): {violation}"));
            }
        }
        self.emulate_dark(false).await;
        if let Some(overflow) = self.sideways_overflow().await {
            problems.push(format!("{what}: scrolls sideways: {overflow}"));
        }
        self.assert_no_csp_violation().await;
        problems
    }

    /// `None` when the page fits its width
    /// (`scrollWidth <= clientWidth`); otherwise the widths and the
    /// elements that stick out.
    pub async fn sideways_overflow(&self) -> Option<String> {
        let v = self
            .js(
                "const d = document.documentElement;
                 if (d.scrollWidth <= d.clientWidth) return null;
                 const out = Array.from(document.querySelectorAll('body *'))
                   .filter(e => e.getBoundingClientRect().right > d.clientWidth + 0.5)
                   .slice(0, 8)
                   .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().replace(/\\s+/g, '.') : '')
                        + ' (right edge ' + Math.round(e.getBoundingClientRect().right) + ')');
                 return 'scrollWidth ' + d.scrollWidth + ' > clientWidth ' + d.clientWidth + ': ' + out.join(', ');",
                vec![],
            )
            .await;
        v.as_str().map(str::to_string)
    }

    /// `None` when the keyboard focus is on the screen's heading (the first
    /// `h1`/`h2` in `main`, focusable by script only: `tabindex="-1"`);
    /// otherwise where it is.
    pub async fn focus_off_heading(&self) -> Option<String> {
        let v = self
            .js(
                "const h = document.querySelector('main h1, main h2');
                 const a = document.activeElement;
                 if (h && a === h && h.getAttribute('tabindex') === '-1') return null;
                 const name = e => e ? e.tagName.toLowerCase() + ' ' + JSON.stringify((e.textContent || '').trim().slice(0, 40)) : 'nothing';
                 return 'focus on ' + name(a) + ', heading ' + name(h) + (h ? ' (tabindex ' + h.getAttribute('tabindex') + ')' : '');",
                vec![],
            )
            .await;
        v.as_str().map(str::to_string)
    }

    /// The `data-testid` of the focused element and whether it is the
    /// selected tab (`role="tab"`, `aria-selected="true"`).
    pub async fn focused_tab(&self) -> (Option<String>, bool) {
        let v = self
            .js(
                "const a = document.activeElement;
                 return [a ? a.getAttribute('data-testid') : null,
                         !!a && a.getAttribute('role') === 'tab' && a.getAttribute('aria-selected') === 'true'];",
                vec![],
            )
            .await;
        serde_json::from_value(v).unwrap_or((None, false))
    }

    /// The top edge, in page coordinates, of the first element matching
    /// `css` that is displayed; `None` when there is none.
    pub async fn top_of(&self, css: &str) -> Option<f64> {
        self.js(
            "const e = Array.from(document.querySelectorAll(arguments[0])).find(e => e.getClientRects().length > 0);
             return e ? e.getBoundingClientRect().top + window.scrollY : null;",
            vec![Value::String(css.to_string())],
        )
        .await
        .as_f64()
    }
}
