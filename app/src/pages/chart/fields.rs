//! Labelled inputs for the chart's forms, whose element ids carry a prefix
//! (a note's id) so that several forms on one page never share an id.
//! Server errors show at the field, wired with `aria-invalid` and
//! `aria-describedby`, as in `components::Field`.

use leptos::prelude::*;

fn ids(prefix: &str, name: &str) -> (String, String) {
    let id = format!("field-{prefix}-{name}");
    let error = format!("{id}-error");
    (id, error)
}

/// A labelled `<textarea>`; the value is shown as text (never markup).
#[component]
pub fn TextArea(
    #[prop(into)] label: String,
    name: &'static str,
    #[prop(into)] prefix: String,
    #[prop(optional, into)] value: String,
    #[prop(default = 4)] rows: u32,
    #[prop(default = false)] required: bool,
    #[prop(optional)] max: Option<usize>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let (id, error_id) = ids(&prefix, name);
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <textarea id=id name=name rows=rows required=required maxlength=max
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=error_id.clone()
                >{value.clone()}</textarea>
            <p class="error" id=error_id.clone() aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// A labelled `<input>`.
#[component]
pub fn Input(
    #[prop(into)] label: String,
    name: &'static str,
    #[prop(into)] prefix: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = false)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let (id, error_id) = ids(&prefix, name);
    let hint_id = format!("{id}-hint");
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        if hint.is_some() { format!("{hint_id} {error_id}") } else { error_id }
    };
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input id=id name=name type=kind value=value required=required
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described/>
            <p class="error" id=error_id.clone() aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// A labelled `<select>` of (value, text) options.
#[component]
pub fn Select(
    #[prop(into)] label: String,
    name: &'static str,
    #[prop(into)] prefix: String,
    options: Vec<(String, String)>,
    #[prop(optional, into)] selected: String,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let (id, error_id) = ids(&prefix, name);
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <select id=id name=name
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=error_id.clone()>
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let is_selected = value == selected;
                        view! { <option value=value selected=is_selected>{text}</option> }
                    })
                    .collect_view()}
            </select>
            <p class="error" id=error_id.clone() aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// Bumps `counter` whenever `result` turns into a success, so resources
/// keyed on it reload.
pub fn reload_on_success<T: Clone + Send + Sync + 'static>(
    result: Signal<Option<Result<T, crate::error::AppError>>>,
    counter: RwSignal<u32>,
) {
    Effect::new(move |_| {
        if result.with(|r| matches!(r, Some(Ok(_)))) {
            counter.update(|n| *n += 1);
        }
    });
}

pub fn loading() -> impl IntoView {
    view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }
}
