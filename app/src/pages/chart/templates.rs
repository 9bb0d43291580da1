//! Note templates, managed from the Notes tab by members with
//! `EditClinical` or `ManageClinic`: the list (each editable, retire or
//! restore) and a form for a new one. Fields are typed one per line as
//! `section | label | kind` (see `domain/src/chart/templates.rs`).

use super::fields::{loading, reload_on_success, Input, TextArea};
use crate::{
    chart_api::*,
    components::{field_error, FormAlert},
    pages::staff::error_view,
};
use leptos::{either::Either, prelude::*};

const FIELDS_HINT: &str = "One field per line: section | label | kind. Sections: subjective, objective, assessment, plan. \
Kinds: text, number, or choice: a, b, c. At most 12 fields.";

#[component]
pub fn TemplatesPanel() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let list = Resource::new(move || changed.get(), |_| chart_templates());
    let create = ServerAction::<ChartTemplateCreate>::new();
    let created = Signal::derive(move || create.value().get());
    reload_on_success(created, changed);
    view! {
        <details class="chart-panel templates-panel">
            <summary>"Note templates"</summary>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(items) => Either::Left(view! {
                            <ul class="setup-list" aria-label="Note templates">
                                {items.into_iter().map(|t| view! { <TemplateRow template=t changed/> }).collect_view()}
                            </ul>
                        }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Transition>
            <ActionForm action=create attr:class="chart-form">
                <h3>"New template"</h3>
                <Input label="Template name" name="name" prefix="new-template" required=true error=field_error(created, "name")/>
                <p class="hint">{FIELDS_HINT}</p>
                <TextArea label="Fields" name="fields" prefix="new-template" rows=5 error=field_error(created, "fields")/>
                <FormAlert value=created/>
                <button type="submit" disabled=move || create.pending().get()>"Add template"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn TemplateRow(template: TemplateItem, changed: RwSignal<u32>) -> impl IntoView {
    let update = ServerAction::<ChartTemplateUpdate>::new();
    let result = Signal::derive(move || update.value().get());
    reload_on_success(result, changed);
    let prefix = format!("template-{}", template.id);
    let active_id = format!("{prefix}-active");
    let state = if template.active { "in use" } else { "retired" };
    view! {
        <li>
            <details>
                <summary><span class="item-name">{template.name.clone()}</span>" — "{state}</summary>
                <ActionForm action=update attr:class="chart-form">
                    <input type="hidden" name="template_id" value=template.id.clone()/>
                    <Input label="Template name" name="name" prefix=prefix.clone() value=template.name.clone() required=true error=field_error(result, "name")/>
                    <TextArea label="Fields" name="fields" prefix=prefix.clone() value=template.lines.clone() rows=5 error=field_error(result, "fields")/>
                    <div class="field checkbox">
                        <input type="checkbox" id=active_id.clone() name="active" value="on" checked=template.active/>
                        <label for=active_id>"In use (offered for new encounters)"</label>
                    </div>
                    <FormAlert value=result/>
                    <button type="submit" class="secondary" disabled=move || update.pending().get()>"Save template"</button>
                </ActionForm>
            </details>
        </li>
    }
}
