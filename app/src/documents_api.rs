//! Server function of the chart's Documents tab: the list. Upload, download
//! and preview are plain HTTP routes (binary bodies; `server/src/documents.rs`).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentItem {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Clinic time, "2026-11-24 09:15".
    pub uploaded_at: String,
    pub uploaded_by: Option<String>,
}

impl DocumentItem {
    /// Images and PDFs get a preview (every accepted kind, today).
    pub fn previewable(&self) -> bool {
        matches!(self.content_type.as_str(), "image/png" | "image/jpeg" | "application/pdf")
    }

    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }

    pub fn kind_label(&self) -> &'static str {
        match self.content_type.as_str() {
            "application/pdf" => "PDF",
            "image/png" => "PNG image",
            "image/jpeg" => "JPEG image",
            _ => "File",
        }
    }
}

/// "12 KB", "3.4 MB".
pub fn size_text(bytes: i64) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 512) / 1024)
    } else {
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

#[server(endpoint = "documents_list")]
pub async fn documents_list(patient_id: String) -> Result<Vec<DocumentItem>, AppError> {
    let (services, ctx) = require_auth().await?;
    let zone = ambula_backend::services::accounts::clinic_profile(&services, &ctx).await?.time_zone;
    let tz = ambula_domain::TimeZoneName::parse(&zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
    let items = ambula_backend::services::documents::list(&services, &ctx, &patient_id).await?;
    Ok(items
        .into_iter()
        .map(|d| DocumentItem {
            id: d.id.to_string(),
            file_name: d.file_name,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            uploaded_at: d.created_at.0.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            uploaded_by: d.uploaded_by,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_text(900), "900 bytes");
        assert_eq!(size_text(12 * 1024 + 100), "12 KB");
        assert_eq!(size_text(3 * 1024 * 1024 + 400 * 1024), "3.4 MB");
    }
}
