//! Server function for the scheduling dashboard: counts and rates only.

use crate::error::AppError;
use ambula_domain::scheduling::insights::Summary;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::scheduling::insights;

/// `from` and `to` are local dates (YYYY-MM-DD); both empty: the last 30 days.
#[server(endpoint = "scheduling_insights")]
pub async fn scheduling_insights(from: String, to: String) -> Result<Summary, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(insights::summary(&services, &ctx, &from, &to).await?)
}
