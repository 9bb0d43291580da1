//! Server functions for practitioners' private calendar feeds: whether one
//! exists, make a new URL (ending the previous one), revoke it. Each
//! authenticates and calls one service (`calendar_feed`), which checks that
//! the caller is the practitioner themself or an owner/administrator.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::calendar_feed;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedStatusView {
    /// When the live feed was made (UTC, RFC 3339), if there is one.
    pub since: Option<String>,
}

/// The new feed URL. It is a secret: shown once, to the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedLinkView {
    pub url: String,
}

#[server(endpoint = "calendar_feed_status")]
pub async fn calendar_feed_status(practitioner_id: String) -> Result<FeedStatusView, AppError> {
    let (services, ctx) = require_auth().await?;
    let since = calendar_feed::status(&services, &ctx, &practitioner_id).await?;
    Ok(FeedStatusView { since: since.map(|t| t.0.format("%Y-%m-%dT%H:%M:%SZ").to_string()) })
}

#[server(endpoint = "calendar_feed_rotate")]
pub async fn calendar_feed_rotate(practitioner_id: String) -> Result<FeedLinkView, AppError> {
    let (services, ctx) = require_auth().await?;
    let link = calendar_feed::rotate(&services, &ctx, &practitioner_id).await?;
    Ok(FeedLinkView { url: link.url })
}

#[server(endpoint = "calendar_feed_revoke")]
pub async fn calendar_feed_revoke(practitioner_id: String) -> Result<bool, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(calendar_feed::revoke(&services, &ctx, &practitioner_id).await?)
}
