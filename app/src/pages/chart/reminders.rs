//! The patient's reminder choices, shown at the bottom of the chart's
//! Summary tab: appointment reminders by email and by SMS, each on or off.
//! Reading and changing them are audited (see `reminders_api`).

use super::use_patient_id;
use crate::{
    components::{last_result, FormAlert},
    pages::staff::error_view,
    reminders_api::{patient_reminders, PatientRemindersSave},
};
use leptos::{either::Either, prelude::*};

#[component]
pub fn ReminderPreferences() -> impl IntoView {
    let id = use_patient_id();
    let current = Resource::new(move || id.get(), patient_reminders);
    let action = ServerAction::<PatientRemindersSave>::new();
    let value = last_result(action);
    let saved = move || {
        value.get().and_then(|r| r.ok()).map(|c| {
            let onoff = |b: bool| if b { "on" } else { "off" };
            format!("Saved: reminders by email {}, by SMS {}.", onoff(c.email), onoff(c.sms))
        })
    };
    view! {
        <section class="reminder-prefs" aria-labelledby="reminder-prefs-title">
            <h3 id="reminder-prefs-title">"Appointment reminders"</h3>
            <div class="status" role="status">{move || saved().map(|m| view! { <p>{m}</p> })}</div>
            <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(c) => Either::Left(view! {
                            <ActionForm action=action>
                                <FormAlert value=value/>
                                <input type="hidden" name="patient_id" value=move || id.get()/>
                                <fieldset>
                                    <legend>"Send this patient reminders by"</legend>
                                    <div class="field checkbox">
                                        <input type="checkbox" id="field-reminders-email" name="email" value="on" checked=c.email/>
                                        <label for="field-reminders-email">"Email"</label>
                                    </div>
                                    <div class="field checkbox">
                                        <input type="checkbox" id="field-reminders-sms" name="sms" value="on" checked=c.sms/>
                                        <label for="field-reminders-sms">"SMS (text message)"</label>
                                    </div>
                                </fieldset>
                                <p class="hint">"The clinic decides when reminders go out and on which channels; unticking a channel stops it for this patient."</p>
                                <div class="button-row">
                                    <button type="submit" disabled=move || action.pending().get()>"Save reminder choices"</button>
                                </div>
                            </ActionForm>
                        }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Transition>
        </section>
    }
}
