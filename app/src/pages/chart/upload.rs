//! Sending a file to `POST /api/patients/{id}/documents` from the browser
//! (binary bodies do not suit server functions). Used by the Documents tab
//! (file picker, camera, drag and drop) and by Results (attach a report).
//! The server decides everything: size (413 before the body is read),
//! type (by content, 422 at the `file` field), permission, the patient.

/// What an upload came to: the new document's id and its content type as
/// the server sniffed it, or a message for the person at the file field.
pub type UploadOutcome = Result<(String, String), String>;

/// The message for a refused upload, by status (and the server's field
/// error for 422).
pub fn refusal(status: u16, field_message: Option<String>) -> String {
    match status {
        413 => "This file is too large. Upload a file of at most 10 MB, or scan at a lower resolution.".to_owned(),
        422 => field_message.unwrap_or_else(|| "Upload a PDF, PNG or JPEG file.".to_owned()),
        401 => "Your session has ended. Sign in again to upload.".to_owned(),
        403 => "Your role does not allow adding documents to a chart.".to_owned(),
        404 => "We could not find this patient.".to_owned(),
        _ => "The upload failed. Check your connection and try again.".to_owned(),
    }
}

#[cfg(feature = "hydrate")]
pub async fn upload(patient_id: &str, file: &web_sys::File) -> UploadOutcome {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let failed = || refusal(0, None);
    let headers = web_sys::Headers::new().map_err(|_| failed())?;
    // The name travels percent-encoded; the server tames it further.
    let name: String = js_sys::encode_uri_component(&file.name()).into();
    headers.set("x-file-name", &name).map_err(|_| failed())?;
    let content_type = file.type_();
    if !content_type.is_empty() {
        // Informational only: the server judges the content, not this.
        let _ = headers.set("content-type", &content_type);
    }
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(file);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let url = format!("/api/patients/{}/documents", js_sys::encode_uri_component(patient_id));
    let request = web_sys::Request::new_with_str_and_init(&url, &init).map_err(|_| failed())?;
    let window = web_sys::window().ok_or_else(failed)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| failed())?
        .dyn_into()
        .map_err(|_| failed())?;
    let status = response.status();
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise).await.ok().and_then(|v| v.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    let field = |key: &str| -> Option<String> {
        let json = js_sys::JSON::parse(&text).ok()?;
        js_sys::Reflect::get(&json, &key.into()).ok()?.as_string()
    };
    if status == 201 {
        let id = field("id").ok_or_else(failed)?;
        Ok((id, field("content_type").unwrap_or_default()))
    } else {
        Err(refusal(status, field("file")))
    }
}
