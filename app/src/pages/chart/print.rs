//! The printable chart summary at `/app/patients/:id/print`: demographics,
//! problems, history and the latest signed notes. Printed, the patient's
//! name and date of birth repeat at the top of every page (a table header
//! group, which browsers repeat on each printed page) and the app's
//! navigation is hidden (`style/main.css`, "Chart notes" section).

use super::{fields::loading, use_patient_id};
use crate::{chart_api::chart_print, pages::staff::error_view};
use ambula_domain::chart::problems::ProblemStatus;
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

#[component]
pub fn ChartPrintPage() -> impl IntoView {
    let patient = use_patient_id();
    let summary = Resource::new(move || patient.get(), chart_print);
    view! {
        <Title text="Chart summary · Ambula"/>
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => Either::Left(view! { <Summary s patient_id=patient.get_untracked()/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Transition>
    }
}

#[component]
fn Summary(s: crate::chart_api::PrintView, patient_id: String) -> impl IntoView {
    let who = format!("{} · born {} · record {}", s.name, s.date_of_birth, s.mrn);
    let pdf_href = format!("/api/patients/{}/summary.pdf", patient_id);
    let contact = [s.phone.clone(), s.email.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    view! {
        <div class="print-summary">
            <p class="no-print">
                <button type="button" on:click=move |_| { let _ = window().print(); }>"Print"</button>
                " "
                <a class="button" href=pdf_href download>"Download PDF"</a>
            </p>
            <table class="print-layout">
                <thead>
                    <tr><th scope="col" class="print-running-head">{who.clone()}</th></tr>
                </thead>
                <tbody>
                    <tr><td>
                        <h2>{format!("Chart summary — {}", s.name)}</h2>
                        <p class="muted">{format!("{} · printed {}", s.clinic_name, s.printed_at)}</p>
                        <dl class="facts">
                            <dt>"Date of birth"</dt><dd>{s.date_of_birth.clone()}</dd>
                            <dt>"Record"</dt><dd>{s.mrn.clone()}</dd>
                            <dt>"Contact"</dt><dd>{contact}</dd>
                        </dl>
                        <h3>"Allergies"</h3>
                        {if s.no_known_allergies {
                            Either::Left(view! { <p>"No known allergies."</p> })
                        } else if s.allergies.is_empty() {
                            Either::Left(view! { <p>"Not recorded."</p> })
                        } else {
                            Either::Right(view! { <ul>{s.allergies.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}</ul> })
                        }}
                        <h3>"Current medicines"</h3>
                        {if s.medications.is_empty() {
                            Either::Left(view! { <p>"None recorded."</p> })
                        } else {
                            Either::Right(view! { <ul>{s.medications.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul> })
                        }}
                        <h3>"Problems"</h3>
                        {if s.problems.is_empty() {
                            Either::Left(view! { <p>"None recorded."</p> })
                        } else {
                            Either::Right(view! {
                                <ul>
                                    {s.problems.into_iter().map(|p| {
                                        let status = ProblemStatus::parse(&p.status).map(ProblemStatus::label).unwrap_or("");
                                        let line = format!(
                                            "{}{} — {}{}",
                                            p.code.map(|c| format!("{c} ")).unwrap_or_default(),
                                            p.description,
                                            status,
                                            p.onset_date.map(|d| format!(", since {d}")).unwrap_or_default()
                                        );
                                        view! { <li>{line}</li> }
                                    }).collect_view()}
                                </ul>
                            })
                        }}
                        {s.history.into_iter().filter(|(_, lines)| !lines.is_empty()).map(|(heading, lines)| view! {
                            <h3>{heading}</h3>
                            <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                        }).collect_view()}
                        {s.social.map(|social| view! {
                            <h3>"Social history"</h3>
                            <p>{format!("Smoking: {} · Alcohol: {}", social.smoking, social.alcohol)}</p>
                            {(!social.occupation.is_empty()).then(|| view! { <p>{format!("Occupation: {}", social.occupation)}</p> })}
                            {(!social.notes.is_empty()).then(|| view! { <p class="note-text">{social.notes.clone()}</p> })}
                        })}
                        <h3>"Recent signed notes"</h3>
                        {if s.notes.is_empty() {
                            Either::Left(view! { <p>"None."</p> })
                        } else {
                            Either::Right(s.notes.into_iter().map(|n| view! {
                                <article class="printed-note">
                                    <h4>{format!("{} · {}{}", n.kind, n.when, n.practitioner.map(|p| format!(" · {p}")).unwrap_or_default())}</h4>
                                    <p class="muted">{format!("Signed by {} on {}", n.signed_by.unwrap_or_default(), n.signed_at.unwrap_or_default())}</p>
                                    <dl class="soap">
                                        {n.sections.into_iter().map(|(label, text)| view! { <dt>{label}</dt><dd class="note-text">{text}</dd> }).collect_view()}
                                    </dl>
                                    {(!n.amendments.is_empty()).then(|| view! {
                                        <p><strong>"Amendments"</strong></p>
                                        <ul>{n.amendments.into_iter().map(|a| view! { <li class="note-text">{a}</li> }).collect_view()}</ul>
                                    })}
                                </article>
                            }).collect_view())
                        }}
                    </td></tr>
                </tbody>
            </table>
        </div>
    }
}
