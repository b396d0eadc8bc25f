// The web wallet's QR decoder worker, started by the page's Scan (web/src/scan.rs)
// only where the browser has no BarcodeDetector. It loads the qr-decoder wasm
// (built by scripts/build-web.sh with wasm-bindgen --target no-modules) and
// answers each camera frame (an ImageData) with the code's text, or null.
importScripts('/qr-decoder.js');
const ready = wasm_bindgen({ module_or_path: '/qr-decoder_bg.wasm' });
onmessage = (e) => {
    ready.then(() => {
        const frame = e.data;
        postMessage(wasm_bindgen.decode_rgba(frame.data, frame.width, frame.height) ?? null);
    }, (err) => {
        // The page hears this as the worker's `error` event.
        setTimeout(() => { throw err; });
    });
};
