//! Private iCalendar feeds: each practitioner may have one secret URL that
//! a calendar app (phone, Outlook, Google) subscribes to. It lists their
//! appointments without patient details: the type as the title, the room
//! as the place, cancellations as `STATUS:CANCELLED`. The token is shown
//! once; only its hash is stored, so a database leak does not leak feeds.
//! Rotating makes a new URL and ends the old one; revoking ends it.
//!
//! Who may manage a feed: the practitioner themself (their own staff
//! account), or an owner or administrator (`ManageClinic`).

use crate::{
    audit::{self, Actor, Entry},
    crypto,
    error::ServiceError,
    repo::{self, calendar_feeds::FeedRow},
    scope::{AuthContext, ClinicScope},
    services::scheduling::parse_id,
    time::DbTime,
    Services,
};
use ambula_domain::{ClinicId, Permission, PractitionerId};
use chrono::{DateTime, Duration, Utc};

/// A new feed. `url` contains the secret: show it once, to its owner.
#[derive(Debug, Clone)]
pub struct FeedLink {
    pub url: String,
}

/// How far back and ahead a feed reaches.
const PAST_DAYS: i64 = 30;
const FUTURE_DAYS: i64 = 400;

/// The URL path of a feed; the server routes `/calendar/feeds/{file}`.
pub fn feed_path(token: &str) -> String {
    format!("/calendar/feeds/{token}.ics")
}

/// Checks the caller may manage `practitioner_id`'s feed; another clinic's
/// practitioner (or none) is a 404, recorded like any other miss.
async fn authorize(services: &Services, ctx: &AuthContext, practitioner_id: &str, action: &'static str) -> Result<PractitionerId, ServiceError> {
    let now = services.now();
    let parsed: Result<PractitionerId, _> = parse_id(practitioner_id, "practitioner_id", "Choose a practitioner.");
    let mut tx = services.db.read_in(&ctx.scope).await?;
    let row = match &parsed {
        Ok(id) => repo::practitioners::get(&mut tx, &ctx.scope, *id).await?,
        Err(_) => None,
    };
    drop(tx);
    let Some(row) = row else {
        let mut tx = services.db.write_in(&ctx.scope).await?;
        audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), Entry::denied(action, "practitioner", practitioner_id), now).await?;
        tx.commit().await?;
        return Err(ServiceError::NotFound);
    };
    let themself = row.membership_id == Some(ctx.membership_id.as_uuid());
    if !themself && !ctx.can(Permission::ManageClinic) {
        audit::record_denial(services, ctx, action, "practitioner", practitioner_id, None).await?;
        return Err(ServiceError::Forbidden);
    }
    Ok(PractitionerId::from_uuid(row.id))
}

/// Makes a new feed URL for the practitioner, ending the previous one.
pub async fn rotate(services: &Services, ctx: &AuthContext, practitioner_id: &str) -> Result<FeedLink, ServiceError> {
    let practitioner = authorize(services, ctx, practitioner_id, "calendar_feed.create").await?;
    let token = crypto::random_token();
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let ended = repo::calendar_feeds::revoke(&mut tx, &ctx.scope, practitioner, now).await?;
    repo::calendar_feeds::insert(&mut tx, &ctx.scope, practitioner, &crypto::token_hash(&token), now).await?;
    let detail = if ended > 0 { "new feed URL; the previous one no longer works" } else { "feed URL created" };
    let entry = Entry::ok("calendar_feed.create", "practitioner", practitioner).detail(detail);
    audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(FeedLink { url: format!("{}{}", services.public_url, feed_path(&token)) })
}

/// Ends the practitioner's feed; its URL answers 404 from now on. Returns
/// whether there was one.
pub async fn revoke(services: &Services, ctx: &AuthContext, practitioner_id: &str) -> Result<bool, ServiceError> {
    let practitioner = authorize(services, ctx, practitioner_id, "calendar_feed.revoke").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let ended = repo::calendar_feeds::revoke(&mut tx, &ctx.scope, practitioner, now).await?;
    if ended > 0 {
        let entry = Entry::ok("calendar_feed.revoke", "practitioner", practitioner).detail("feed URL revoked");
        audit::record(&mut tx, &ctx.scope, &Actor::from(ctx), entry, now).await?;
    }
    tx.commit().await?;
    Ok(ended > 0)
}

/// Since when the practitioner's feed exists, if it does.
pub async fn status(services: &Services, ctx: &AuthContext, practitioner_id: &str) -> Result<Option<DbTime>, ServiceError> {
    let practitioner = authorize(services, ctx, practitioner_id, "calendar_feed.read").await?;
    let mut tx = services.db.read_in(&ctx.scope).await?;
    repo::calendar_feeds::live_since(&mut tx, &ctx.scope, practitioner).await
}

/// The feed for `token` as iCalendar text. An unknown, malformed or revoked
/// token is `NotFound`, indistinguishable from one another.
pub async fn render(services: &Services, token: &str) -> Result<String, ServiceError> {
    if token.is_empty() || token.len() > 128 || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(ServiceError::NotFound);
    }
    let hash = crypto::token_hash(token);
    let mut tx = services.db.read().await?;
    tx.with_feed_token(&hash).await?;
    let found = repo::calendar_feeds::find_live(&mut tx, &hash).await?;
    drop(tx);
    let Some((clinic, practitioner)) = found else {
        return Err(ServiceError::NotFound);
    };
    let scope = ClinicScope::new(ClinicId::from_uuid(clinic));
    let now = services.now();
    let mut tx = services.db.read_in(&scope).await?;
    let name = repo::practitioners::get(&mut tx, &scope, PractitionerId::from_uuid(practitioner))
        .await?
        .map(|p| p.name)
        .ok_or(ServiceError::NotFound)?;
    let from = DbTime::from(now.0 - Duration::days(PAST_DAYS));
    let to = DbTime::from(now.0 + Duration::days(FUTURE_DAYS));
    let rows = repo::calendar_feeds::appointments(&mut tx, &scope, practitioner, from, to).await?;
    Ok(ics(&host_of(&services.public_url), &name, now.0, &rows))
}

fn host_of(public_url: &str) -> String {
    let rest = public_url.split_once("://").map_or(public_url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// RFC 5545 TEXT escaping: backslash, semicolon, comma and newlines.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 5545 §3.1: content lines longer than 75 octets are folded (CRLF and
/// one space), never inside a UTF-8 character. Each line ends with CRLF.
pub fn fold_line(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            // The leading space counts towards the next line's 75.
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// The calendar, built from the feed rows.
pub fn ics(host: &str, practitioner: &str, now: DateTime<Utc>, rows: &[FeedRow]) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Ambula//Calendar feed//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape_text(&format!("Appointments: {practitioner}"))),
        "REFRESH-INTERVAL;VALUE=DURATION:PT15M".into(),
        "X-PUBLISHED-TTL:PT15M".into(),
    ];
    for row in rows {
        let cancelled = matches!(row.status.as_str(), "cancelled" | "late_cancelled");
        lines.push("BEGIN:VEVENT".into());
        // Stable across renders and moves: the appointment's own id.
        lines.push(format!("UID:{}@{}", row.id, host));
        lines.push(format!("DTSTAMP:{}", stamp(now)));
        lines.push(format!("LAST-MODIFIED:{}", stamp(row.updated_at.0)));
        lines.push(format!("SEQUENCE:{}", row.version.max(0)));
        lines.push(format!("DTSTART:{}", stamp(row.starts_at.0)));
        lines.push(format!("DTEND:{}", stamp(row.ends_at.0)));
        lines.push(format!("SUMMARY:{}", escape_text(&row.type_name)));
        if let Some(room) = &row.room_name {
            lines.push(format!("LOCATION:{}", escape_text(room)));
        }
        lines.push(format!("STATUS:{}", if cancelled { "CANCELLED" } else { "CONFIRMED" }));
        lines.push("TRANSP:OPAQUE".into());
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in &lines {
        fold_line(line, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(60));
        fold_line(&line, &mut out);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets: {physical:?}", physical.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn host_is_taken_from_the_public_url() {
        assert_eq!(host_of("https://clinic.example/"), "clinic.example");
        assert_eq!(host_of("http://127.0.0.1:3000"), "127.0.0.1:3000");
    }
}
