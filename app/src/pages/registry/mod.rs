//! Registry pages: registration (with the duplicate warning), CSV import
//! and export, and the demographics fields shared with the chart's Summary
//! tab. Every value is shown as a text node, never as markup.

pub mod import;
pub mod register;

use crate::{
    components::{field_error, Field},
    error::AppError,
    registry_api::PatientFormValues,
};
use ambula_domain::patients::{is_minor, parse_date, SexAtBirth};
use chrono::NaiveDate;
use leptos::prelude::*;

/// Today's date where the page runs (the browser's own day after
/// hydration), for showing the guardian fields as soon as a minor's date
/// of birth is typed. The server's rule, in the clinic's zone, decides.
pub fn today_here() -> Option<NaiveDate> {
    #[cfg(feature = "hydrate")]
    {
        let now = js_sys::Date::new_0();
        NaiveDate::from_ymd_opt(now.get_full_year() as i32, now.get_month() + 1, now.get_date())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Some(chrono::Utc::now().date_naive())
    }
}

fn minor_on_page(dob: &str) -> bool {
    match (parse_date(dob), today_here()) {
        (Ok(born), Some(today)) => born <= today && is_minor(born, today),
        _ => false,
    }
}

/// The demographics inputs, prefilled with `values`; each shows the
/// server's error from `value` at its field. The guardian's fields appear
/// when the date of birth is a minor's (or when they hold something).
#[component]
pub fn PatientFields<T: Clone + Send + Sync + 'static>(
    values: PatientFormValues,
    value: Signal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    let err = move |name: &'static str| field_error(value, name);
    let dob = RwSignal::new(values.date_of_birth.clone());
    let has_guardian = !values.guardian_name.is_empty();
    let guardian_error = Signal::derive(move || {
        value.with(|v| {
            v.as_ref().and_then(|r| r.as_ref().err()).is_some_and(|e| {
                ["guardian_name", "guardian_relation", "guardian_phone", "guardian_email"].iter().any(|f| e.field(f).is_some())
            })
        })
    });
    let show_guardian = Signal::derive(move || has_guardian || guardian_error.get() || minor_on_page(&dob.get()));
    let dob_error = err("date_of_birth");
    let sex_error = err("sex_at_birth");
    let v = values;
    let sex = v.sex_at_birth.clone();
    view! {
        <fieldset class="patient-fields">
            <legend>"Identity"</legend>
            <Field label="Given name" name="given_name" autocomplete="off" value=v.given_name.clone() server_error=err("given_name")/>
            <Field label="Family name" name="family_name" autocomplete="off" value=v.family_name.clone() server_error=err("family_name")/>
            <Field label="Preferred name" name="preferred_name" required=false value=v.preferred_name.clone()
                hint="The name the patient goes by, if different." server_error=err("preferred_name")/>
            <div class="field" class:has-error=move || dob_error.get().is_some()>
                <label for="field-date_of_birth">"Date of birth"</label>
                <p class="hint" id="field-date_of_birth-hint">"YYYY-MM-DD. Under 18: a parent or guardian is needed."</p>
                <input id="field-date_of_birth" name="date_of_birth" type="date" required=true value=v.date_of_birth.clone()
                    aria-invalid=move || dob_error.get().is_some().then_some("true")
                    aria-describedby="field-date_of_birth-hint field-date_of_birth-error"
                    on:input=move |ev| dob.set(event_target_value(&ev))
                    on:change=move |ev| dob.set(event_target_value(&ev))/>
                <p class="error" id="field-date_of_birth-error" aria-live="polite">{move || dob_error.get()}</p>
            </div>
            <div class="field" class:has-error=move || sex_error.get().is_some()>
                <label for="field-sex_at_birth">"Sex at birth" <span class="optional">" (optional)"</span></label>
                <select id="field-sex_at_birth" name="sex_at_birth"
                    aria-invalid=move || sex_error.get().is_some().then_some("true") aria-describedby="field-sex_at_birth-error">
                    <option value="" selected=sex.is_empty()>"Not recorded"</option>
                    {SexAtBirth::ALL.into_iter().map(|s| {
                        let selected = sex == s.as_str();
                        view! { <option value=s.as_str() selected=selected>{s.label()}</option> }
                    }).collect_view()}
                </select>
                <p class="error" id="field-sex_at_birth-error" aria-live="polite">{move || sex_error.get()}</p>
            </div>
            <Field label="Gender identity" name="gender_identity" required=false value=v.gender_identity.clone() server_error=err("gender_identity")/>
            <Field label="Preferred language" name="preferred_language" required=false value=v.preferred_language.clone() server_error=err("preferred_language")/>
        </fieldset>
        <fieldset class="patient-fields">
            <legend>"Contact"</legend>
            <Field label="Phone" name="phone" kind="tel" autocomplete="off" required=false value=v.phone.clone() server_error=err("phone")/>
            <Field label="Email" name="email" kind="email" autocomplete="off" required=false value=v.email.clone() server_error=err("email")/>
            <Field label="Address" name="address_line1" required=false value=v.address_line1.clone() server_error=err("address_line1")/>
            <Field label="Address, second line" name="address_line2" required=false value=v.address_line2.clone() server_error=err("address_line2")/>
            <Field label="City" name="city" required=false value=v.city.clone() server_error=err("city")/>
            <Field label="Postcode" name="postcode" required=false value=v.postcode.clone() server_error=err("postcode")/>
            <Field label="Country" name="country" required=false value=v.country.clone() server_error=err("country")/>
            <div class="field checkbox">
                <input id="field-contact_email" name="contact_email" type="checkbox" checked=v.contact_email/>
                <label for="field-contact_email">"May be contacted by email"</label>
            </div>
            <div class="field checkbox">
                <input id="field-contact_sms" name="contact_sms" type="checkbox" checked=v.contact_sms/>
                <label for="field-contact_sms">"May be contacted by SMS"</label>
            </div>
        </fieldset>
        <fieldset class="patient-fields">
            <legend>"Identifiers"</legend>
            <Field label="National id" name="national_id" required=false value=v.national_id.clone() server_error=err("national_id")/>
            <Field label="Insurance number" name="insurance_id" required=false value=v.insurance_id.clone() server_error=err("insurance_id")/>
        </fieldset>
        <fieldset class="patient-fields">
            <legend>"Emergency contact"</legend>
            <Field label="Name" name="emergency_name" form="emergency" required=false value=v.emergency_name.clone() server_error=err("emergency_name")/>
            <Field label="Relation" name="emergency_relation" form="emergency" required=false value=v.emergency_relation.clone() server_error=err("emergency_relation")/>
            <Field label="Phone" name="emergency_phone" form="emergency" kind="tel" required=false value=v.emergency_phone.clone() server_error=err("emergency_phone")/>
        </fieldset>
        <fieldset class="patient-fields guardian" hidden=move || !show_guardian.get()>
            <legend>"Parent or guardian"</legend>
            <p class="hint">"Required for a patient under 18: the guardian receives the patient's messages."</p>
            <Field label="Name" name="guardian_name" form="guardian" required=false value=v.guardian_name.clone() server_error=err("guardian_name")/>
            <Field label="Relation" name="guardian_relation" form="guardian" required=false value=v.guardian_relation.clone()
                hint="e.g. mother, father, legal guardian" server_error=err("guardian_relation")/>
            <Field label="Phone" name="guardian_phone" form="guardian" kind="tel" required=false value=v.guardian_phone.clone() server_error=err("guardian_phone")/>
            <Field label="Email" name="guardian_email" form="guardian" kind="email" required=false value=v.guardian_email.clone() server_error=err("guardian_email")/>
        </fieldset>
        <fieldset class="patient-fields">
            <legend>"Consents"</legend>
            <Field label="Consent to treatment recorded on" name="consent_treatment_on" kind="date" required=false
                value=v.consent_treatment_on.clone() hint="Leave empty if not given." server_error=err("consent_treatment_on")/>
            <Field label="Consent to data sharing recorded on" name="consent_sharing_on" kind="date" required=false
                value=v.consent_sharing_on.clone() hint="Leave empty if not given." server_error=err("consent_sharing_on")/>
        </fieldset>
    }
}
