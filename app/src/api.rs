//! Server functions: authenticate, call one service, shape the answer for
//! the page. No business rules live here.
//!
//! Form-backed functions take the raw form struct flattened (field names are
//! the inputs' `name`s) followed by `NoExtraFields`, which refuses any field
//! the form does not have.

use crate::error::AppError;
use ambula_domain::{
    accounts::{AcceptInviteForm, ClinicProfileForm, InviteForm, LoginForm, NoExtraFields, SignupForm},
    Role,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session::{self, require_auth};
#[cfg(feature = "ssr")]
use ambula_backend::services::{accounts, auth, dashboard};

/// Who is signed in, for the app's header and navigation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeView {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub clinic_name: String,
    /// The clinic's automatic logoff, for the warning dialog.
    pub idle_timeout_minutes: u32,
    pub mfa_enabled: bool,
}

#[server(endpoint = "me")]
pub async fn me() -> Result<MeView, AppError> {
    let (_, ctx) = require_auth().await?;
    Ok(MeView {
        name: ctx.user_name,
        email: ctx.email.to_string(),
        role: ctx.role,
        clinic_name: ctx.clinic_name,
        idle_timeout_minutes: ctx.idle_timeout_minutes,
        mfa_enabled: ctx.mfa_enabled,
    })
}

/// What the sign-up form led to, for the page: signed in (and sent to the
/// app), or a link mailed to `check_email`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SignUpView {
    pub check_email: Option<String>,
}

#[server(endpoint = "sign_up")]
pub async fn sign_up(
    #[server(flatten)] form: SignupForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<SignUpView, AppError> {
    let _ = extra;
    let services = session::services()?;
    match accounts::sign_up_form(&services, &form, &session::client_info()).await? {
        accounts::SignUpAnswer::SignedIn(signed) => {
            session::set_session_cookie(&signed.token);
            leptos_axum::redirect("/app");
            Ok(SignUpView::default())
        }
        accounts::SignUpAnswer::CheckEmail(email) => Ok(SignUpView { check_email: Some(email.to_string()) }),
    }
}

/// The clinic a sign-up confirmation link would create.
#[server(endpoint = "sign_up_info")]
pub async fn sign_up_info(token: String) -> Result<String, AppError> {
    let services = session::services()?;
    Ok(accounts::sign_up_details(&services, &token).await?)
}

/// Creates the clinic of a confirmed sign-up and signs its owner in.
#[server(endpoint = "confirm_sign_up")]
pub async fn confirm_sign_up(token: String) -> Result<(), AppError> {
    let services = session::services()?;
    let signed = accounts::confirm_sign_up(&services, &token, &session::client_info()).await?;
    session::set_session_cookie(&signed.token);
    leptos_axum::redirect("/app");
    Ok(())
}

#[server(endpoint = "sign_in")]
pub async fn sign_in(
    #[server(flatten)] form: LoginForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let services = session::services()?;
    let previous = session::session_token();
    let signed = auth::login(&services, &form, &session::client_info(), previous.as_deref()).await?;
    session::set_session_cookie(&signed.token);
    leptos_axum::redirect(session::landing(signed.stage));
    Ok(())
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let services = session::services()?;
    if let Some(token) = session::session_token() {
        auth::logout(&services, &token).await?;
    }
    session::clear_session_cookie();
    leptos_axum::redirect("/sign-in");
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteView {
    pub clinic_name: String,
    pub email: String,
    pub role: Role,
    /// The signed-in person's email, if someone is signed in: the page then
    /// offers to join as them (an existing account joins only this way).
    pub signed_in_as: Option<String>,
}

#[server(endpoint = "invite_info")]
pub async fn invite_info(token: String) -> Result<InviteView, AppError> {
    let services = session::services()?;
    let details = accounts::invite_details(&services, &token).await?;
    Ok(InviteView {
        clinic_name: details.clinic_name,
        email: details.email,
        role: details.role,
        signed_in_as: session::auth_context().map(|ctx| ctx.email.to_string()),
    })
}

/// Joins the invitation's clinic as the signed-in person (password and MFA
/// already proven by their sign-in); the session moves to that clinic.
#[server(endpoint = "accept_invite_signed_in")]
pub async fn accept_invite_signed_in(token: String) -> Result<(), AppError> {
    let (services, ctx) = require_auth().await?;
    let current = session::session_token().ok_or_else(|| AppError::from(ambula_backend::ServiceError::Unauthenticated))?;
    let signed = accounts::accept_invite_signed_in(&services, &ctx, token.trim(), &current).await?;
    session::set_session_cookie(&signed.token);
    leptos_axum::redirect(session::landing(signed.stage));
    Ok(())
}

#[server(endpoint = "accept_invite")]
pub async fn accept_invite(
    #[server(flatten)] form: AcceptInviteForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<(), AppError> {
    let _ = extra;
    let services = session::services()?;
    let signed = accounts::accept_invite(&services, &form, &session::client_info()).await?;
    session::set_session_cookie(&signed.token);
    leptos_axum::redirect(session::landing(signed.stage));
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub clinic_name: String,
    pub practitioners: i64,
    pub patients: i64,
    pub appointments_today: i64,
    /// Owed on invoices; `None` for roles that may not see billing.
    pub outstanding: Option<String>,
    pub time_zone: String,
}

#[server(endpoint = "dashboard")]
pub async fn dashboard() -> Result<DashboardView, AppError> {
    let (services, ctx) = require_auth().await?;
    let figures = dashboard::figures(&services, &ctx).await?;
    Ok(DashboardView {
        clinic_name: ctx.clinic_name,
        practitioners: figures.practitioners,
        patients: figures.patients,
        appointments_today: figures.appointments_today,
        // In the currency's own exponent (JPY has none, BHD three).
        outstanding: figures.outstanding_minor.map(|minor| match ambula_domain::billing::Currency::parse(&figures.currency) {
            Ok(currency) => ambula_domain::billing::Money::new(minor, currency).to_string(),
            Err(_) => format_money(minor, &figures.currency),
        }),
        time_zone: figures.time_zone,
    })
}

/// Minor units to a display string with two decimals: the fallback for a
/// currency code missing from the shipped table.
pub fn format_money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{} {}.{:02}", currency, abs / 100, abs % 100)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicProfileData {
    pub name: String,
    pub time_zone: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub tax_number: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffRow {
    pub membership_id: String,
    /// For the audit viewer's "who" filter.
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub mfa_enabled: bool,
    pub is_me: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingInviteRow {
    pub email: String,
    pub role: Role,
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    pub staff: Vec<StaffRow>,
    pub pending: Vec<PendingInviteRow>,
    pub can_manage: bool,
}

#[cfg(feature = "ssr")]
fn profile_data(view: accounts::ClinicProfileView) -> ClinicProfileData {
    ClinicProfileData {
        name: view.name,
        time_zone: view.time_zone,
        phone: view.phone,
        email: view.email,
        address: view.address,
        tax_number: view.tax_number,
    }
}

/// The clinic profile and whether the caller may edit it.
#[server(endpoint = "clinic_profile")]
pub async fn clinic_profile() -> Result<(ClinicProfileData, bool), AppError> {
    let (services, ctx) = require_auth().await?;
    let profile = accounts::clinic_profile(&services, &ctx).await?;
    Ok((profile_data(profile), ctx.role.manages_clinic()))
}

#[server(endpoint = "staff_list")]
pub async fn staff_list() -> Result<Staff, AppError> {
    let (services, ctx) = require_auth().await?;
    let profile = accounts::clinic_profile(&services, &ctx).await?;
    let tz = ambula_domain::TimeZoneName::parse(&profile.time_zone).map(|t| t.tz()).unwrap_or(chrono_tz::UTC);
    let (staff, pending) = accounts::staff(&services, &ctx).await?;
    Ok(Staff {
        staff: staff
            .into_iter()
            .map(|s| StaffRow {
                membership_id: s.membership_id.to_string(),
                user_id: s.user_id.to_string(),
                name: s.name,
                email: s.email,
                role: s.role,
                active: s.active,
                mfa_enabled: s.mfa_enabled,
                is_me: s.membership_id == ctx.membership_id,
            })
            .collect(),
        pending: pending
            .into_iter()
            .map(|p| PendingInviteRow {
                email: p.email,
                role: p.role,
                expires: p.expires_at.with_timezone(&tz).format("%e %b %Y, %H:%M").to_string(),
            })
            .collect(),
        can_manage: ctx.role.manages_clinic(),
    })
}

#[server(endpoint = "update_clinic_profile")]
pub async fn update_clinic_profile(
    #[server(flatten)] form: ClinicProfileForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<ClinicProfileData, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    Ok(profile_data(accounts::update_clinic_profile(&services, &ctx, &form).await?))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteResult {
    pub email: String,
    pub link: String,
    pub emailed: bool,
}

#[server(endpoint = "invite_staff")]
pub async fn invite_staff(
    #[server(flatten)] form: InviteForm,
    #[server(flatten)] extra: NoExtraFields,
) -> Result<InviteResult, AppError> {
    let _ = extra;
    let (services, ctx) = require_auth().await?;
    let sent = accounts::invite(&services, &ctx, &form).await?;
    Ok(InviteResult { email: form.email.trim().to_lowercase(), link: sent.link, emailed: sent.emailed })
}
