//! The wallet's files as the relay serves them (`--static-dir`): chosen by
//! `Accept-Encoding` among `x`, `x.br` and `x.gz`, cached by name, with the
//! page's security headers; the API's answers untouched.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::Response;
use reqwest::header::{HeaderMap, HeaderName};
use serde_json::Value;
use std::path::Path;

const INDEX: &str = "<!doctype html><html><head><link href=/style-00c0ffee12345678.css rel=stylesheet>\
    <script type=module>alert('Hello, world.');</script>\
    <link href=/web-0123456789abcdef.js rel=modulepreload></head><body></body></html>";
/// The SHA-256 of the inline script above (CSP Level 2's own example).
const INDEX_SCRIPT_HASH: &str = "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='";
const JS: &str = "/web-0123456789abcdef.js";

/// A `dist/` as `scripts/build-web.sh` leaves it. The "compressed" copies
/// are told apart by their bytes; the relay never decodes them.
fn dist(dir: &Path) {
    let write = |name: &str, body: &str| std::fs::write(dir.join(name), body).unwrap();
    write("index.html", INDEX);
    write("index.html.br", "index brotli");
    write("index.html.gz", "index gzip");
    write("web-0123456789abcdef.js", "console.log('wallet')");
    write("web-0123456789abcdef.js.br", "js brotli");
    write("web-0123456789abcdef.js.gz", "js gzip");
    write("style-00c0ffee12345678.css", "body{}");
    write("sw.js", "self.addEventListener('fetch', () => {});");
    write("sw.js.br", "sw brotli");
    write("manifest.webmanifest", "{\"name\":\"Lockstep wallet\"}");
    write("icon-192.png", "png");
}

async fn relay_with_dist() -> (TestRelay, tempfile::TempDir) {
    let web = tempfile::tempdir().unwrap();
    dist(web.path());
    let dir = web.path().to_path_buf();
    (
        TestRelay::with(move |c| c.static_dir = Some(dir)).await,
        web,
    )
}

async fn get(r: &TestRelay, path: &str, accept_encoding: Option<&str>) -> Response {
    let mut req = r.http.get(format!("{}{path}", r.base));
    if let Some(e) = accept_encoding {
        req = req.header("accept-encoding", e);
    }
    req.send().await.unwrap()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(HeaderName::from_bytes(name.as_bytes()).unwrap())
        .map(|v| v.to_str().unwrap())
}

/// Every `Vary` value, split at commas, lowercased.
fn vary(h: &HeaderMap) -> Vec<String> {
    h.get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

/// Status, Content-Encoding, body.
async fn fetch(r: &TestRelay, path: &str, ae: Option<&str>) -> (u16, Option<String>, String) {
    let resp = get(r, path, ae).await;
    assert!(
        vary(resp.headers()).contains(&"accept-encoding".to_string()),
        "{path} with {ae:?}: no Vary: Accept-Encoding in {:?}",
        resp.headers()
    );
    let enc = header(resp.headers(), "content-encoding").map(str::to_string);
    (resp.status().as_u16(), enc, resp.text().await.unwrap())
}

#[tokio::test]
async fn a_file_is_served_in_the_best_encoding_the_client_accepts() {
    let (r, _web) = relay_with_dist().await;
    let br = |s: &str| (200, Some("br".to_string()), s.to_string());
    let gz = |s: &str| (200, Some("gzip".to_string()), s.to_string());
    let raw = |s: &str| (200, None, s.to_string());

    // What Chromium sends: Brotli wins.
    assert_eq!(
        fetch(&r, JS, Some("gzip, deflate, br, zstd")).await,
        br("js brotli")
    );
    assert_eq!(fetch(&r, JS, Some("br")).await, br("js brotli"));
    assert_eq!(fetch(&r, JS, Some("gzip")).await, gz("js gzip"));
    assert_eq!(fetch(&r, JS, Some("br;q=0, gzip")).await, gz("js gzip"));
    assert_eq!(fetch(&r, JS, None).await, raw("console.log('wallet')"));
    assert_eq!(
        fetch(&r, JS, Some("identity")).await,
        raw("console.log('wallet')")
    );
    assert_eq!(
        fetch(&r, JS, Some("deflate")).await,
        raw("console.log('wallet')")
    );
    // No compressed copy: the file itself, whatever is accepted.
    assert_eq!(
        fetch(&r, "/style-00c0ffee12345678.css", Some("br, gzip")).await,
        raw("body{}")
    );
    // The page too, at `/`, by name, and as the SPA fallback.
    assert_eq!(fetch(&r, "/", Some("br, gzip")).await, br("index brotli"));
    assert_eq!(
        fetch(&r, "/index.html", Some("gzip")).await,
        gz("index gzip")
    );
    assert_eq!(fetch(&r, "/swap/123", Some("br")).await, br("index brotli"));
    assert_eq!(fetch(&r, "/swap/123", None).await, raw(INDEX));

    // Content-Length is the compressed copy's.
    let resp = get(&r, JS, Some("br")).await;
    assert_eq!(header(resp.headers(), "content-length"), Some("9"));
    assert_eq!(
        header(resp.headers(), "content-type"),
        Some("text/javascript")
    );
}

#[tokio::test]
async fn hashed_files_are_immutable_and_the_page_is_revalidated() {
    let (r, _web) = relay_with_dist().await;
    let year = "public, max-age=31536000, immutable";
    for (path, want) in [
        (JS, year),
        ("/style-00c0ffee12345678.css", year),
        ("/", "no-cache"),
        ("/index.html", "no-cache"),
        // The SPA fallback: index.html under the app's own routes...
        ("/swap/123", "no-cache"),
        ("/wallets", "no-cache"),
        // ...and under a hashed-looking name that is not (or no longer) there.
        ("/web-fedcba9876543210.js", "no-cache"),
        ("/web-fedcba9876543210_bg.wasm", "no-cache"),
    ] {
        for ae in [None, Some("br, gzip")] {
            let resp = get(&r, path, ae).await;
            assert_eq!(resp.status(), 200, "{path}");
            assert_eq!(
                header(resp.headers(), "cache-control"),
                Some(want),
                "{path} with {ae:?}"
            );
        }
    }
    let fallback = get(&r, "/web-fedcba9876543210.js", None).await;
    assert_eq!(fallback.text().await.unwrap(), INDEX);

    // A revalidation: 304, same cache policy.
    let first = get(&r, JS, Some("br")).await;
    let modified = header(first.headers(), "last-modified")
        .unwrap()
        .to_string();
    for (path, want) in [(JS, year), ("/", "no-cache")] {
        let again = r
            .http
            .get(format!("{}{path}", r.base))
            .header("accept-encoding", "br")
            .header("if-modified-since", &modified)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(
            header(again.headers(), "cache-control"),
            Some(want),
            "{path}"
        );
    }
}

fn assert_security_headers(h: &HeaderMap, what: &str) {
    let csp = header(h, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for want in [
        "default-src 'self'",
        &format!("script-src 'self' 'wasm-unsafe-eval' {INDEX_SCRIPT_HASH}"),
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ] {
        assert!(
            directives.contains(&want),
            "{what}: CSP lacks `{want}`: {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        header(h, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(h, "referrer-policy"), Some("no-referrer"), "{what}");
}

#[tokio::test]
async fn every_static_answer_has_the_security_headers() {
    let (r, web) = relay_with_dist().await;
    for path in [
        "/",
        "/index.html",
        "/swap/123",
        JS,
        "/style-00c0ffee12345678.css",
        "/sw.js",
        "/manifest.webmanifest",
    ] {
        for ae in [None, Some("br")] {
            let resp = get(&r, path, ae).await;
            assert_security_headers(resp.headers(), &format!("GET {path} {ae:?}"));
        }
    }
    let head = r.http.head(format!("{}/", r.base)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_security_headers(head.headers(), "HEAD /");

    // A new build under the running relay: the policy follows its index.html.
    let rebuilt = INDEX.replace("alert('Hello, world.');", "start();");
    std::fs::write(web.path().join("index.html"), &rebuilt).unwrap();
    let resp = get(&r, "/", None).await;
    let csp = header(resp.headers(), "content-security-policy").unwrap();
    assert!(!csp.contains(INDEX_SCRIPT_HASH), "{csp}");
    // sha256("start();")
    assert!(
        csp.contains("'sha256-E6jQvrT2ZivWG9GJ4AAEZf4MhI7l3QkLroW4hgvUT4c='"),
        "{csp}"
    );
    assert_eq!(resp.text().await.unwrap(), rebuilt);
}

#[tokio::test]
async fn the_service_worker_and_manifest_are_served_by_type_and_never_cached() {
    let (r, _web) = relay_with_dist().await;
    for (path, ae, content_type, encoding) in [
        ("/sw.js", None, "text/javascript", None),
        ("/sw.js", Some("br"), "text/javascript", Some("br")),
        (
            "/manifest.webmanifest",
            None,
            "application/manifest+json",
            None,
        ),
        ("/icon-192.png", None, "image/png", None),
    ] {
        let resp = get(&r, path, ae).await;
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers();
        assert_eq!(header(h, "content-type"), Some(content_type), "{path}");
        assert_eq!(header(h, "content-encoding"), encoding, "{path} {ae:?}");
        // Unhashed names: a new build's service worker is seen at the next load.
        assert_eq!(header(h, "cache-control"), Some("no-cache"), "{path}");
    }
}

#[tokio::test]
async fn api_answers_are_not_the_pages() {
    let (r, _web) = relay_with_dist().await;
    for path in ["/info/config", "/info/nope", "/transfer/nope"] {
        let resp = get(&r, path, Some("br, gzip")).await;
        let h = resp.headers().clone();
        assert_eq!(
            header(&h, "content-type"),
            Some("application/json"),
            "{path}"
        );
        for absent in [
            "content-encoding",
            "content-security-policy",
            "cache-control",
            "x-content-type-options",
            "referrer-policy",
        ] {
            assert_eq!(header(&h, absent), None, "{path}: {absent}");
        }
        assert!(!vary(&h).contains(&"accept-encoding".to_string()), "{path}");
        let body: Value = resp.json().await.unwrap();
        if path != "/info/config" {
            assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
        }
    }
    // A POST to a page path stays a JSON 405.
    let resp = r
        .http
        .post(format!("{}/swap/123", r.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(header(resp.headers(), "content-security-policy"), None);
}
