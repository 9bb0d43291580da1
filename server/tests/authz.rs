//! The authorization matrix, generated from the router: every registered
//! server function and every data route must appear in `SPECS`, or the test
//! fails (a new route cannot ship unchecked). Each route is probed signed
//! out (401); each route that takes an id is probed with another clinic's
//! id (404, that clinic's row unchanged) and by a same-clinic role without
//! the permission (403, row unchanged). On SQLite and PostgreSQL.

use ambula_testkit::{Kind, SmtpSink, TestDb};
use reqwest::{header, redirect::Policy, Client, StatusCode};
use serde_json::Value;
use server::config::{Config, FileConfig};
use std::collections::{BTreeSet, HashMap};

mod sqlite {
    #[tokio::test]
    async fn every_route_is_in_the_matrix_and_denies_correctly() {
        super::run(ambula_testkit::Kind::Sqlite, super::every_route_is_in_the_matrix_and_denies_correctly).await
    }
}
mod postgres {
    #[tokio::test]
    async fn every_route_is_in_the_matrix_and_denies_correctly() {
        super::run(ambula_testkit::Kind::Postgres, super::every_route_is_in_the_matrix_and_denies_correctly).await
    }
}

/// What a route is, for the probes.
#[derive(Clone, Copy, Debug)]
enum Kind2 {
    /// No session needed (sign-in, sign-up, invitations, password reset).
    Public,
    /// Needs a session (401 without), takes no record id.
    Signed,
    /// Takes a record id: probed across clinics and roles.
    Id(Target),
    /// Authorized by a secret in the URL alone, no session (calendar
    /// feeds): an unknown token is 404 signed out and signed in alike.
    Token,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Patient,
    Member,
    Session,
    Clinic,
    Document,
    Practitioner,
    Appointment,
    Waitlist,
    Note,
    Problem,
    Allergy,
    Medication,
    Referral,
    LabOrder,
    Invoice,
    Payment,
}

struct Spec {
    path: &'static str,
    kind: Kind2,
    /// A same-clinic role that lacks the permission (403 probe), if any.
    forbidden_for: Option<&'static str>,
    /// A well-formed body; `{id}` is replaced with the probed id.
    form: &'static [(&'static str, &'static str)],
}

const TYPE_FORM: &[(&str, &str)] = &[("name", "Check-up"), ("duration_minutes", "30"), ("colour", "#1d4ed8")];
const PATIENT_FORM: &[(&str, &str)] = &[("id", "{id}"), ("given_name", "Eve"), ("family_name", "Changed"), ("date_of_birth", "1990-01-01"), ("phone", ""), ("email", "")];

/// A well-formed move: the service parses the form before it looks the
/// appointment up, so a malformed one would stop at 422 instead.
const MOVE_FORM: &[(&str, &str)] = &[("id", "{id}"), ("date", "2030-03-13"), ("time", "10:00"), ("expected_version", "1")];

/// The medications tab's forms, complete (a missing field is a 400 before
/// any check), with `{id}` for the patient or record probed.
const RX_FORM: &[(&str, &str)] = &[
    ("patient_id", "{id}"), ("drug", "Paracetamol"), ("dose", "1"), ("dose_unit", "tablet"), ("route", "oral"),
    ("frequency", "once_daily"), ("quantity", "10"), ("start_date", "2026-11-01"),
];
const CHANGE_FORM: &[(&str, &str)] = &[
    ("medication_id", "{id}"), ("change_reason", "dose too low"), ("drug", "Paracetamol"), ("dose", "2"), ("dose_unit", "tablet"),
    ("route", "oral"), ("frequency", "once_daily"), ("quantity", "10"), ("start_date", "2026-11-01"),
];
const ALLERGY_FORM: &[(&str, &str)] = &[("patient_id", "{id}"), ("substance", "Latex"), ("severity", "mild"), ("kind", "allergy")];
const IMMUNIZATION_FORM: &[(&str, &str)] = &[("patient_id", "{id}"), ("vaccine", "Influenza"), ("given_on", "2026-01-05"), ("site", "left_arm")];
const REFERRAL_FORM: &[(&str, &str)] = &[("patient_id", "{id}"), ("to_name", "Dr Mota"), ("reason", "Persistent rash"), ("urgency", "routine")];

const SPECS: &[Spec] = &[
    // Public entry points.
    Spec { path: "/api/sign_up", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/sign_in", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/sign_out", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/invite_info", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/accept_invite", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/accept_invite_signed_in", kind: Kind2::Signed, forbidden_for: None, form: &[("token", "not-a-real-invitation")] },
    Spec { path: "/api/request_password_reset", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/reset_password", kind: Kind2::Public, forbidden_for: None, form: &[] },
    // The MFA step: only a password-accepted session (401 otherwise).
    Spec { path: "/api/pending_sign_in", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/verify_mfa", kind: Kind2::Signed, forbidden_for: None, form: &[("code", "123456")] },
    Spec { path: "/api/mfa_begin", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/mfa_confirm", kind: Kind2::Signed, forbidden_for: None, form: &[("code", "123456")] },
    // Signed-in, no record id.
    Spec { path: "/api/me", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/dashboard", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/clinic_profile", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/staff_list", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/update_clinic_profile", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("name", "Renamed"), ("time_zone", "UTC"), ("phone", ""), ("email", ""), ("address", ""), ("tax_number", "")] },
    Spec { path: "/api/invite_staff", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("email", "new@a.example"), ("role", "nurse")] },
    Spec { path: "/api/mfa_disable", kind: Kind2::Signed, forbidden_for: None, form: &[("password", "x"), ("code", "123456")] },
    Spec { path: "/api/change_password", kind: Kind2::Signed, forbidden_for: None, form: &[("current_password", "x"), ("new_password", "a long new password")] },
    Spec { path: "/api/keep_alive", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/my_sessions", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/sign_out_everywhere", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/my_clinics", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/my_security_events", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/clinic_security_events", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[] },
    Spec { path: "/api/security_settings", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/update_security_settings", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("idle_timeout_minutes", "10"), ("break_glass_minutes", "30")] },
    Spec { path: "/api/audit_entries", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[] },
    Spec { path: "/api/scheduling_insights", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("from", ""), ("to", "")] },
    Spec { path: "/api/patient_search", kind: Kind2::Signed, forbidden_for: None, form: &[("q", "")] },
    Spec { path: "/api/patient_create", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("given_name", "New"), ("family_name", "Patient"), ("date_of_birth", "1990-01-01")] },
    // The calendar: billing has no `Schedule`.
    Spec { path: "/api/calendar_day", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("date", "2030-03-12"), ("by", "practitioner")] },
    Spec { path: "/api/calendar_month", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("year", "2030"), ("month", "3")] },
    Spec { path: "/api/calendar_day_live", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("date", "2030-03-12"), ("by", "practitioner")] },
    Spec { path: "/api/calendar_month_live", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("year", "2030"), ("month", "3")] },
    Spec { path: "/api/appointment_book", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("patient_id", ""), ("practitioner_id", ""), ("type_id", ""), ("date", "2030-03-12"), ("time", "11:00")] },
    Spec { path: "/api/next_available", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("type_id", ""), ("practitioner_id", ""), ("from", "2030-03-12")] },
    Spec { path: "/api/appointment_types", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    Spec { path: "/api/rooms_list", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    Spec { path: "/api/practitioners_list", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    // Record ids.
    Spec { path: "/api/calendar_week", kind: Kind2::Id(Target::Practitioner), forbidden_for: Some("billing"), form: &[("practitioner_id", "{id}"), ("date", "2030-03-11")] },
    Spec { path: "/api/calendar_week_live", kind: Kind2::Id(Target::Practitioner), forbidden_for: Some("billing"), form: &[("practitioner_id", "{id}"), ("date", "2030-03-11")] },
    Spec { path: "/api/appointment_reschedule", kind: Kind2::Id(Target::Appointment), forbidden_for: Some("billing"), form: MOVE_FORM },
    Spec { path: "/api/appointment_status", kind: Kind2::Id(Target::Appointment), forbidden_for: Some("billing"), form: &[("id", "{id}"), ("status", "arrived")] },
    Spec { path: "/api/patient_get", kind: Kind2::Id(Target::Patient), forbidden_for: None, form: &[("id", "{id}")] },
    Spec { path: "/api/patient_update", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: PATIENT_FORM },
    Spec { path: "/api/break_glass", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("reason", "emergency: unconscious, need allergies")] },
    Spec { path: "/api/change_staff_role", kind: Kind2::Id(Target::Member), forbidden_for: Some("nurse"), form: &[("membership_id", "{id}"), ("role", "billing")] },
    Spec { path: "/api/deactivate_staff", kind: Kind2::Id(Target::Member), forbidden_for: Some("nurse"), form: &[("membership_id", "{id}")] },
    Spec { path: "/api/reactivate_staff", kind: Kind2::Id(Target::Member), forbidden_for: Some("nurse"), form: &[("membership_id", "{id}")] },
    Spec { path: "/api/reset_staff_mfa", kind: Kind2::Id(Target::Member), forbidden_for: Some("nurse"), form: &[("membership_id", "{id}")] },
    Spec { path: "/api/revoke_session", kind: Kind2::Id(Target::Session), forbidden_for: None, form: &[("handle", "{id}")] },
    Spec { path: "/api/switch_clinic", kind: Kind2::Id(Target::Clinic), forbidden_for: None, form: &[("clinic_id", "{id}")] },
    // Calendar feeds: the practitioner themself or an owner/administrator.
    Spec { path: "/api/calendar_feed_status", kind: Kind2::Id(Target::Practitioner), forbidden_for: Some("nurse"), form: &[("practitioner_id", "{id}")] },
    Spec { path: "/api/calendar_feed_rotate", kind: Kind2::Id(Target::Practitioner), forbidden_for: Some("nurse"), form: &[("practitioner_id", "{id}")] },
    Spec { path: "/api/calendar_feed_revoke", kind: Kind2::Id(Target::Practitioner), forbidden_for: Some("nurse"), form: &[("practitioner_id", "{id}")] },
    // Data routes outside the server functions.
    // Calendar set-up: ManageClinic to change; the lists need Schedule.
    // Room, type and time-off ids have no cross-clinic probe target here;
    // the services look them up inside the caller's clinic (scheduling tests).
    Spec { path: "/api/setup_practitioners", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[] },
    Spec { path: "/api/setup_schedule", kind: Kind2::Signed, forbidden_for: None, form: &[] },
    Spec { path: "/api/setup_save_schedule", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("grid_minutes", "15"), ("hours_mon", "09:00-17:00")] },
    Spec { path: "/api/setup_rooms", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    Spec { path: "/api/setup_add_room", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("name", "Room 9")] },
    Spec { path: "/api/setup_rename_room", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("room_id", "00000000-0000-7000-8000-000000000000"), ("name", "Room 9")] },
    Spec { path: "/api/setup_set_room_active", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("room_id", "00000000-0000-7000-8000-000000000000"), ("active", "false")] },
    Spec { path: "/api/setup_types", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    Spec { path: "/api/setup_add_type", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: TYPE_FORM },
    Spec { path: "/api/setup_update_type", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("type_id", "00000000-0000-7000-8000-000000000000"), ("practitioners", ""), ("name", "Check-up"), ("duration_minutes", "30"), ("colour", "#1d4ed8")] },
    Spec { path: "/api/setup_set_type_active", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("type_id", "00000000-0000-7000-8000-000000000000"), ("active", "false")] },
    Spec { path: "/api/setup_practitioner_hours", kind: Kind2::Id(Target::Practitioner), forbidden_for: Some("billing"), form: &[("practitioner_id", "{id}")] },
    Spec { path: "/api/setup_save_practitioner_hours", kind: Kind2::Id(Target::Practitioner), forbidden_for: Some("nurse"), form: &[("practitioner_id", "{id}"), ("hours_mon", "09:00-17:00")] },
    Spec { path: "/api/setup_time_off", kind: Kind2::Id(Target::Practitioner), forbidden_for: Some("nurse"), form: &[("practitioner_id", "{id}")] },
    // Another clinic's practitioner is a field error here (the form's
    // picker), not a 404: see `add_time_off`.
    Spec { path: "/api/setup_add_time_off", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("kind", "leave"), ("practitioner_id", "00000000-0000-7000-8000-000000000000"), ("from_date", "2030-01-01"), ("to_date", "2030-01-02")] },
    Spec { path: "/api/setup_remove_time_off", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("time_off_id", "00000000-0000-7000-8000-000000000000")] },
    Spec { path: "/api/setup_reminders", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    Spec { path: "/api/setup_save_reminders", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("offsets", "24h"), ("email", "on")] },
    Spec { path: "GET /api/audit.csv", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[] },
    Spec { path: "POST /api/patients/{id}/documents", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[] },
    Spec { path: "GET /api/documents/{id}", kind: Kind2::Id(Target::Document), forbidden_for: Some("billing"), form: &[] },
    // The live calendar stream (server-sent events): whoever may see the calendar.
    Spec { path: "GET /api/live/calendar", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    Spec { path: "GET /calendar/feeds/{file}", kind: Kind2::Token, forbidden_for: None, form: &[] },
    // The waitlist screen: Schedule (billing lacks it). Another clinic's
    // patient or type in `waitlist_add` is a field error, as in booking.
    Spec { path: "/api/waitlist_entries", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    Spec { path: "/api/waitlist_freed_slots", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    Spec { path: "/api/waitlist_add", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("patient_id", ""), ("type_id", ""), ("earliest", "2030-03-12"), ("latest", "2030-03-20")] },
    Spec { path: "/api/waitlist_remove", kind: Kind2::Id(Target::Waitlist), forbidden_for: Some("billing"), form: &[("waitlist_id", "{id}")] },
    Spec { path: "/api/waitlist_book", kind: Kind2::Id(Target::Waitlist), forbidden_for: Some("billing"), form: &[("waitlist_id", "{id}"), ("practitioner_id", ""), ("date", "2030-03-19"), ("time", "10:00")] },
    // A patient's reminder choices: anyone who sees patients reads them;
    // changing them needs EditPatients (billing lacks it).
    Spec { path: "/api/patient_reminders", kind: Kind2::Id(Target::Patient), forbidden_for: None, form: &[("patient_id", "{id}")] },
    Spec { path: "/api/patient_reminders_save", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: &[("patient_id", "{id}"), ("email", "on")] },
    // The patient registry (app/src/registry_api.rs). A merge names two
    // records; probed with the other clinic's (or the role's own) record
    // as the one kept, the duplicate an id that exists nowhere.
    Spec { path: "/api/registry_search", kind: Kind2::Signed, forbidden_for: None, form: &[("q", ""), ("status", "all")] },
    Spec { path: "/api/patient_register", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("given_name", "New"), ("family_name", "Person"), ("date_of_birth", "1991-01-01")] },
    Spec { path: "/api/patient_import", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("csv", "given_name,family_name,date_of_birth\nAna,Beta,1980-01-01\n"), ("dry_run", "on")] },
    Spec { path: "/api/patient_export", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[] },
    Spec { path: "/api/patient_record", kind: Kind2::Id(Target::Patient), forbidden_for: None, form: &[("id", "{id}")] },
    Spec { path: "/api/chart_open", kind: Kind2::Id(Target::Patient), forbidden_for: None, form: &[("id", "{id}")] },
    Spec { path: "/api/patient_save", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: PATIENT_FORM },
    Spec { path: "/api/patient_deactivate", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: &[("patient_id", "{id}"), ("reason", "moved")] },
    Spec { path: "/api/patient_reactivate", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/patient_merge", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: &[("survivor_id", "{id}"), ("duplicate_id", "00000000-0000-7000-8000-000000000000"), ("confirm", "on")] },
    // The clinical chart: ViewClinical to read, EditClinical to write (front
    // desk and billing have neither); templates: EditClinical or ManageClinic.
    Spec { path: "/api/chart_encounters", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/chart_encounter_create", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: ENCOUNTER_FORM },
    Spec { path: "/api/chart_note_save", kind: Kind2::Id(Target::Note), forbidden_for: Some("front_desk"), form: &[("note_id", "{id}"), ("subjective", "Changed")] },
    Spec { path: "/api/chart_note_sign", kind: Kind2::Id(Target::Note), forbidden_for: Some("front_desk"), form: &[("note_id", "{id}")] },
    Spec { path: "/api/chart_note_amend", kind: Kind2::Id(Target::Note), forbidden_for: Some("front_desk"), form: &[("note_id", "{id}"), ("reason", "Correction"), ("body", "Changed")] },
    Spec { path: "/api/chart_templates", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
    Spec { path: "/api/chart_template_create", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("name", "Check"), ("fields", "plan | Next | text")] },
    Spec { path: "/api/chart_template_update", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[("template_id", "00000000-0000-7000-8000-000000000000"), ("name", "Check"), ("fields", ""), ("active", "on")] },
    Spec { path: "/api/chart_problems", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/chart_problem_add", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("code", "I10"), ("status", "active")] },
    Spec { path: "/api/chart_problem_update", kind: Kind2::Id(Target::Problem), forbidden_for: Some("front_desk"), form: &[("problem_id", "{id}"), ("code", "I10"), ("status", "resolved")] },
    Spec { path: "/api/chart_history_add", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("kind", "medical"), ("details", "Asthma")] },
    Spec { path: "/api/chart_social_save", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("smoking", "never"), ("alcohol", "none")] },
    Spec { path: "/api/chart_icd_search", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("q", "diabetes")] },
    Spec { path: "/api/chart_timeline", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/chart_print", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: &[("patient_id", "{id}")] },
    // The chart's medications tab: ViewClinical to read, EditClinical to
    // write, Prescribe to prescribe or change (nurses record, not prescribe).
    // The allergy badge is empty, not refused, for roles without clinical access.
    Spec { path: "/api/meds_chart", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/allergy_badge", kind: Kind2::Id(Target::Patient), forbidden_for: None, form: &[("patient_id", "{id}")] },
    Spec { path: "/api/allergy_add", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: ALLERGY_FORM },
    Spec { path: "/api/allergy_set_status", kind: Kind2::Id(Target::Allergy), forbidden_for: Some("front_desk"), form: &[("allergy_id", "{id}"), ("status", "refuted")] },
    Spec { path: "/api/allergy_none_known", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/medication_prescribe", kind: Kind2::Id(Target::Patient), forbidden_for: Some("nurse"), form: RX_FORM },
    Spec { path: "/api/medication_record", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: RX_FORM },
    Spec { path: "/api/medication_stop", kind: Kind2::Id(Target::Medication), forbidden_for: Some("front_desk"), form: &[("medication_id", "{id}"), ("reason", "no longer needed")] },
    Spec { path: "/api/medication_change", kind: Kind2::Id(Target::Medication), forbidden_for: Some("nurse"), form: CHANGE_FORM },
    Spec { path: "/api/immunization_add", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: IMMUNIZATION_FORM },
    Spec { path: "/api/referral_create", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: REFERRAL_FORM },
    Spec { path: "/api/referral_set_status", kind: Kind2::Id(Target::Referral), forbidden_for: Some("front_desk"), form: &[("referral_id", "{id}"), ("status", "sent")] },
    Spec { path: "GET /api/medications/{id}/prescription", kind: Kind2::Id(Target::Medication), forbidden_for: Some("billing"), form: &[] },
    Spec { path: "GET /api/referrals/{id}/letter", kind: Kind2::Id(Target::Referral), forbidden_for: Some("billing"), form: &[] },
    Spec { path: "GET /api/patients/{id}/summary.pdf", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: &[] },
    // The chart's Vitals, Results and Documents tabs: ViewClinical to read,
    // EditClinical to write (front desk and billing have neither).
    Spec { path: "/api/vitals_history", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/vitals_record", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("pulse", "72")] },
    Spec { path: "/api/results_overview", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/result_order", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("kind", "lab"), ("test_name", "Full blood count")] },
    Spec { path: "/api/result_enter", kind: Kind2::Id(Target::LabOrder), forbidden_for: Some("front_desk"), form: &[("order_id", "{id}"), ("analyte", "Potassium"), ("value", "4.2"), ("unit", "mmol/L")] },
    Spec { path: "/api/result_attach_report", kind: Kind2::Id(Target::LabOrder), forbidden_for: Some("front_desk"), form: &[("order_id", "{id}"), ("document_id", "00000000-0000-7000-8000-000000000000")] },
    Spec { path: "/api/documents_list", kind: Kind2::Id(Target::Patient), forbidden_for: Some("billing"), form: &[("patient_id", "{id}")] },
    Spec { path: "GET /api/documents/{id}/preview", kind: Kind2::Id(Target::Document), forbidden_for: Some("billing"), form: &[] },
    // Billing: ViewBilling to read (nurses have none), ManageBilling to
    // change (front desk reads only), ExportData for the accountant's CSV
    // (billing staff may not). Forms with lines are Signed here: their
    // lines are checked before the patient, so the 404 probe would meet a
    // 422; the services' own tests cover the other clinic's patient.
    Spec { path: "/api/billing_overview", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("status", "")] },
    Spec { path: "/api/invoice_from_appointment", kind: Kind2::Id(Target::Appointment), forbidden_for: Some("front_desk"), form: &[("appointment_id", "{id}")] },
    Spec { path: "/api/invoice_create", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("payer_id", ""), ("due_on", ""), ("note", "")] },
    Spec { path: "/api/invoice_detail", kind: Kind2::Id(Target::Invoice), forbidden_for: Some("nurse"), form: &[("invoice_id", "{id}")] },
    Spec { path: "/api/invoice_update_draft", kind: Kind2::Id(Target::Invoice), forbidden_for: Some("front_desk"), form: &[("invoice_id", "{id}"), ("patient_id", ""), ("payer_id", ""), ("due_on", ""), ("note", "")] },
    Spec { path: "/api/invoice_issue", kind: Kind2::Id(Target::Invoice), forbidden_for: Some("front_desk"), form: &[("invoice_id", "{id}")] },
    Spec { path: "/api/invoice_delete_draft", kind: Kind2::Id(Target::Invoice), forbidden_for: Some("front_desk"), form: &[("invoice_id", "{id}")] },
    Spec { path: "/api/invoice_void", kind: Kind2::Id(Target::Invoice), forbidden_for: Some("front_desk"), form: &[("invoice_id", "{id}"), ("reason", "Entered twice")] },
    Spec { path: "/api/invoice_credit_note", kind: Kind2::Id(Target::Invoice), forbidden_for: Some("front_desk"), form: &[("invoice_id", "{id}"), ("reason", "Goodwill"), ("whole", "on")] },
    Spec { path: "/api/invoice_apply_credit", kind: Kind2::Id(Target::Invoice), forbidden_for: Some("front_desk"), form: &[("invoice_id", "{id}")] },
    Spec { path: "/api/payment_record", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("method", "cash"), ("amount", "1"), ("reference", "")] },
    Spec { path: "/api/payment_refund", kind: Kind2::Id(Target::Payment), forbidden_for: Some("front_desk"), form: &[("payment_id", "{id}"), ("amount", "1"), ("reason", "Overcharged"), ("method", "")] },
    Spec { path: "/api/payment_receipt", kind: Kind2::Id(Target::Payment), forbidden_for: Some("nurse"), form: &[("payment_id", "{id}")] },
    Spec { path: "/api/patient_account", kind: Kind2::Id(Target::Patient), forbidden_for: Some("nurse"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/fee_settings", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[] },
    Spec { path: "/api/fee_service_create", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("code", "X1"), ("description", "Test"), ("price", "10")] },
    Spec { path: "/api/fee_service_set_active", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("service_id", "00000000-0000-7000-8000-000000000000"), ("active", "false")] },
    Spec { path: "/api/payer_create", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("name", "Insurer"), ("kind", "insurer")] },
    Spec { path: "/api/payer_set_price", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("service_id", "00000000-0000-7000-8000-000000000000"), ("payer_id", "00000000-0000-7000-8000-000000000000"), ("price", "1")] },
    Spec { path: "/api/package_create", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("name", "Ten"), ("service_id", ""), ("sessions", "10"), ("price", "100")] },
    // Packages on the account: the package id is well-formed so the
    // other clinic's patient is what is refused (404).
    Spec { path: "/api/patient_packages", kind: Kind2::Id(Target::Patient), forbidden_for: Some("nurse"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/package_sell", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("package_id", "00000000-0000-7000-8000-000000000000")] },
    Spec { path: "/api/package_use_session", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("patient_package_id", "00000000-0000-7000-8000-000000000000"), ("appointment_id", "00000000-0000-7000-8000-000000000000")] },
    Spec { path: "/api/claims_list", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("status", "")] },
    Spec { path: "/api/billing_reports", kind: Kind2::Signed, forbidden_for: Some("nurse"), form: &[("as_of", ""), ("day", ""), ("from", ""), ("to", ""), ("group_by", "")] },
    Spec { path: "/api/patient_coverages", kind: Kind2::Id(Target::Patient), forbidden_for: Some("nurse"), form: &[("patient_id", "{id}")] },
    Spec { path: "/api/coverage_add", kind: Kind2::Id(Target::Patient), forbidden_for: Some("front_desk"), form: &[("patient_id", "{id}"), ("payer_id", ""), ("member_id", "M-1"), ("plan", ""), ("valid_from", "2026-01-01"), ("valid_to", ""), ("covered_percent", "80")] },
    Spec { path: "/api/invoice_insurance", kind: Kind2::Id(Target::Invoice), forbidden_for: Some("nurse"), form: &[("invoice_id", "{id}")] },
    Spec { path: "/api/claim_create", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("invoice_id", "00000000-0000-7000-8000-000000000000"), ("coverage_id", "00000000-0000-7000-8000-000000000000"), ("diagnosis_codes", "J06.9"), ("procedure_codes", ""), ("amount", "")] },
    Spec { path: "/api/claim_submit", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("claim_id", "00000000-0000-7000-8000-000000000000")] },
    Spec { path: "/api/claim_decide", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("claim_id", "00000000-0000-7000-8000-000000000000"), ("decision", "accept"), ("reason", "")] },
    Spec { path: "/api/claim_remit", kind: Kind2::Signed, forbidden_for: Some("front_desk"), form: &[("claim_id", "00000000-0000-7000-8000-000000000000"), ("amount", "1"), ("reference", "")] },
    Spec { path: "GET /api/invoices/{id}/pdf", kind: Kind2::Id(Target::Invoice), forbidden_for: Some("nurse"), form: &[] },
    Spec { path: "GET /api/payments/{id}/receipt", kind: Kind2::Id(Target::Payment), forbidden_for: Some("nurse"), form: &[] },
    Spec { path: "GET /api/patients/{id}/statement", kind: Kind2::Id(Target::Patient), forbidden_for: Some("nurse"), form: &[] },
    Spec { path: "GET /api/billing/export.csv", kind: Kind2::Signed, forbidden_for: Some("billing"), form: &[] },
];

/// An issued invoice of `patient` with a payment of 10 on it, made through
/// the services; returns the invoice's and the payment's ids.
async fn billing_setup(app: &App, cookie: &str, patient: &str) -> (String, String) {
    use ambula_backend::services::{auth, billing::{invoices, payments}};
    use ambula_domain::billing::{AllocationForm, InvoiceForm, InvoiceLineForm, PaymentForm};
    let token = cookie.split_once('=').unwrap().1;
    let ctx = auth::authenticate(&app.services, token).await.unwrap();
    let line = InvoiceLineForm { description: "Consultation".into(), quantity: "1".into(), unit_price: "45".into(), ..Default::default() };
    let form = InvoiceForm { patient_id: patient.into(), lines: vec![line], ..Default::default() };
    let draft = invoices::create(&app.services, &ctx, &form).await.unwrap();
    let invoice = invoices::issue(&app.services, &ctx, &draft.id.to_string()).await.unwrap().id.to_string();
    let pay = PaymentForm {
        patient_id: patient.into(),
        method: "cash".into(),
        amount: "10".into(),
        allocations: vec![AllocationForm { invoice_id: invoice.clone(), amount: String::new() }],
        ..Default::default()
    };
    let payment = payments::record(&app.services, &ctx, &pay).await.unwrap().payment_id.to_string();
    (invoice, payment)
}

/// A well-formed encounter in the past, so only the id decides the answer.
const ENCOUNTER_FORM: &[(&str, &str)] = &[("patient_id", "{id}"), ("date", "2025-01-15"), ("time", "09:00"), ("kind", "consultation")];

/// Records an encounter (its draft note) and a problem for `patient`
/// through the API; returns the note's and the problem's ids.
async fn chart_setup(app: &App, cookie: &str, patient: &str) -> (String, String) {
    let form: Vec<(&str, &str)> = ENCOUNTER_FORM.iter().map(|(k, v)| (*k, if *v == "{id}" { patient } else { *v })).collect();
    let encounter = app.call("/api/chart_encounter_create", &form, cookie).await;
    let note = encounter["note"]["id"].as_str().unwrap().to_owned();
    app.call("/api/chart_note_save", &[("note_id", &note), ("subjective", "Original")], cookie).await;
    let problem = app.call("/api/chart_problem_add", &[("patient_id", patient), ("code", "I10"), ("status", "active")], cookie).await;
    (note, problem["id"].as_str().unwrap().to_owned())
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

struct App {
    url: String,
    client: Client,
    /// The server's own services, for set-up that has no route yet
    /// (practitioners).
    services: ambula_backend::Services,
}

impl App {
    async fn post(&self, path: &str, form: &[(String, String)], cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.client.post(format!("{}{path}", self.url)).form(form);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    async fn call(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Value {
        let form: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let response = self.post(path, &form, Some(cookie)).await;
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap_or(Value::Null)
    }

    async fn probe(&self, spec: &Spec, id: &str, cookie: Option<&str>) -> StatusCode {
        if let Some((method, path)) = spec.path.split_once(' ') {
            let url = format!("{}{}", self.url, path.replace("{id}", id).replace("{file}", &format!("{id}.ics")));
            let mut request = match method {
                "GET" => self.client.get(url),
                _ => self.client.post(url).header("x-file-name", "scan.pdf").body(PDF.to_vec()),
            };
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            return request.send().await.unwrap().status();
        }
        let form: Vec<(String, String)> = spec.form.iter().map(|(k, v)| (k.to_string(), v.replace("{id}", id))).collect();
        self.post(spec.path, &form, cookie).await.status()
    }
}

fn cookie_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("ambula_session=") && !v.starts_with("ambula_session=;"))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn sign_up(app: &App, clinic: &str, email: &str) -> String {
    let form: Vec<(String, String)> = [
        ("clinic_name", clinic), ("time_zone", "Europe/Lisbon"), ("owner_name", "Owner"), ("email", email),
        ("password", "tide pools at dawn"), ("confirm_adult", "on"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let response = app.post("/api/sign_up", &form, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    cookie_of(&response)
}

async fn join(app: &App, owner: &str, email: &str, role: &str) -> String {
    let invite = app.call("/api/invite_staff", &[("email", email), ("role", role)], owner).await;
    let link = invite["link"].as_str().unwrap();
    let token = link.rsplit('/').next().unwrap();
    let form: Vec<(String, String)> = [("token", token), ("name", "Staff Member"), ("password", "tide pools at dawn")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let response = app.post("/api/accept_invite", &form, None).await;
    assert_eq!(response.status(), StatusCode::OK, "accept {role}");
    cookie_of(&response)
}

async fn run(kind: Kind, case: fn(App) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let env: HashMap<&str, String> = HashMap::from([
        ("AMBULA_BIND", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db.url.clone()),
        ("AMBULA_SMTP_URL", smtp.url()),
        ("AMBULA_MASTER_KEY", ambula_backend::MasterKey::generate().encode()),
    ]);
    let config = Config::from_sources(FileConfig::default(), |k| env.get(k).cloned()).unwrap();
    let services = server::services(&config, db.db.clone()).unwrap();
    let app = server::Application::build(&config, services.clone()).await.unwrap();
    let url = format!("http://{}", app.addr);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    case(App { url, client: Client::builder().redirect(Policy::none()).build().unwrap(), services }).await;
    let _ = stop.send(());
    let _ = handle.await;
    db.cleanup().await;
}

/// Gives a clinic a practitioner with hours and a type (set-up has no
/// server functions yet, so through the services), then books `patient`
/// through the API. Returns the practitioner's and the appointment's ids.
async fn calendar_setup(app: &App, cookie: &str, patient: &str) -> (String, String) {
    use ambula_backend::services::{auth, scheduling::setup};
    use ambula_domain::scheduling::{AppointmentTypeForm, WeeklyHoursForm};
    let token = cookie.split_once('=').unwrap().1;
    let ctx = auth::authenticate(&app.services, token).await.unwrap();
    let mut tx = app.services.db.write_in(&ctx.scope).await.unwrap();
    let now = app.services.now();
    let practitioner = ambula_backend::repo::practitioners::insert(&mut tx, &ctx.scope, None, "Dr Who", None, "#1d4ed8", now).await.unwrap();
    tx.commit().await.unwrap();
    let day = "09:00-17:00".to_owned();
    let hours = WeeklyHoursForm {
        hours_mon: day.clone(), hours_tue: day.clone(), hours_wed: day.clone(), hours_thu: day.clone(), hours_fri: day,
        ..Default::default()
    };
    setup::set_practitioner_hours(&app.services, &ctx, &practitioner.to_string(), &hours).await.unwrap();
    let kind = AppointmentTypeForm {
        name: "Consultation".into(), duration_minutes: "30".into(), colour: "#3366cc".into(), ..Default::default()
    };
    let kind = setup::create_type(&app.services, &ctx, &kind, &[]).await.unwrap().id.to_string();
    let practitioner = practitioner.to_string();
    // 2030-03-12 is a Tuesday.
    let form = [("patient_id", patient), ("practitioner_id", practitioner.as_str()), ("type_id", kind.as_str()), ("date", "2030-03-12"), ("time", "09:00")];
    app.call("/api/appointment_book", &form, cookie).await;
    let day = app.call("/api/calendar_day", &[("date", "2030-03-12"), ("by", "practitioner")], cookie).await;
    let appointment = day["columns"][0]["appointments"][0]["id"].as_str().unwrap().to_owned();
    (practitioner, appointment)
}

/// An allergy, a prescription and a referral for `patient` through the
/// API; returns their ids.
async fn meds_records(app: &App, cookie: &str, patient: &str) -> (String, String, String) {
    let with_patient = |form: &[(&'static str, &'static str)]| -> Vec<(&'static str, String)> {
        form.iter().map(|(k, v)| (*k, v.replace("{id}", patient))).collect()
    };
    for (path, form) in [("/api/allergy_add", ALLERGY_FORM), ("/api/medication_prescribe", RX_FORM), ("/api/referral_create", REFERRAL_FORM)] {
        let form = with_patient(form);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.call(path, &form, cookie).await;
    }
    let chart = app.call("/api/meds_chart", &[("patient_id", patient)], cookie).await;
    let id = |list: &str| chart[list][0]["id"].as_str().unwrap().to_owned();
    (id("allergies"), id("current"), id("referrals"))
}

fn every_route_is_in_the_matrix_and_denies_correctly(app: App) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(matrix(app))
}

async fn matrix(app: App) {
    // 1. Coverage: the router's routes and the matrix are the same set.
    let mut registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_owned()).collect();
    for (method, path) in server::routes::DATA_ROUTES {
        registered.insert(format!("{method} {path}"));
    }
    let specified: BTreeSet<String> = SPECS.iter().map(|s| s.path.to_owned()).collect();
    let missing: Vec<_> = registered.difference(&specified).collect();
    assert!(missing.is_empty(), "routes without an authorization spec (add them to SPECS): {missing:?}");
    let stale: Vec<_> = specified.difference(&registered).collect();
    assert!(stale.is_empty(), "specs for routes that no longer exist: {stale:?}");

    // 2. Two clinics; clinic A has a member of each probing role.
    let a = sign_up(&app, "Clinic A", "a@a.example").await;
    let b = sign_up(&app, "Clinic B", "b@b.example").await;
    let mut roles = HashMap::new();
    for role in ["nurse", "billing", "front_desk"] {
        roles.insert(role, join(&app, &a, &format!("{role}@a.example"), role).await);
    }
    let new_patient = [("given_name", "Bea"), ("family_name", "Beta"), ("date_of_birth", "1980-05-05")];
    let b_patient = app.call("/api/patient_create", &new_patient, &b).await["id"].as_str().unwrap().to_owned();
    let a_patient = app.call("/api/patient_create", &new_patient, &a).await["id"].as_str().unwrap().to_owned();
    let staff_of = |cookie: String| {
        let app = &app;
        async move { app.call("/api/staff_list", &[], &cookie).await }
    };
    let b_staff = staff_of(b.clone()).await;
    let b_member = b_staff["staff"][0]["membership_id"].as_str().unwrap().to_owned();
    let a_staff = staff_of(a.clone()).await;
    let a_nurse = a_staff["staff"].as_array().unwrap().iter().find(|m| m["role"] == "nurse").unwrap()["membership_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_sessions = app.call("/api/my_sessions", &[], &b).await;
    let b_session = b_sessions[0]["handle"].as_str().unwrap().to_owned();
    let upload = |cookie: &str, patient: &str| {
        let request = app
            .client
            .post(format!("{}/api/patients/{patient}/documents", app.url))
            .header(header::COOKIE, cookie)
            .header("x-file-name", "scan.pdf")
            .body(PDF.to_vec());
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        }
    };
    let b_document = upload(&b, &b_patient).await;
    let a_document = upload(&a, &a_patient).await;
    let order_for = |cookie: String, patient: String| {
        let app = &app;
        async move {
            let form = [("patient_id", patient.as_str()), ("kind", "lab"), ("test_name", "Full blood count")];
            app.call("/api/result_order", &form, &cookie).await["id"].as_str().unwrap().to_owned()
        }
    };
    let b_order = order_for(b.clone(), b_patient.clone()).await;
    let a_order = order_for(a.clone(), a_patient.clone()).await;
    let b_clinic = {
        let clinics = app.call("/api/my_clinics", &[], &b).await;
        clinics[0]["id"].as_str().unwrap().to_owned()
    };
    let (b_practitioner, b_appointment) = calendar_setup(&app, &b, &b_patient).await;
    let (a_practitioner, a_appointment) = calendar_setup(&app, &a, &a_patient).await;
    let waitlist_entry = |cookie: String, patient: String| {
        let app = &app;
        async move {
            let types = app.call("/api/appointment_types", &[], &cookie).await;
            let type_id = types[0]["id"].as_str().unwrap().to_owned();
            let form = [("patient_id", patient.as_str()), ("type_id", type_id.as_str()), ("earliest", "2030-03-01"), ("latest", "2030-03-31")];
            app.call("/api/waitlist_add", &form, &cookie).await["id"].as_str().unwrap().to_owned()
        }
    };
    let b_waitlist = waitlist_entry(b.clone(), b_patient.clone()).await;
    let a_waitlist = waitlist_entry(a.clone(), a_patient.clone()).await;
    let (b_note, b_problem) = chart_setup(&app, &b, &b_patient).await;
    let (a_note, a_problem) = chart_setup(&app, &a, &a_patient).await;
    let (b_allergy, b_medication, b_referral) = meds_records(&app, &b, &b_patient).await;
    let (_, a_medication, a_referral) = meds_records(&app, &a, &a_patient).await;
    let (b_invoice, b_payment) = billing_setup(&app, &b, &b_patient).await;
    let (a_invoice, a_payment) = billing_setup(&app, &a, &a_patient).await;
    let snapshot = || {
        let (app, b) = (&app, b.clone());
        let b_patient = b_patient.clone();
        async move {
            let patient = app.call("/api/patient_get", &[("id", &b_patient)], &b).await;
            let staff = app.call("/api/staff_list", &[], &b).await["staff"].clone();
            let day = app.call("/api/calendar_day", &[("date", "2030-03-12"), ("by", "practitioner")], &b).await;
            (patient["family_name"].clone(), patient["given_name"].clone(), staff, day["columns"].clone())
        }
    };
    let before = snapshot().await;

    for spec in SPECS {
        // Signed out: 401 for everything that is not public.
        if let Kind2::Token = spec.kind {
            for cookie in [None, Some(a.as_str())] {
                let status = app.probe(spec, "not-a-feed-token", cookie).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{} with an unknown token", spec.path);
            }
        }
        if !matches!(spec.kind, Kind2::Public | Kind2::Token) {
            let status = app.probe(spec, "00000000-0000-7000-8000-000000000000", None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{} signed out", spec.path);
            let forged = app.probe(spec, "00000000-0000-7000-8000-000000000000", Some("ambula_session=forged")).await;
            assert_eq!(forged, StatusCode::UNAUTHORIZED, "{} with a forged cookie", spec.path);
        }
        // Another clinic's id: 404, as for an id that does not exist.
        if let Kind2::Id(target) = spec.kind {
            let theirs = match target {
                Target::Patient => &b_patient,
                Target::Member => &b_member,
                Target::Session => &b_session,
                Target::Clinic => &b_clinic,
                Target::Document => &b_document,
                Target::Practitioner => &b_practitioner,
                Target::Appointment => &b_appointment,
                Target::Waitlist => &b_waitlist,
                Target::Note => &b_note,
                Target::Problem => &b_problem,
                Target::Allergy => &b_allergy,
                Target::Medication => &b_medication,
                Target::Referral => &b_referral,
                Target::LabOrder => &b_order,
                Target::Invoice => &b_invoice,
                Target::Payment => &b_payment,
            };
            let status = app.probe(spec, theirs, Some(&a)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{} with clinic B's {target:?} id", spec.path);
        }
        // Same clinic, role without the permission: 403.
        if let Some(role) = spec.forbidden_for {
            let own = match spec.kind {
                Kind2::Id(Target::Patient) => a_patient.as_str(),
                Kind2::Id(Target::Member) => a_nurse.as_str(),
                Kind2::Id(Target::Document) => a_document.as_str(),
                Kind2::Id(Target::Practitioner) => a_practitioner.as_str(),
                Kind2::Id(Target::Appointment) => a_appointment.as_str(),
                Kind2::Id(Target::Waitlist) => a_waitlist.as_str(),
                Kind2::Id(Target::Note) => a_note.as_str(),
                Kind2::Id(Target::Problem) => a_problem.as_str(),
                Kind2::Id(Target::Medication) => a_medication.as_str(),
                Kind2::Id(Target::Referral) => a_referral.as_str(),
                Kind2::Id(Target::LabOrder) => a_order.as_str(),
                Kind2::Id(Target::Invoice) => a_invoice.as_str(),
                Kind2::Id(Target::Payment) => a_payment.as_str(),
                _ => "",
            };
            // A member cannot act on themself either way; probe the nurse's
            // row as the billing role when the nurse is the one forbidden.
            let (role, own) = if role == "nurse" && own == a_nurse { ("billing", own) } else { (role, own) };
            let status = app.probe(spec, own, Some(&roles[role])).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{} as {role}", spec.path);
        }
    }
    assert_eq!(snapshot().await, before, "clinic B's rows are unchanged");
    // B's chart too: the note is still the draft it was, unamended, and the
    // problem still active.
    let b_notes = app.call("/api/chart_encounters", &[("patient_id", &b_patient)], &b).await;
    assert_eq!(b_notes[0]["note"]["subjective"], "Original");
    assert_eq!(b_notes[0]["note"]["status"], "draft");
    assert_eq!(b_notes[0]["note"]["amendments"].as_array().map(Vec::len), Some(0));
    let b_problems = app.call("/api/chart_problems", &[("patient_id", &b_patient)], &b).await;
    assert_eq!(b_problems["problems"][0]["status"], "active");
    let b_meds = app.call("/api/meds_chart", &[("patient_id", &b_patient)], &b).await;
    assert_eq!((b_meds["allergies"][0]["status"].as_str(), b_meds["current"].as_array().map(Vec::len)), (Some("active"), Some(1)));
    assert_eq!((b_meds["referrals"][0]["status"].as_str(), b_meds["immunizations"].as_array().map(Vec::len)), (Some("draft"), Some(0)));
    // And A's own nurse is still a nurse, A's patient unchanged.
    let a_after = app.call("/api/patient_get", &[("id", &a_patient)], &a).await;
    assert_eq!(a_after["family_name"], "Beta");
    let still = staff_of(a.clone()).await;
    assert!(still["staff"].as_array().unwrap().iter().any(|m| m["membership_id"] == a_nurse.as_str() && m["role"] == "nurse" && m["active"] == true));
    // Both clinics' waiting patients are still waiting.
    for (cookie, entry) in [(&b, &b_waitlist), (&a, &a_waitlist)] {
        let list = app.call("/api/waitlist_entries", &[], cookie).await;
        assert_eq!(list.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect::<Vec<_>>(), vec![entry.as_str()]);
    }
}
