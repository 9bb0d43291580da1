//! Live updates: the open calendar listens to `GET /api/live/calendar`
//! (server-sent events, only this clinic's changes, no patient details) and
//! reloads its data when a colleague books, moves or changes a status.
//!
//! A reload never throws away what someone is typing: while a dialog is
//! open the change is remembered and applied when it closes.

use leptos::prelude::*;

/// Calls `refresh` for every change in the clinic while the page is open,
/// or marks the view stale while `busy()` (a dialog is open) and refreshes
/// once it is not. Browser only; nothing happens during server rendering.
pub fn live_refresh(busy: Signal<bool>, refresh: impl Fn() + Clone + Send + Sync + 'static) {
    let stale = RwSignal::new(false);
    let when_idle = refresh.clone();
    Effect::new(move |_| {
        if !busy.get() && stale.get_untracked() {
            stale.set(false);
            when_idle();
        }
    });
    let on_change = move || {
        if busy.get_untracked() {
            stale.set(true);
        } else {
            refresh();
        }
    };
    subscribe(on_change);
}

#[cfg(feature = "hydrate")]
fn subscribe(on_change: impl Fn() + Clone + Send + Sync + 'static) {
    use wasm_bindgen::{closure::Closure, JsCast};
    // Effects run only in the browser, after hydration.
    Effect::new(move |previous: Option<()>| {
        if previous.is_some() {
            return;
        }
        let Ok(source) = web_sys::EventSource::new("/api/live/calendar") else {
            return;
        };
        let handler = {
            let on_change = on_change.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| on_change())
        };
        // `calendar`: one change; `reload`: this stream missed some.
        for kind in ["calendar", "reload"] {
            let _ = source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
        }
        // The closure must live as long as the listener; both end with the page.
        let handler = send_wrapper::SendWrapper::new(handler);
        let source = send_wrapper::SendWrapper::new(source);
        on_cleanup(move || {
            source.close();
            drop(handler);
        });
    });
}

#[cfg(not(feature = "hydrate"))]
fn subscribe(_on_change: impl Fn() + Clone + Send + Sync + 'static) {}
