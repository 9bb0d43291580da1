//! The wasm entry point: hydrates the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // hydrate_lazy: some routes are code-split and hydrate once their chunk loads.
    leptos::mount::hydrate_lazy(app::App);
}
