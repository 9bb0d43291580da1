//! Small building blocks shared by the pages.

use crate::error::AppError;
use leptos::prelude::*;

/// Marks the page as live: sets `data-hydrated` on `<body>` to the current
/// path once this page's code has hydrated (effects only run in the browser,
/// after hydration). Browser tests wait for it; a code-split page is live
/// only once its own wasm chunk has loaded.
///
/// The path is the router's, read when this page is created: after a
/// client-side navigation to a code-split page, the page can render before
/// the browser's address changes, and `window.location` would still name
/// the page before.
#[component]
pub fn PageReady() -> impl IntoView {
    let path = leptos_router::hooks::use_location().pathname.get_untracked();
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", &path);
        }
    });
}

/// A server action's last result as a plain signal, for the helpers below.
pub fn last_result<S>(action: ServerAction<S>) -> Signal<Option<Result<S::Output, AppError>>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get())
}

/// The error for one field out of a server action's last result.
pub fn field_error<T: Send + Sync + 'static>(
    value: Signal<Option<Result<T, AppError>>>,
    name: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err()).and_then(|e| e.field(name))))
}

/// `field-{name}`, or `field-{form}-{name}`: ids must be unique on a page
/// for labels and error messages to point at the right input.
fn field_id(form: Option<&str>, name: &str) -> String {
    match form {
        Some(form) => format!("field-{form}-{name}"),
        None => format!("field-{name}"),
    }
}

/// `aria-describedby` for an input: its hint, and its error while it has one.
fn described_by(
    has_hint: bool,
    hint_id: String,
    error_id: String,
    has_error: impl Fn() -> bool + Send + Sync + 'static,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    move || {
        let ids: Vec<&str> = [(has_hint, hint_id.as_str()), (has_error(), error_id.as_str())]
            .into_iter()
            .filter_map(|(on, id)| on.then_some(id))
            .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A labelled input with its hint and error wired up for assistive tech.
/// `check` runs the same domain rule as the server, on blur, for instant
/// feedback; the server's answer (`server_error`) still has the last word.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = true)] required: bool,
    #[prop(optional)] check: Option<fn(&str) -> Option<String>>,
    #[prop(into)] server_error: Signal<Option<String>>,
    /// Prefix for element ids when two forms on one page share field names.
    #[prop(optional)] form: Option<&'static str>,
) -> impl IntoView {
    let id = field_id(form, name);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let local_error = RwSignal::new(None::<String>);
    // A new server answer is shown even if the user had edited the field.
    let hide_server = RwSignal::new(false);
    Effect::new(move |_| {
        server_error.track();
        hide_server.set(false);
    });
    let error = move || local_error.get().or_else(|| if hide_server.get() { None } else { server_error.get() });
    let described_by = described_by(hint.is_some(), hint_id.clone(), error_id.clone(), move || error().is_some());
    let on_blur = move |ev: leptos::ev::FocusEvent| {
        if let Some(check) = check {
            let value = event_target_value(&ev);
            // An untouched empty field is not an error until submitted.
            if !value.is_empty() {
                local_error.set(check(&value));
            }
        }
    };
    let on_input = move |_| {
        local_error.set(None);
        hide_server.set(true);
    };
    view! {
        <div class="field" class:has-error=move || error().is_some()>
            <label for=id.clone()>{label}{(!required).then(|| view! { <span class="optional">" (optional)"</span> })}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                required=required
                autocomplete=autocomplete
                aria-invalid=move || error().is_some().then_some("true")
                aria-describedby=described_by
                on:blur=on_blur
                on:input=on_input
            />
            <p class="error" id=error_id.clone() aria-live="polite">{error}</p>
        </div>
    }
}

/// A labelled `<select>`.
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    #[prop(optional, into)] selected: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] server_error: Signal<Option<String>>,
    #[prop(optional)] form: Option<&'static str>,
) -> impl IntoView {
    let id = field_id(form, name);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let selected = selected.unwrap_or_default();
    let described_by = described_by(hint.is_some(), hint_id.clone(), error_id.clone(), move || server_error.get().is_some());
    view! {
        <div class="field" class:has-error=move || server_error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <select
                id=id.clone()
                name=name
                required=true
                aria-invalid=move || server_error.get().is_some().then_some("true")
                aria-describedby=described_by
            >
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let is_selected = value == selected;
                        view! { <option value=value selected=is_selected>{text}</option> }
                    })
                    .collect_view()}
            </select>
            <p class="error" id=error_id aria-live="polite">{move || server_error.get()}</p>
        </div>
    }
}

/// A form-level message for errors that are not about one field.
#[component]
pub fn FormAlert<T: Clone + Send + Sync + 'static>(value: Signal<Option<Result<T, AppError>>>) -> impl IntoView {
    let message = move || match value.get() {
        Some(Err(AppError::Invalid(_))) => Some("Please correct the fields marked below.".to_owned()),
        Some(Err(error)) => Some(error.summary()),
        _ => None,
    };
    view! {
        <div class="form-alert" role="alert">
            {move || message().map(|m| view! { <p>{m}</p> })}
        </div>
    }
}

/// Options for a time-zone picker: the common zones, plus `current` if it
/// is a valid zone not in that list.
pub fn time_zone_options(current: &str) -> Vec<(String, String)> {
    let mut zones: Vec<&str> = ambula_domain::timezone::COMMON_TIME_ZONES.to_vec();
    if !current.is_empty() && !zones.contains(&current) {
        zones.push(current);
        zones.sort_unstable();
    }
    let mut options = vec![(String::new(), "Choose a time zone…".to_owned())];
    options.extend(zones.into_iter().map(|z| (z.to_owned(), z.replace('_', " "))));
    options
}
