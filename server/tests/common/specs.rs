//! The authorization matrix's route table: every server function and data
//! route with what it takes and who may not call it.

/// What a route is, for the probes.
#[derive(Clone, Copy, Debug)]
pub enum Kind2 {
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
pub enum Target {
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

pub struct Spec {
    pub path: &'static str,
    pub kind: Kind2,
    /// A same-clinic role that lacks the permission (403 probe), if any.
    pub forbidden_for: Option<&'static str>,
    /// A well-formed body; `{id}` is replaced with the probed id.
    pub form: &'static [(&'static str, &'static str)],
}

pub const TYPE_FORM: &[(&str, &str)] = &[("name", "Check-up"), ("duration_minutes", "30"), ("colour", "#1d4ed8")];
pub const PATIENT_FORM: &[(&str, &str)] = &[("id", "{id}"), ("given_name", "Eve"), ("family_name", "Changed"), ("date_of_birth", "1990-01-01"), ("phone", ""), ("email", "")];

/// A well-formed move: the service parses the form before it looks the
/// appointment up, so a malformed one would stop at 422 instead.
pub const MOVE_FORM: &[(&str, &str)] = &[("id", "{id}"), ("date", "2030-03-13"), ("time", "10:00"), ("expected_version", "1")];

/// The medications tab's forms, complete (a missing field is a 400 before
/// any check), with `{id}` for the patient or record probed.
pub const RX_FORM: &[(&str, &str)] = &[
    ("patient_id", "{id}"), ("drug", "Paracetamol"), ("dose", "1"), ("dose_unit", "tablet"), ("route", "oral"),
    ("frequency", "once_daily"), ("quantity", "10"), ("start_date", "2026-11-01"),
];
pub const CHANGE_FORM: &[(&str, &str)] = &[
    ("medication_id", "{id}"), ("change_reason", "dose too low"), ("drug", "Paracetamol"), ("dose", "2"), ("dose_unit", "tablet"),
    ("route", "oral"), ("frequency", "once_daily"), ("quantity", "10"), ("start_date", "2026-11-01"),
];
pub const ALLERGY_FORM: &[(&str, &str)] = &[("patient_id", "{id}"), ("substance", "Latex"), ("severity", "mild"), ("kind", "allergy")];
pub const IMMUNIZATION_FORM: &[(&str, &str)] = &[("patient_id", "{id}"), ("vaccine", "Influenza"), ("given_on", "2026-01-05"), ("site", "left_arm")];
pub const REFERRAL_FORM: &[(&str, &str)] = &[("patient_id", "{id}"), ("to_name", "Dr Mota"), ("reason", "Persistent rash"), ("urgency", "routine")];

pub const SPECS: &[Spec] = &[
    // Public entry points.
    Spec { path: "/api/sign_up", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/sign_in", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/sign_out", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/invite_info", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/accept_invite", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/accept_invite_signed_in", kind: Kind2::Signed, forbidden_for: None, form: &[("token", "not-a-real-invitation")] },
    Spec { path: "/api/request_password_reset", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/reset_password", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/sign_up_info", kind: Kind2::Public, forbidden_for: None, form: &[] },
    Spec { path: "/api/confirm_sign_up", kind: Kind2::Public, forbidden_for: None, form: &[] },
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
    // Room, type and time-off ids have no probe target here (nil ids): the
    // real ids of another clinic's are probed in `authz_cross_clinic.rs`,
    // which fails when a route here carries a nil id it does not probe.
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
    // 422; `authz_cross_clinic.rs` sends them with lines, and the other
    // clinic's patient, payer, service, package, coverage and claim.
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

/// A well-formed encounter in the past, so only the id decides the answer.
pub const ENCOUNTER_FORM: &[(&str, &str)] = &[("patient_id", "{id}"), ("date", "2025-01-15"), ("time", "09:00"), ("kind", "consultation")];

pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
