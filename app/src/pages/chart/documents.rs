//! The chart's Documents tab: upload (file picker, camera on tablets, or
//! drag and drop), the list with date, type, size and uploader, a preview
//! for images and PDFs, and download. The server checks every upload by
//! its content; refusals show at the file field.

use super::use_patient_id;
use crate::{
    documents_api::{documents_list, size_text, DocumentItem},
    pages::staff::error_view,
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

/// What the preview pane shows: (document id, file name, is an image).
type Shown = Option<(String, String, bool)>;

#[component]
pub fn ChartDocumentsPage() -> impl IntoView {
    let id = use_patient_id();
    let reload = RwSignal::new(0_u32);
    let documents = Resource::new(move || (id.get(), reload.get()), |(id, _)| documents_list(id));
    let shown = RwSignal::new(None::<(String, String, bool)>);
    view! {
        <Title text="Documents · Ambula"/>
        <h2>"Documents"</h2>
        <Uploader reload shown/>
        <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match documents.await {
                    Ok(list) => Either::Left(view! { <DocumentList list shown/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
        <Preview shown/>
    }
}

/// The upload form: a file picker, a camera button (tablets open the rear
/// camera), and a drop zone. Uploading starts when a file is chosen or dropped.
#[component]
fn Uploader(reload: RwSignal<u32>, shown: RwSignal<Shown>) -> impl IntoView {
    let id = use_patient_id();
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let dragging = RwSignal::new(false);
    // Starts an upload of `file` (browser only).
    #[cfg(feature = "hydrate")]
    let send = move |file: web_sys::File| {
        let patient = id.get_untracked();
        let name = file.name();
        busy.set(true);
        error.set(None);
        status.set(Some(format!("Uploading {name}…")));
        leptos::task::spawn_local(async move {
            let outcome = super::upload::upload(&patient, &file).await;
            busy.set(false);
            match outcome {
                Ok((document, content_type)) => {
                    status.set(Some(format!("Uploaded {name}.")));
                    reload.update(|n| *n += 1);
                    shown.set(Some((document, name, content_type.starts_with("image/"))));
                }
                Err(message) => {
                    status.set(None);
                    error.set(Some(message));
                }
            }
        });
    };
    // Server rendering only draws the form; uploads happen in the browser.
    #[cfg(not(feature = "hydrate"))]
    let _ = (reload, shown, id);
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
            if let Some(input) = input {
                if let Some(file) = input.files().and_then(|files| files.get(0)) {
                    send(file);
                }
                // The same file can be chosen again after a refusal.
                input.set_value("");
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|files| files.get(0)) {
            send(file);
        }
    };
    let described = move || if error.get().is_some() { "upload-hint upload-error" } else { "upload-hint" };
    let invalid = move || error.get().is_some().then_some("true");
    view! {
        <section class="upload" aria-labelledby="upload-heading">
            <h3 id="upload-heading">"Add a document"</h3>
            <div
                class="drop-zone"
                class:dragging=move || dragging.get()
                class:has-error=move || error.get().is_some()
                on:dragover=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <p class="hint" id="upload-hint">"PDF, PNG or JPEG, up to 10 MB. Drop a file here, choose one, or take a photo."</p>
                <div class="upload-buttons">
                    <input
                        id="upload-file"
                        class="file-input"
                        type="file"
                        name="file"
                        accept="image/png,image/jpeg,application/pdf"
                        aria-describedby=described
                        aria-invalid=invalid
                        disabled=move || busy.get()
                        on:change=on_change
                    />
                    <label class="button" for="upload-file">"Choose a file"</label>
                    <input
                        id="upload-camera"
                        class="file-input"
                        type="file"
                        name="camera"
                        accept="image/*,application/pdf"
                        capture="environment"
                        aria-describedby=described
                        aria-invalid=invalid
                        disabled=move || busy.get()
                        on:change=on_change
                    />
                    <label class="button secondary" for="upload-camera">"Take a photo"</label>
                </div>
                <p class="error" id="upload-error" aria-live="polite">{move || error.get()}</p>
                <p class="status" role="status">{move || status.get()}</p>
            </div>
        </section>
    }
}

#[component]
fn DocumentList(list: Vec<DocumentItem>, shown: RwSignal<Shown>) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! { <p class="empty">"No documents yet."</p> });
    }
    Either::Right(view! {
        <table class="data documents">
            <caption class="visually-hidden">"Documents, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Size"</th>
                    <th scope="col">"Uploaded"</th>
                    <th scope="col">"By"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|d| {
                    let preview = (d.id.clone(), d.file_name.clone(), d.is_image());
                    let can_preview = d.previewable();
                    let download = format!("/api/documents/{}", d.id);
                    let name = d.file_name.clone();
                    view! {
                        <tr>
                            <th scope="row">{d.file_name.clone()}</th>
                            <td>{d.kind_label()}</td>
                            <td>{size_text(d.size_bytes)}</td>
                            <td>{d.uploaded_at.clone()}</td>
                            <td>{d.uploaded_by.clone().unwrap_or_else(|| "–".to_owned())}</td>
                            <td class="actions">
                                {can_preview.then(|| {
                                    let preview = preview.clone();
                                    let label = format!("Preview {name}");
                                    view! {
                                        <button type="button" class="link" aria-label=label on:click=move |_| shown.set(Some(preview.clone()))>"Preview"</button>
                                    }
                                })}
                                <a href=download download="" aria-label=format!("Download {}", d.file_name)>"Download"</a>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    })
}

/// The preview pane: an image, or a PDF in a sandboxed frame, from the
/// preview route (which serves only content verified as an image or PDF).
#[component]
fn Preview(shown: RwSignal<Shown>) -> impl IntoView {
    move || {
        shown.get().map(|(id, name, is_image)| {
            let src = format!("/api/documents/{id}/preview");
            let title = format!("Preview of {name}");
            let (label, heading) = (title.clone(), title.clone());
            view! {
                <section class="preview" aria-label=label>
                    <div class="preview-head">
                        <h3>{heading}</h3>
                        <button type="button" class="secondary" on:click=move |_| shown.set(None)>"Close preview"</button>
                    </div>
                    {if is_image {
                        Either::Left(view! { <img class="preview-image" src=src alt=title/> })
                    } else {
                        Either::Right(view! { <iframe class="preview-frame" src=src title=title sandbox=""></iframe> })
                    }}
                </section>
            }
        })
    }
}
