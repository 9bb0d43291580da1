//! Parts of the staff shell that look after the session: the clinic
//! switcher and the idle-logoff warning.

use crate::security_api::{ClinicChoice, SwitchClinic};
use leptos::{html, prelude::*, server_fn::ServerFn};

/// Shown only to people who work at more than one clinic. A plain form
/// post: the server answers with a redirect and the new session cookie, and
/// the whole app reloads in the other clinic (nothing of the old one stays
/// in memory).
#[component]
pub fn ClinicSwitcher(clinics: Vec<ClinicChoice>) -> impl IntoView {
    (clinics.len() > 1).then(|| {
        view! {
            <form method="post" action=SwitchClinic::url() class="clinic-switch">
                <label for="clinic-switch">"Clinic"</label>
                <select id="clinic-switch" name="clinic_id">
                    {clinics
                        .into_iter()
                        .map(|c| {
                            let text = format!("{} ({})", c.name, c.role.label());
                            view! { <option value=c.id selected=c.current>{text}</option> }
                        })
                        .collect_view()}
                </select>
                <button type="submit" class="secondary">"Switch"</button>
            </form>
        }
    })
}

/// Browser-side helpers; the timer only runs after hydration.
#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Array, Function, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    fn method(target: &JsValue, name: &str) -> Option<Function> {
        Reflect::get(target, &name.into()).ok()?.dyn_into::<Function>().ok()
    }

    pub fn call(target: &JsValue, name: &str) {
        if let Some(f) = method(target, name) {
            let _ = f.call0(target);
        }
    }

    pub fn now_ms() -> f64 {
        js_sys::Date::now()
    }

    /// Whether the page called the server (`/api/…`) since the last look.
    /// Reads the browser's resource timing list, then empties it, so each
    /// call is counted once and the list never fills up.
    pub fn server_was_called() -> bool {
        let Ok(performance) = Reflect::get(&js_sys::global(), &"performance".into()) else {
            return false;
        };
        let called = method(&performance, "getEntriesByType")
            .and_then(|f| f.call1(&performance, &"resource".into()).ok())
            .map(|entries| {
                Array::from(&entries).iter().any(|entry| {
                    Reflect::get(&entry, &"name".into())
                        .ok()
                        .and_then(|n| n.as_string())
                        .is_some_and(|n| n.contains("/api/"))
                })
            })
            .unwrap_or(false);
        call(&performance, "clearResourceTimings");
        called
    }

    pub fn is_open(dialog: &JsValue) -> bool {
        Reflect::get(dialog, &"open".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false)
    }
}

/// Warns a minute before the clinic's automatic logoff and offers to stay
/// signed in; when the time is up, ends the session and goes to sign-in.
/// The server keeps its own clock (the session expires there regardless);
/// this only makes it visible. Any call to the server counts as activity,
/// as it does on the server.
#[component]
pub fn IdleWatch(minutes: u32) -> impl IntoView {
    // Seconds left while the warning shows; None otherwise.
    let left = RwSignal::new(None::<u32>);
    let dialog = NodeRef::<html::Dialog>::new();
    let last_activity = StoredValue::new(0.0_f64);
    let _ = (minutes, last_activity);

    #[cfg(feature = "hydrate")]
    {
        let limit_ms = f64::from(minutes) * 60_000.0;
        Effect::new(move |_| {
            last_activity.set_value(browser::now_ms());
            let tick = move || {
                let now = browser::now_ms();
                if browser::server_was_called() {
                    last_activity.set_value(now);
                }
                let remaining = last_activity.get_value() + limit_ms - now;
                if remaining <= 0.0 {
                    left.set(None);
                    leptos::task::spawn_local(async {
                        let _ = crate::api::sign_out().await;
                        let _ = window().location().set_href("/sign-in");
                    });
                } else if remaining <= 60_000.0 {
                    left.set(Some((remaining / 1000.0).ceil() as u32));
                } else if left.get_untracked().is_some() {
                    left.set(None);
                }
            };
            if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(1)) {
                on_cleanup(move || handle.clear());
            }
        });
        // Open and close the native modal dialog: it makes the rest of the
        // page inert and moves focus into itself (to the autofocus button).
        Effect::new(move |_| {
            let showing = left.get().is_some();
            if let Some(el) = dialog.get() {
                let el: &wasm_bindgen::JsValue = el.as_ref();
                match (showing, browser::is_open(el)) {
                    (true, false) => browser::call(el, "showModal"),
                    (false, true) => browser::call(el, "close"),
                    _ => {}
                }
            }
        });
    }

    let stay = move || {
        left.set(None);
        leptos::task::spawn_local(async move {
            match crate::security_api::keep_alive().await {
                Ok(()) => {
                    #[cfg(feature = "hydrate")]
                    last_activity.set_value(browser::now_ms());
                }
                Err(_) => {
                    let _ = window().location().set_href("/sign-in");
                }
            }
        });
    };
    let sign_out_now = move |_| {
        leptos::task::spawn_local(async {
            let _ = crate::api::sign_out().await;
            let _ = window().location().set_href("/sign-in");
        });
    };
    view! {
        <dialog node_ref=dialog class="idle-dialog" role="alertdialog" aria-modal="true"
            aria-labelledby="idle-title" aria-describedby="idle-text"
            on:cancel=move |ev: leptos::ev::Event| { ev.prevent_default(); stay(); }>
            <h2 id="idle-title">"Are you still there?"</h2>
            <p id="idle-text">
                "For your patients' privacy you will be signed out in "
                <strong>{move || left.get().unwrap_or(0)}" seconds"</strong>
                " because nothing has happened for a while."
            </p>
            <div class="actions">
                <button type="button" autofocus=true on:click=move |_| stay()>"Stay signed in"</button>
                <button type="button" class="secondary" on:click=sign_out_now>"Sign out now"</button>
            </div>
        </dialog>
    }
}
