//! The wallet page's entry point: Trunk builds this binary to wasm.

fn main() {
    #[cfg(target_arch = "wasm32")]
    web::start();
}
