//! Server functions of the trust layer: the MFA step and set-up, password
//! change and reset, sessions, clinic switching, staff management, security
//! settings and events, the audit viewer, and patients with break-glass.
//! Each authenticates, calls one service and shapes the answer.

use crate::error::AppError;
use ambula_domain::{
    accounts::NoExtraFields,
    patients::{PatientForm, PatientSearchForm},
    security::{
        AuditFilterForm, BreakGlassForm, ChangePasswordForm, MemberForm, MfaCodeForm, ResetPasswordForm,
        ResetRequestForm, RoleChangeForm, SecuritySettingsForm,
    },
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::{self, require_auth};
#[cfg(feature = "ssr")]
use ambula_backend::services::{audit_log, auth, mfa, patients, staff};

#[cfg(feature = "ssr")]
fn token() -> Result<String, AppError> {
    // `ok_or_else`: building an AppError sets the response's status, so an
    // eager `ok_or` answered 401 even when the token was there.
    session::session_token().ok_or_else(|| AppError::from(ambula_backend::ServiceError::Unauthenticated))
}

/// Formats a UTC time in the viewer's clinic time zone.
#[cfg(feature = "ssr")]
fn local(time: ambula_backend::time::DbTime, tz: &str) -> String {
    let tz = ambula_domain::TimeZoneName::parse(tz).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
    time.0.with_timezone(&tz).format("%e %b %Y, %H:%M").to_string().trim().to_owned()
}

#[cfg(feature = "ssr")]
async fn clinic_tz(services: &ambula_backend::Services, ctx: &ambula_backend::AuthContext) -> Result<String, AppError> {
    Ok(ambula_backend::services::accounts::clinic_profile(services, ctx).await?.time_zone)
}

// ---- The MFA step of sign-in, and MFA set-up ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingView {
    pub email: String,
    pub clinic_name: String,
    /// "mfa" (enter a code) or "enrol" (set MFA up first).
    pub stage: String,
}

#[server(endpoint = "pending_sign_in")]
pub async fn pending_sign_in() -> Result<PendingView, AppError> {
    let services = session::services()?;
    let pending = auth::pending(&services, &token()?).await?;
    session::no_store();
    Ok(PendingView { email: pending.email, clinic_name: pending.clinic_name, stage: pending.stage.as_str().to_owned() })
}

#[server(endpoint = "verify_mfa")]
pub async fn verify_mfa(
    #[server(flatten)] form: MfaCodeForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let services = session::services()?;
    let signed = auth::verify_mfa(&services, &token()?, &form, &session::client_info()).await?;
    session::set_session_cookie(&signed.token);
    leptos_axum::redirect("/app");
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolmentView {
    pub manual_key: String,
    pub otpauth_url: String,
    /// Server-rendered SVG of the QR code (no script; built by us).
    pub qr_svg: String,
}

#[cfg(feature = "ssr")]
async fn enrollee() -> Result<mfa::Enrollee, AppError> {
    let services = session::services()?;
    // Not `require_auth`: its error would set a 401 on the response even
    // though a sign-in in progress is a valid enrollee too.
    if let Some(ctx) = session::auth_context() {
        return Ok(mfa::Enrollee::from_context(&ctx));
    }
    Ok(mfa::Enrollee::from_pending(&services, &token()?, &session::client_info()).await?)
}

#[server(endpoint = "mfa_begin")]
pub async fn mfa_begin() -> Result<EnrolmentView, AppError> {
    let services = session::services()?;
    let who = enrollee().await?;
    session::no_store();
    let e = mfa::start(&services, &who).await?;
    Ok(EnrolmentView { manual_key: e.manual_key, otpauth_url: e.otpauth_url, qr_svg: e.qr_svg })
}

#[server(endpoint = "mfa_confirm")]
pub async fn mfa_confirm(
    #[server(flatten)] form: MfaCodeForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<Vec<String>, AppError> {
    let _ = extra;
    let services = session::services()?;
    let who = enrollee().await?;
    let (codes, new_token) = mfa::confirm(&services, &who, &form, &token()?).await?;
    if let Some(token) = new_token {
        session::set_session_cookie(&token);
    }
    session::no_store();
    Ok(codes)
}

#[server(endpoint = "mfa_disable")]
pub async fn mfa_disable(password: String, code: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    Ok(mfa::disable(&services, &ctx, &password, &MfaCodeForm { code }).await?)
}

// ---- Passwords ----

#[server(endpoint = "change_password")]
pub async fn change_password(
    #[server(flatten)] form: ChangePasswordForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let signed = auth::change_password(&services, &ctx, &form).await?;
    session::set_session_cookie(&signed.token);
    Ok(())
}

#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(
    #[server(flatten)] form: ResetRequestForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let services = session::services()?;
    Ok(auth::request_password_reset(&services, &form, &session::client_info()).await?)
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(
    #[server(flatten)] form: ResetPasswordForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let services = session::services()?;
    auth::reset_password(&services, &form, &session::client_info()).await?;
    session::clear_session_cookie();
    Ok(())
}

// ---- Sessions and clinics ----

#[server(endpoint = "keep_alive")]
pub async fn keep_alive() -> Result<(), AppError> {
    let services = session::services()?;
    Ok(auth::keep_alive(&services, &token()?).await?)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub handle: String,
    pub clinic: String,
    pub started: String,
    pub last_seen: String,
    pub ip: String,
    pub device: String,
    pub current: bool,
}

#[server(endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<SessionView>, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    Ok(auth::sessions(&services, &ctx)
        .await?
        .into_iter()
        .map(|s| SessionView {
            handle: s.handle.to_string(),
            clinic: s.clinic_name,
            started: local(s.created_at, &tz),
            last_seen: local(s.last_seen_at, &tz),
            ip: s.ip.unwrap_or_default(),
            device: s.user_agent.unwrap_or_default(),
            current: s.handle == ctx.session,
        })
        .collect())
}

#[server(endpoint = "revoke_session")]
pub async fn revoke_session(handle: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    let handle = ambula_domain::parse_uuid(&handle).map_err(|_| AppError::from(ambula_backend::ServiceError::NotFound))?;
    Ok(auth::revoke_session(&services, &ctx, handle).await?)
}

#[server(endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    auth::sign_out_everywhere(&services, &ctx).await?;
    session::clear_session_cookie();
    leptos_axum::redirect("/sign-in");
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicChoice {
    pub id: String,
    pub name: String,
    pub role: ambula_domain::Role,
    pub current: bool,
}

#[server(endpoint = "my_clinics")]
pub async fn my_clinics() -> Result<Vec<ClinicChoice>, AppError> {
    let (services, ctx) = require_auth().await?;
    let current = ctx.scope.clinic_id().as_uuid();
    Ok(ambula_backend::services::accounts::clinics_of(&services, &ctx)
        .await?
        .into_iter()
        .map(|(id, name, role)| ClinicChoice { id: id.to_string(), name, role, current: id == current })
        .collect())
}

#[server(endpoint = "switch_clinic")]
pub async fn switch_clinic(clinic_id: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    let clinic = ambula_domain::parse_uuid(&clinic_id).map_err(|_| AppError::from(ambula_backend::ServiceError::NotFound))?;
    let signed = auth::switch_clinic(&services, &ctx, &token()?, clinic).await?;
    session::set_session_cookie(&signed.token);
    leptos_axum::redirect(session::landing(signed.stage));
    Ok(())
}

// ---- Security events ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEventView {
    pub at: String,
    pub kind: String,
    pub person: String,
    pub ip: String,
    pub device: String,
    pub detail: String,
}

#[cfg(feature = "ssr")]
fn event_views(rows: Vec<ambula_backend::repo::security_events::EventRow>, tz: &str) -> Vec<SecurityEventView> {
    rows.into_iter()
        .map(|e| SecurityEventView {
            at: local(e.at, tz),
            kind: e.kind,
            person: e.user_name.unwrap_or_default(),
            ip: e.ip.unwrap_or_default(),
            device: e.user_agent.unwrap_or_default(),
            detail: e.detail.unwrap_or_default(),
        })
        .collect()
}

#[server(endpoint = "my_security_events")]
pub async fn my_security_events() -> Result<Vec<SecurityEventView>, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    Ok(event_views(ambula_backend::services::accounts::my_security_events(&services, &ctx).await?, &tz))
}

#[server(endpoint = "clinic_security_events")]
pub async fn clinic_security_events() -> Result<Vec<SecurityEventView>, AppError> {
    let (services, ctx) = require_auth().await?;
    let tz = clinic_tz(&services, &ctx).await?;
    Ok(event_views(ambula_backend::services::accounts::clinic_security_events(&services, &ctx).await?, &tz))
}

// ---- Clinic security settings and staff management ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecuritySettingsView {
    pub require_mfa: bool,
    pub idle_timeout_minutes: i32,
    pub break_glass_minutes: i32,
    pub can_edit: bool,
}

#[server(endpoint = "security_settings")]
pub async fn security_settings() -> Result<SecuritySettingsView, AppError> {
    let (services, ctx) = require_auth().await?;
    let s = staff::security_settings(&services, &ctx).await?;
    Ok(SecuritySettingsView {
        require_mfa: s.require_mfa,
        idle_timeout_minutes: s.idle_timeout_minutes,
        break_glass_minutes: s.break_glass_minutes,
        can_edit: ctx.can(ambula_domain::Permission::ManageClinic),
    })
}

#[server(endpoint = "update_security_settings")]
pub async fn update_security_settings(
    #[server(flatten)] form: SecuritySettingsForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<SecuritySettingsView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let s = staff::update_security_settings(&services, &ctx, &form).await?;
    Ok(SecuritySettingsView {
        require_mfa: s.require_mfa,
        idle_timeout_minutes: s.idle_timeout_minutes,
        break_glass_minutes: s.break_glass_minutes,
        can_edit: true,
    })
}

#[server(endpoint = "change_staff_role")]
pub async fn change_staff_role(
    #[server(flatten)] form: RoleChangeForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(staff::change_role(&services, &ctx, &form).await?)
}

#[server(endpoint = "deactivate_staff")]
pub async fn deactivate_staff(
    #[server(flatten)] form: MemberForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(staff::set_active(&services, &ctx, &form, false).await?)
}

#[server(endpoint = "reactivate_staff")]
pub async fn reactivate_staff(
    #[server(flatten)] form: MemberForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(staff::set_active(&services, &ctx, &form, true).await?)
}

#[server(endpoint = "reset_staff_mfa")]
pub async fn reset_staff_mfa(
    #[server(flatten)] form: MemberForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(staff::reset_mfa(&services, &ctx, &form).await?)
}

// ---- Audit trail ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub patient: String,
    pub record: String,
    pub ip: String,
    pub break_glass: bool,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// "intact (N entries)" or where the chain breaks.
    pub chain: String,
    pub chain_ok: bool,
}

#[server(endpoint = "audit_entries")]
pub async fn audit_entries(
    #[server(flatten)] form: AuditFilterForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<AuditPage, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let rows = audit_log::search(&services, &ctx, &form).await?;
    let tz = clinic_tz(&services, &ctx).await?;
    let (chain, chain_ok) = match audit_log::verify_own(&services, &ctx).await? {
        Ok(n) => (format!("Intact: {n} entries, each chained to the one before."), true),
        Err(b) => (format!("Broken at entry {}: {}", b.seq, b.reason), false),
    };
    Ok(AuditPage {
        rows: rows
            .into_iter()
            .map(|e| AuditRow {
                seq: e.seq,
                at: local(e.at, &tz),
                actor: e.actor_name,
                action: e.action,
                outcome: e.outcome,
                patient: e.patient_id.map(|p| p.to_string()).unwrap_or_default(),
                record: format!("{} {}", e.entity, e.entity_id.unwrap_or_default()).trim().to_owned(),
                ip: e.ip.unwrap_or_default(),
                break_glass: e.break_glass,
                detail: e.detail.unwrap_or_default(),
            })
            .collect(),
        chain,
        chain_ok,
    })
}

// ---- Patients (the registry's core; the chart issue builds on it) ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientRowView {
    pub id: String,
    pub mrn: String,
    /// None for a restricted record the user may not open.
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
    pub restricted: bool,
}

#[server(endpoint = "patient_search")]
pub async fn patient_search(
    #[server(flatten)] form: PatientSearchForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<Vec<PatientRowView>, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(patients::search(&services, &ctx, &form)
        .await?
        .into_iter()
        .map(|p| PatientRowView {
            id: p.id.to_string(),
            mrn: p.mrn,
            name: p.name,
            date_of_birth: p.date_of_birth.map(|d| d.to_string()),
            restricted: p.restricted,
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientDetailView {
    pub id: String,
    pub mrn: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub phone: String,
    pub email: String,
    pub restricted: bool,
    /// Opened through break-glass: until when (clinic time).
    pub break_glass_until: Option<String>,
}

#[cfg(feature = "ssr")]
fn detail_view(p: patients::PatientView, tz: &str) -> PatientDetailView {
    PatientDetailView {
        id: p.id.to_string(),
        mrn: p.mrn,
        given_name: p.given_name,
        family_name: p.family_name,
        date_of_birth: p.date_of_birth.to_string(),
        phone: p.phone.unwrap_or_default(),
        email: p.email.unwrap_or_default(),
        restricted: p.restricted,
        break_glass_until: p.break_glass_until.map(|t| local(t, tz)),
    }
}

#[server(endpoint = "patient_get")]
pub async fn patient_get(id: String) -> Result<PatientDetailView, AppError> {
    let (services, ctx) = require_auth().await?;
    let patient = patients::get(&services, &ctx, &id).await?;
    Ok(detail_view(patient, &clinic_tz(&services, &ctx).await?))
}

#[server(endpoint = "patient_create")]
pub async fn patient_create(
    #[server(flatten)] form: PatientForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<PatientDetailView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let patient = patients::create(&services, &ctx, &form).await?;
    Ok(detail_view(patient, &clinic_tz(&services, &ctx).await?))
}

#[server(endpoint = "patient_update")]
pub async fn patient_update(
    id: String,
    #[server(flatten)] form: PatientForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<PatientDetailView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let patient = patients::update(&services, &ctx, &id, &form).await?;
    Ok(detail_view(patient, &clinic_tz(&services, &ctx).await?))
}

#[server(endpoint = "break_glass")]
pub async fn break_glass(
    #[server(flatten)] form: BreakGlassForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<PatientDetailView, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let patient = patients::break_glass(&services, &ctx, &form).await?;
    Ok(detail_view(patient, &clinic_tz(&services, &ctx).await?))
}
