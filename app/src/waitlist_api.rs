//! Server functions of the waitlist screen (`/app/calendar/waitlist`): the
//! entries, the slots freed by cancellations with the entries they suit,
//! adding and removing an entry, and booking an entry into a slot in one
//! step. Each authenticates and calls one scheduling service (`waitlist`).

use crate::error::AppError;
use ambula_domain::{
    accounts::NoExtraFields,
    scheduling::{WaitlistBookForm, WaitlistForm},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::require_auth;
#[cfg(feature = "ssr")]
use ambula_backend::services::scheduling::waitlist;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    pub id: String,
    pub patient_id: String,
    /// "Family, Given", or "Restricted record <MRN>" for a record the
    /// caller may not open.
    pub patient_name: String,
    pub type_id: String,
    pub type_name: String,
    /// Empty: any practitioner who delivers the type.
    pub practitioner_id: String,
    /// Local dates ("2026-03-10").
    pub earliest: String,
    pub latest: String,
    pub note: String,
    /// Added on (UTC date).
    pub added: String,
    /// Set once a freed slot was offered to this patient.
    pub offered: bool,
}

/// A cancelled appointment's slot, still free, and who it suits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreedSlot {
    pub appointment_id: String,
    pub practitioner_id: String,
    pub practitioner_name: String,
    /// Empty when it had no room.
    pub room_id: String,
    pub room_name: String,
    pub type_name: String,
    pub date: String,
    pub start: String,
    pub end: String,
    /// "Tue 10 Mar, 09:30–10:00 · Dr Silva · Room 1".
    pub label: String,
    pub offers: Vec<WaitlistEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitlistBooked {
    pub patient_name: String,
    pub date: String,
    pub start: String,
    pub practitioner_name: String,
}

#[cfg(feature = "ssr")]
fn entry(view: waitlist::WaitlistEntryView) -> WaitlistEntry {
    WaitlistEntry {
        id: view.id.to_string(),
        patient_id: view.patient_id.to_string(),
        patient_name: view.patient_name,
        type_id: view.type_id.to_string(),
        type_name: view.type_name,
        practitioner_id: view.practitioner_id.map(|p| p.to_string()).unwrap_or_default(),
        earliest: view.earliest.to_string(),
        latest: view.latest.to_string(),
        note: view.note.unwrap_or_default(),
        added: view.created_at.0.date_naive().to_string(),
        offered: view.offered_appointment_id.is_some(),
    }
}

/// Everyone waiting, oldest request first.
#[server(endpoint = "waitlist_entries")]
pub async fn waitlist_entries() -> Result<Vec<WaitlistEntry>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(waitlist::list_waitlist(&services, &ctx).await?.into_iter().map(entry).collect())
}

/// Slots freed by cancellations (next 60 days) that suit someone waiting.
#[server(endpoint = "waitlist_freed_slots")]
pub async fn waitlist_freed_slots() -> Result<Vec<FreedSlot>, AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(waitlist::freed_slots(&services, &ctx)
        .await?
        .into_iter()
        .map(|s| {
            let room = s.room_name.as_ref().map(|r| format!(" · {r}")).unwrap_or_default();
            FreedSlot {
                appointment_id: s.appointment_id.to_string(),
                practitioner_id: s.practitioner_id.to_string(),
                label: format!(
                    "{}–{} · {} · {}{room}",
                    s.local_start.format("%a %-d %b, %H:%M"),
                    s.local_end.format("%H:%M"),
                    s.type_name,
                    s.practitioner_name
                ),
                practitioner_name: s.practitioner_name,
                room_id: s.room_id.map(|r| r.to_string()).unwrap_or_default(),
                room_name: s.room_name.unwrap_or_default(),
                type_name: s.type_name,
                date: s.local_start.date().to_string(),
                start: s.local_start.format("%H:%M").to_string(),
                end: s.local_end.format("%H:%M").to_string(),
                offers: s.offers.into_iter().map(entry).collect(),
            }
        })
        .collect())
}

#[server(endpoint = "waitlist_add")]
pub async fn waitlist_add(
    #[server(flatten)] form: WaitlistForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<WaitlistEntry, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(entry(waitlist::add_to_waitlist(&services, &ctx, &form).await?))
}

#[server(endpoint = "waitlist_remove")]
pub async fn waitlist_remove(waitlist_id: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(waitlist::remove_from_waitlist(&services, &ctx, &waitlist_id).await?)
}

/// Books entry `waitlist_id`'s patient into a slot and takes them off the
/// waitlist (one transaction).
#[server(endpoint = "waitlist_book")]
pub async fn waitlist_book(
    waitlist_id: String,
    #[server(flatten)] form: WaitlistBookForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<WaitlistBooked, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let a = waitlist::book_from_waitlist(&services, &ctx, &waitlist_id, &form).await?;
    Ok(WaitlistBooked {
        patient_name: a.patient_name,
        date: a.local_start.date().to_string(),
        start: a.local_start.format("%H:%M").to_string(),
        practitioner_name: a.practitioner_name,
    })
}
