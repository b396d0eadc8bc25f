//! The wallet's static files (`--static-dir`, Trunk's `dist/`), as served:
//!
//! - precompressed by `Accept-Encoding`: `x.br` or `x.gz` beside `x`
//!   (`scripts/build-web.sh` writes them), with `Content-Encoding` and
//!   `Vary: Accept-Encoding`; the file itself otherwise;
//! - cached by name: a file whose name carries Trunk's content hash
//!   (`web-<hash>.js`, `web-<hash>_bg.wasm`, `style-<hash>.css`) for a year
//!   (`immutable`), everything else, `index.html` and the SPA fallback
//!   first, `no-cache` (revalidated every time);
//! - with the page's security headers: a Content-Security-Policy that lets
//!   only the wallet's own files and the inline loader Trunk writes into
//!   `index.html` (by its SHA-256, read from the file) run, and wasm be
//!   compiled, and workers (the service worker `sw.js`, the QR decoder's
//!   worker) and the app manifest come only from here;
//!   `X-Content-Type-Options: nosniff`; `Referrer-Policy: no-referrer`.
//!
//! `sw.js` and `manifest.webmanifest` carry no hash in their names, so they
//! are `no-cache` like the page: a browser checks for a new service worker
//! on every load (it also caps its own HTTP cache of it at a day).
//!
//! Unknown paths (the SPA's own routes) answer `index.html`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;
use tower::ServiceExt;
use tower::util::MapResponse;
use tower_http::services::fs::ServeFileSystemResponseBody;
use tower_http::services::{ServeDir, ServeFile};

/// `Cache-Control` of a content-hashed file: its name changes with its bytes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else: revalidated (`If-Modified-Since`)
/// on every load, so a new build is seen at once.
pub const NO_CACHE: &str = "no-cache";

type FileResponse = axum::http::Response<ServeFileSystemResponseBody>;
type Fallback = MapResponse<ServeFile, fn(FileResponse) -> FileResponse>;

/// Put on the SPA fallback's answers: `index.html` under another path,
/// never cached as if it were the file asked for.
#[derive(Clone, Copy)]
struct SpaFallback;

fn mark_fallback(mut resp: FileResponse) -> FileResponse {
    resp.extensions_mut().insert(SpaFallback);
    resp
}

pub struct WebFiles {
    index: PathBuf,
    files: ServeDir<Fallback>,
    /// The policy for the `index.html` last seen (`None` before the first
    /// request), and that file's stamp (`None`: there was none).
    csp: Mutex<Option<(Option<Stamp>, HeaderValue)>>,
}

/// An `index.html` as last read: modification time and length.
type Stamp = (Option<SystemTime>, u64);

impl WebFiles {
    pub fn new(dir: &Path) -> WebFiles {
        let index = dir.join("index.html");
        let fallback: Fallback = MapResponse::new(
            ServeFile::new(&index)
                .precompressed_br()
                .precompressed_gzip(),
            mark_fallback as fn(FileResponse) -> FileResponse,
        );
        let files = ServeDir::new(dir)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(fallback);
        WebFiles {
            index,
            files,
            csp: Mutex::new(None),
        }
    }

    /// Answers a GET or HEAD for one of the wallet's files.
    pub async fn serve(&self, req: Request) -> Response {
        let hashed = req
            .uri()
            .path()
            .rsplit('/')
            .next()
            .is_some_and(content_hashed);
        let csp = self.csp().await;
        let mut resp = match self.files.clone().oneshot(req).await {
            Ok(resp) => resp.map(Body::new),
            Err(never) => match never {},
        };
        let immutable = hashed
            && resp.extensions().get::<SpaFallback>().is_none()
            && (resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED);
        add_headers(resp.headers_mut(), immutable, csp);
        resp
    }

    /// The policy for the current `index.html`: recomputed when the file
    /// changed since last read (a new build under a running relay).
    async fn csp(&self) -> HeaderValue {
        let stamp = tokio::fs::metadata(&self.index)
            .await
            .ok()
            .map(|m| (m.modified().ok(), m.len()));
        {
            let cached = self.csp.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((seen, value)) = &*cached
                && *seen == stamp
            {
                return value.clone();
            }
        }
        let value = match tokio::fs::read(&self.index).await {
            Ok(html) => header_value(&csp_for(&String::from_utf8_lossy(&html))),
            Err(e) => {
                tracing::warn!(file = %self.index.display(), error = %e, "cannot read index.html: no inline script allowed");
                header_value(&policy(&[], &[]))
            }
        };
        *self.csp.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamp, value.clone()));
        value
    }
}

fn add_headers(h: &mut HeaderMap, immutable: bool, csp: HeaderValue) {
    let cache = if immutable { IMMUTABLE } else { NO_CACHE };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // Appended: the CORS layer adds its own Vary values after this.
    h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn header_value(policy: &str) -> HeaderValue {
    // Built from ASCII only: fixed directives and base64 hashes.
    HeaderValue::from_str(policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// Whether a file name carries Trunk's content hash: `<name>-<hash>.<ext>`
/// or `<name>-<hash>_bg.<ext>`, the hash 8 to 16 lowercase hex digits
/// (a 64-bit hash printed without leading zeros).
pub fn content_hashed(file_name: &str) -> bool {
    let Some((stem, ext)) = file_name.split_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    !ext.is_empty()
        && stem.rsplit_once('-').is_some_and(|(name, hash)| {
            !name.is_empty()
                && (8..=16).contains(&hash.len())
                && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// The Content-Security-Policy for a page: the fixed policy plus the
/// SHA-256 of each inline `<script>` and `<style>` element in `html`.
pub fn csp_for(html: &str) -> String {
    let scripts = inline_elements(html, "script");
    let styles = inline_elements(html, "style");
    policy(&hashes(&scripts), &hashes(&styles))
}

fn hashes(bodies: &[&str]) -> Vec<String> {
    bodies
        .iter()
        .map(|b| {
            let digest = Sha256::digest(b.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect()
}

fn policy(script_hashes: &[String], style_hashes: &[String]) -> String {
    let with = |base: &str, extra: &[String]| {
        let mut s = base.to_string();
        for h in extra {
            s.push(' ');
            s.push_str(h);
        }
        s
    };
    [
        "default-src 'self'".to_string(),
        with("script-src 'self' 'wasm-unsafe-eval'", script_hashes),
        with("style-src 'self'", style_hashes),
        "img-src 'self' data:".to_string(),
        "connect-src 'self'".to_string(),
        // The service worker (`sw.js`), the QR decoder's worker, and the
        // web app manifest: the wallet's own files only.
        "worker-src 'self'".to_string(),
        "manifest-src 'self'".to_string(),
        "frame-ancestors 'none'".to_string(),
        "base-uri 'none'".to_string(),
        "form-action 'none'".to_string(),
    ]
    .join("; ")
}

/// The contents of the `<tag>` elements of `html` that have no `src`
/// attribute, exactly as written (what a browser hashes). A scanner for
/// the HTML Trunk writes, not a parser: no comments or CDATA handling.
fn inline_elements<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let close = format!("</{tag}");
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(&open).map(|i| at + i) {
        let after_name = i + open.len();
        at = after_name;
        // `<scripts>` or `<style-x>` are other elements.
        if !lower[after_name..]
            .starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        {
            continue;
        }
        let Some(gt) = lower[after_name..].find('>').map(|g| after_name + g) else {
            break;
        };
        let attrs = &lower[after_name..gt];
        let Some(end) = lower[gt + 1..].find(&close).map(|e| gt + 1 + e) else {
            break;
        };
        if !has_attribute(attrs, "src") {
            found.push(&html[gt + 1..end]);
        }
        at = end + close.len();
    }
    found
}

/// Whether a tag's (lowercased) attribute text names attribute `name`.
fn has_attribute(attrs: &str, name: &str) -> bool {
    attrs
        .split(|c: char| c.is_ascii_whitespace() || c == '/')
        .any(|a| a == name || a.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_names_are_content_hashed() {
        for name in [
            "web-c3fe2d6076ec2491.js",
            "web-c3fe2d6076ec2491_bg.wasm",
            "style-d4b8aa50c129ec53.css",
            "web-3fe2d6076ec2491.js",
            "web-c3fe2d6076ec2491_bg.wasm.br",
        ] {
            assert!(content_hashed(name), "{name}");
        }
        for name in [
            "index.html",
            "",
            "web.js",
            "-c3fe2d6076ec2491.js",
            "web-c3fe2d6076ec2491",
            "web-C3FE2D6076EC2491.js",
            "web-c3fe2d6076ec24912.js",
            "web-1234.js",
            "web-c3fe2d60zzec2491.js",
            "swap",
        ] {
            assert!(!content_hashed(name), "{name}");
        }
    }

    #[test]
    fn inline_script_hash_is_the_one_browsers_compute() {
        // The example in the CSP Level 2 specification.
        let html = "<!doctype html><script>alert('Hello, world.');</script>";
        let csp = csp_for(html);
        assert!(
            csp.contains(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng=';"
            ),
            "{csp}"
        );
        assert!(csp.contains("style-src 'self';"), "{csp}");
    }

    #[test]
    fn only_inline_elements_are_hashed() {
        let html = "<SCRIPT type=module>a</SCRIPT><script src=/x.js></script>\
                    <script data-src=1 src = '/y.js'>b</script><scripts>c</scripts>\
                    <script defer src=\"/z.js\" ></script><script type=\"module\">d\n</script>\
                    <style>e</style><link rel=stylesheet href=/s.css>";
        assert_eq!(inline_elements(html, "script"), vec!["a", "d\n"]);
        assert_eq!(inline_elements(html, "style"), vec!["e"]);
    }

    #[test]
    fn the_policy_is_strict() {
        let csp = csp_for("<html></html>");
        assert_eq!(
            csp,
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; worker-src 'self'; \
             manifest-src 'self'; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'none'"
        );
        assert!(!csp.contains("unsafe-inline"));
    }
}
