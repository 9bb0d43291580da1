//! Form pieces of the medications tab that the shared components lack: a
//! select that may be optional, a labelled textarea, and the status line
//! plus reload after a successful action.

use crate::error::AppError;
use leptos::prelude::*;

/// A server action's last result.
pub type Outcome<T> = Signal<Option<Result<T, AppError>>>;

fn ids(form: &str, name: &str) -> (String, String) {
    let id = format!("field-{form}-{name}");
    let error = format!("{id}-error");
    (id, error)
}

/// A labelled `<select>` whose error is announced and tied to it.
#[component]
pub fn Choice(
    label: &'static str,
    name: &'static str,
    form: &'static str,
    options: Vec<(String, String)>,
    #[prop(optional, into)] selected: Option<String>,
    #[prop(default = true)] required: bool,
    #[prop(into)] server_error: Signal<Option<String>>,
) -> impl IntoView {
    let (id, error_id) = ids(form, name);
    let described = error_id.clone();
    let selected = selected.unwrap_or_default();
    view! {
        <div class="field" class:has-error=move || server_error.get().is_some()>
            <label for=id.clone()>{label}{(!required).then(|| view! { <span class="optional">" (optional)"</span> })}</label>
            <select
                id=id
                name=name
                required=required
                aria-invalid=move || server_error.get().is_some().then_some("true")
                aria-describedby=move || server_error.get().is_some().then(|| described.clone())
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

/// A labelled multi-line text field.
#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    form: &'static str,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = false)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] server_error: Signal<Option<String>>,
) -> impl IntoView {
    let (id, error_id) = ids(form, name);
    let hint_id = format!("{id}-hint");
    let has_hint = hint.is_some();
    let (hint_ref, error_ref) = (hint_id.clone(), error_id.clone());
    let described = move || {
        let parts: Vec<&str> = [(has_hint, hint_ref.as_str()), (server_error.get().is_some(), error_ref.as_str())]
            .into_iter()
            .filter_map(|(on, id)| on.then_some(id))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    view! {
        <div class="field" class:has-error=move || server_error.get().is_some()>
            <label for=id.clone()>{label}{(!required).then(|| view! { <span class="optional">" (optional)"</span> })}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <textarea
                id=id
                name=name
                rows="3"
                required=required
                aria-invalid=move || server_error.get().is_some().then_some("true")
                aria-describedby=described
            >{value.unwrap_or_default()}</textarea>
            <p class="error" id=error_id aria-live="polite">{move || server_error.get()}</p>
        </div>
    }
}

/// `options` with an empty "Choose…" first, for a required choice with no
/// sensible default.
pub fn with_placeholder(options: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut all = vec![(String::new(), "Choose…".to_owned())];
    all.extend(options);
    all
}

/// On success: says `message` in the tab's status line and bumps `changed`
/// so the tab reloads (and the header's allergy badge with it).
pub fn after_success<T: Clone + Send + Sync + 'static>(
    result: Outcome<T>,
    status: RwSignal<Option<String>>,
    changed: RwSignal<u32>,
    message: impl Fn(&T) -> String + Send + Sync + 'static,
) {
    Effect::new(move |_| {
        if let Some(Ok(value)) = result.get() {
            status.set(Some(message(&value)));
            changed.update(|n| *n += 1);
            if let Some(badge) = use_context::<super::badge::BadgeRefresh>() {
                badge.0.update(|n| *n += 1);
            }
        }
    });
}
