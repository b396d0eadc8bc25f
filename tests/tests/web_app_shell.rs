//! The web wallet as an app on a phone: Paste and Scan QR beside the code
//! fields, and installable (its manifest, a service worker that caches the
//! shell and never the relay's answers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{Page, run, run_with_relay_process};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const STEP: Duration = Duration::from_secs(60);

/// Said by the page when the clipboard is refused (view/field_tools.rs).
const PASTE_BLOCKED: &str = "Paste is blocked by the browser: long-press the field and paste";

async fn field_value(p: &Page, testid: &str) -> String {
    p.js(
        "return document.querySelector(arguments[0]).value;",
        vec![Value::String(format!("[data-testid='{testid}']"))],
    )
    .await
    .as_str()
    .unwrap()
    .to_string()
}

/// Waits for the service worker to be ready, reloads, and waits until it
/// controls the page (a worker controls only pages loaded after it).
async fn reload_under_the_service_worker(p: &Page) {
    p.js(
        "return navigator.serviceWorker.ready.then(() => true);",
        vec![],
    )
    .await;
    p.reload().await;
    p.wait_true(
        "the service worker to control the page",
        STEP,
        "return navigator.serviceWorker.controller !== null;",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paste_fills_the_field_and_a_refusal_is_said_beside_it() {
    run("paste", 30, |s| async move {
        // A camera (Chromium's fake one: a test pattern, no QR code).
        let p = s
            .browser_with(
                "alice",
                &[
                    "--use-fake-device-for-media-stream".into(),
                    "--use-fake-ui-for-media-stream".into(),
                ],
            )
            .await;
        p.create_wallet("Alice", "correct horse battery").await;
        p.tab("swap").await;

        // No clipboard permission: the page says so, the field stays empty.
        p.click_css("[data-testid='paste-invite']").await;
        let note = p
            .wait("the paste refusal", STEP, || async {
                p.text("tools-note-invite").await
            })
            .await;
        assert_eq!(note, PASTE_BLOCKED);
        assert_eq!(field_value(&p, "invite-input").await, "");
        p.screenshot("paste-blocked").await;

        // Permission granted (the user said yes): the clipboard's text,
        // trimmed, goes into the field and the refusal goes away.
        p.grant_permission("clipboard-read").await;
        p.grant_permission("clipboard-write").await;
        p.js(
            "return navigator.clipboard.writeText(arguments[0]);",
            vec![Value::String("  lsi1pastedinvite\n".into())],
        )
        .await;
        p.click_css("[data-testid='paste-invite']").await;
        p.wait("the pasted invite", STEP, || async {
            (field_value(&p, "invite-input").await == "lsi1pastedinvite").then_some(())
        })
        .await;
        assert_eq!(p.text("tools-note-invite").await, None);
        // The page saw it as typed: Read invite reads what was pasted.
        p.click("Read invite").await;
        let error = p
            .wait("the pasted text read as an invite", STEP, || async {
                p.error().await
            })
            .await;
        assert!(!error.is_empty());

        // Scan QR on a camera that shows no code: the overlay stays until
        // Cancel, which closes it and the camera, the field untouched.
        p.click_css("[data-testid='scan-invite']").await;
        p.wait_for("scan-video").await;
        p.wait("the camera to play", STEP, || async {
            p.js(
                "const v = document.querySelector(\"[data-testid='scan-video']\");
                 return v && v.srcObject && v.videoWidth > 0 ? v.srcObject.getVideoTracks().length : null;",
                vec![],
            )
            .await
            .as_u64()
        })
        .await;
        p.js(
            "window.__track = document.querySelector(\"[data-testid='scan-video']\").srcObject.getVideoTracks()[0]; return true;",
            vec![],
        )
        .await;
        p.screenshot("scanning-no-code").await;
        p.click("Cancel").await;
        p.wait_true(
            "the scanner to close and the camera to stop",
            STEP,
            "return document.querySelector('.scan-overlay') === null && window.__track.readyState === 'ended';",
        )
        .await;
        assert_eq!(field_value(&p, "invite-input").await, "lsi1pastedinvite");
        p.assert_no_csp_violation().await;
    })
    .await;
}

/// A one-frame-repeated YUV4MPEG2 video of `text`'s QR code, black on
/// white, for Chromium's fake camera (`--use-file-for-fake-video-capture`).
fn qr_video(text: &str, path: &Path) {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let modules = code.width();
    let colors = code.to_colors();
    let side = 480usize;
    let scale = side / (modules + 8);
    let offset = (side - modules * scale) / 2;
    let mut luma = vec![255u8; side * side];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = (
                (x.wrapping_sub(offset)) / scale,
                (y.wrapping_sub(offset)) / scale,
            );
            if x >= offset
                && y >= offset
                && mx < modules
                && my < modules
                && colors[my * modules + mx] == qrcode::Color::Dark
            {
                luma[y * side + x] = 0;
            }
        }
    }
    let chroma = vec![128u8; (side / 2) * (side / 2)];
    let mut out = format!("YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..2 {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(&luma);
        out.extend_from_slice(&chroma);
        out.extend_from_slice(&chroma);
    }
    std::fs::write(path, out).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanning_an_invite_qr_code_with_the_camera_fills_the_field() {
    run("scan", 30, |s| async move {
        let alice = s.browser("alice").await;
        alice.create_wallet("Alice", "correct horse battery").await;
        let coin = alice.demo_coin(10_000).await;
        let invite = alice.create_invite(&coin, 7_000).await;

        let video = s.data_dir.join("invite-qr.y4m");
        qr_video(&invite, &video);
        let bob = s
            .browser_with(
                "bob",
                &[
                    "--use-fake-device-for-media-stream".into(),
                    "--use-fake-ui-for-media-stream".into(),
                    format!("--use-file-for-fake-video-capture={}", video.display()),
                ],
            )
            .await;
        bob.create_wallet("Bob", "correct horse battery").await;
        bob.tab("swap").await;
        let native = bob.js("return 'BarcodeDetector' in window;", vec![]).await;
        eprintln!("scan: BarcodeDetector in this Chromium: {native}");
        bob.click_css("[data-testid='scan-invite']").await;
        bob.wait_for("scan-video").await;
        bob.screenshot("scanning").await;
        bob.wait("the scanned invite in the field", STEP, || async {
            (field_value(&bob, "invite-input").await == invite).then_some(())
        })
        .await;
        // The overlay closed, the camera released; the scanned invite reads.
        assert_eq!(
            bob.js(
                "return document.querySelector('.scan-overlay') === null;",
                vec![]
            )
            .await,
            Value::Bool(true)
        );
        bob.click("Read invite").await;
        bob.wait_for("invite-preview").await;
        bob.screenshot("scanned-invite").await;
        bob.assert_no_csp_violation().await;
        assert!(
            bob.page_errors().await.is_empty(),
            "{:?}",
            bob.page_errors().await
        );
    })
    .await;
}

/// The invite's QR code is drawn by the encoder wasm, fetched only when the
/// first code is shown (never by the first load), and it is exactly the code
/// of the invite's text (the same encoder, run natively here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qr_code_is_drawn_by_the_encoder_loaded_when_first_needed() {
    run("qr-draw", 30, |s| async move {
        let alice = s.browser("alice").await;
        alice.create_wallet("Alice", "correct horse battery").await;
        let fetched = |p: &'static str| {
            format!("return performance.getEntriesByType('resource').some(r => new URL(r.name).pathname === '{p}');")
        };
        let coin = alice.demo_coin(10_000).await;
        assert_eq!(alice.js(&fetched("/qr-encoder_bg.wasm"), vec![]).await, false);

        let invite = alice.create_invite(&coin, 7_000).await;
        alice.wait_for("invite-qr").await;
        let view_box = alice.attr("invite-qr", "viewBox").await.unwrap();
        let path = alice
            .js(
                "return document.querySelector('[data-testid=invite-qr] path').getAttribute('d');",
                vec![],
            )
            .await;
        let (side, want) = qr_encoder::svg_path(&invite).expect("an invite fits a QR code");
        assert_eq!(view_box, format!("0 0 {side} {side}"));
        assert_eq!(path.as_str(), Some(want.as_str()), "the drawn code is not the invite's");
        assert_eq!(alice.js(&fetched("/qr-encoder_bg.wasm"), vec![]).await, true);
        alice.assert_no_csp_violation().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_is_installable_and_its_service_worker_caches_only_the_shell() {
    run("app-shell", 30, |s| async move {
        let p = s.browser("alice").await;
        // The manifest the page links, as served.
        let manifest = p
            .js(
                "const href = document.querySelector('link[rel=manifest]').href;
                 return fetch(href).then(async r => ({
                     type: r.headers.get('content-type'), body: await r.json() }));",
                vec![],
            )
            .await;
        assert_eq!(manifest["type"], "application/manifest+json");
        let m = &manifest["body"];
        assert_eq!(m["name"], "Lockstep wallet");
        assert_eq!(m["start_url"], "/");
        assert_eq!(m["display"], "standalone");
        assert!(m["theme_color"].as_str().unwrap().starts_with('#'));
        let icons = m["icons"].as_array().unwrap();
        for size in ["192x192", "512x512"] {
            let icon = icons.iter().find(|i| i["sizes"] == size).unwrap();
            // Each icon is a PNG of its stated size.
            let got = p
                .js(
                    "return fetch(arguments[0]).then(r => r.blob()).then(createImageBitmap)
                       .then(b => b.width + 'x' + b.height);",
                    vec![icon["src"].clone()],
                )
                .await;
            assert_eq!(got, size);
        }

        // The service worker installs, and controls the page after a reload.
        let scope = p
            .js(
                "return navigator.serviceWorker.ready.then(r => r.scope);",
                vec![],
            )
            .await;
        assert_eq!(scope.as_str().unwrap(), format!("{}/", s.base));
        reload_under_the_service_worker(&p).await;
        p.create_wallet("Alice", "correct horse battery").await;

        // One cache: the page, its hashed script, wasm and style, the
        // manifest; no answer of the relay's API, though the page has used it.
        let cached = p
            .js(
                "return caches.keys().then(async keys => {
                     const urls = [];
                     for (const k of keys) {
                         const c = await caches.open(k);
                         for (const r of await c.keys()) urls.push(k + ' ' + new URL(r.url).pathname);
                     }
                     return urls;
                 });",
                vec![],
            )
            .await;
        let cached: Vec<String> = serde_json::from_value(cached).unwrap();
        eprintln!("app-shell: cached {cached:#?}");
        let paths: Vec<&str> = cached
            .iter()
            .map(|e| e.split_once(' ').unwrap().1)
            .collect();
        assert!(cached.iter().all(|e| e.starts_with("lockstep-shell-")));
        let caches: std::collections::BTreeSet<&str> =
            cached.iter().map(|e| e.split_once(' ').unwrap().0).collect();
        assert_eq!(caches.len(), 1, "{cached:?}");
        assert!(paths.contains(&"/index.html"));
        assert!(paths.contains(&"/manifest.webmanifest"));
        for ext in [".js", "_bg.wasm", ".css"] {
            assert!(
                paths.iter().any(|p| p.starts_with("/web-") || p.starts_with("/style-"))
                    && paths.iter().any(|p| p.ends_with(ext)),
                "{ext}: {paths:?}"
            );
        }
        assert!(
            paths.iter().all(|p| !p.starts_with("/info")
                && !p.starts_with("/deposit")
                && !p.starts_with("/transfer")
                && !p.starts_with("/swap")),
            "{paths:?}"
        );
        // Nothing lazy in the shell: the QR decoder loads only on Scan.
        assert!(paths.iter().all(|p| !p.starts_with("/qr-")), "{paths:?}");
        p.assert_no_csp_violation().await;
    })
    .await;
}

/// The installed app starts with the relay gone (its process ended: nothing
/// listens any more): the service worker answers the page and its files
/// from its cache, the wallet list shows the wallet from this browser's
/// storage, and the relay banner says the relay cannot be reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_starts_from_its_cache_when_the_relay_is_gone() {
    run_with_relay_process("offline-start", 30, |s| async move {
        let p = s.browser("alice").await;
        p.create_wallet("Alice", "correct horse battery").await;
        reload_under_the_service_worker(&p).await;

        s.stop_relay();
        p.reload().await;
        p.wait_for("wallet-list").await;
        let list = p.text("wallet-list").await.unwrap_or_default();
        assert!(list.contains("Alice"), "{list:?}");
        p.wait_for("relay-banner").await;
        p.screenshot("offline-start").await;
        // The page's script, wasm and style all loaded (from the worker's
        // cache or the browser's own: nothing listens on the relay's port).
        let loaded = p
            .js(
                "return performance.getEntriesByType('resource')
                   .map(r => new URL(r.name).pathname)
                   .filter(p => /\\.(js|wasm|css)$/.test(p));",
                vec![],
            )
            .await;
        let loaded: Vec<String> = serde_json::from_value(loaded).unwrap();
        for ext in [".js", "_bg.wasm", ".css"] {
            assert!(loaded.iter().any(|p| p.ends_with(ext)), "{ext}: {loaded:?}");
        }
    })
    .await;
}
