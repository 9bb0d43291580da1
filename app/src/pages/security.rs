//! Security parts of the settings page: the clinic's security settings, the
//! permission matrix, staff actions, the clinic's security events and the
//! audit viewer. Each is shown only to roles that may use it (the server
//! checks again).

use super::{account::EventsTable, staff::error_view};
use crate::{
    api::{me, StaffRow},
    components::{field_error, last_result, FormAlert},
    error::AppError,
    security_api::{
        audit_entries, clinic_security_events, security_settings, AuditPage, ChangeStaffRole, DeactivateStaff,
        ReactivateStaff, ResetStaffMfa, SecuritySettingsView, UpdateSecuritySettings,
    },
};
use ambula_domain::{
    accounts::NoExtraFields,
    security::{AuditFilterForm, SecuritySettingsForm},
    Permission, Role,
};
use leptos::{either::Either, html, prelude::*};
use std::future::Future;

/// Runs `fetch` only when the signed-in role holds `permission`, so a nurse
/// opening the settings does not leave a trail of refused requests.
/// Resources built on this are created at the page's top level (never inside
/// a `Suspend`): a resource created while streaming stalled the SSR response.
pub async fn if_allowed<T, F>(permission: Permission, fetch: impl FnOnce() -> F) -> Result<Option<T>, AppError>
where
    F: Future<Output = Result<T, AppError>>,
{
    if me().await?.role.can(permission) {
        fetch().await.map(Some)
    } else {
        Ok(None)
    }
}

pub type Gated<T> = Resource<Result<Option<T>, AppError>>;

// ---- Security settings ----

#[component]
pub fn SecuritySettingsSection(settings: Gated<SecuritySettingsView>) -> impl IntoView {
    let action = ServerAction::<UpdateSecuritySettings>::new();
    let value = last_result(action);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(Some(s)) => Some(Either::Left(view! {
                        <section aria-labelledby="security-heading" class="panel">
                            <h2 id="security-heading">"Security"</h2>
                            <SecurityForm s action value/>
                        </section>
                    })),
                    Ok(None) => None,
                    Err(error) => Some(Either::Right(error_view(error))),
                }
            })}
        </Suspense>
    }
}

/// The page's resource for [`SecuritySettingsSection`].
pub fn settings_resource() -> Gated<SecuritySettingsView> {
    Resource::new(|| (), |_| if_allowed(Permission::ManageClinic, security_settings))
}

/// The page's resource for [`ClinicEventsSection`].
pub fn events_resource() -> Gated<Vec<crate::security_api::SecurityEventView>> {
    Resource::new(|| (), |_| if_allowed(Permission::ViewAudit, clinic_security_events))
}

#[component]
fn SecurityForm(
    s: SecuritySettingsView,
    action: ServerAction<UpdateSecuritySettings>,
    value: Signal<Option<Result<SecuritySettingsView, AppError>>>,
) -> impl IntoView {
    // No min/max on the inputs: the browser's own bubble would hide the
    // server's message at the field; the hint states the range.
    let (idle_lo, idle_hi) = SecuritySettingsForm::IDLE_RANGE;
    let (glass_lo, glass_hi) = SecuritySettingsForm::BREAK_GLASS_RANGE;
    let idle_error = field_error(value, "idle_timeout_minutes");
    let glass_error = field_error(value, "break_glass_minutes");
    view! {
        <ActionForm action=action>
            <FormAlert value=value/>
            <div class="field checkbox">
                <input type="checkbox" id="field-require_mfa" name="require_mfa" value="on" checked=s.require_mfa/>
                <label for="field-require_mfa">"Require two-step sign-in for all staff"</label>
            </div>
            <div class="field" class:has-error=move || idle_error.get().is_some()>
                <label for="field-idle_timeout_minutes">"Sign out after inactivity (minutes)"</label>
                <p class="hint" id="field-idle_timeout_minutes-hint">{format!("From {idle_lo} to {idle_hi}. A warning appears one minute before.")}</p>
                <input type="text" id="field-idle_timeout_minutes" name="idle_timeout_minutes" required=true
                    value=s.idle_timeout_minutes inputmode="numeric"
                    aria-invalid=move || idle_error.get().is_some().then_some("true")
                    aria-describedby="field-idle_timeout_minutes-hint field-idle_timeout_minutes-error"/>
                <p class="error" id="field-idle_timeout_minutes-error" aria-live="polite">{move || idle_error.get()}</p>
            </div>
            <div class="field" class:has-error=move || glass_error.get().is_some()>
                <label for="field-break_glass_minutes">"Emergency access lasts (minutes)"</label>
                <p class="hint" id="field-break_glass_minutes-hint">{format!("From {glass_lo} to {glass_hi}. How long break-glass opens a restricted record.")}</p>
                <input type="text" id="field-break_glass_minutes" name="break_glass_minutes" required=true
                    value=s.break_glass_minutes inputmode="numeric"
                    aria-invalid=move || glass_error.get().is_some().then_some("true")
                    aria-describedby="field-break_glass_minutes-hint field-break_glass_minutes-error"/>
                <p class="error" id="field-break_glass_minutes-error" aria-live="polite">{move || glass_error.get()}</p>
            </div>
            <button type="submit" disabled=move || action.pending().get()>"Save security settings"</button>
            <p class="status" role="status">{move || matches!(value.get(), Some(Ok(_))).then_some("Security settings saved.")}</p>
        </ActionForm>
    }
}

// ---- The permission matrix ----

/// The one matrix in `ambula_domain::permission`, as a table: a row per
/// permission, a column per staff role; ✓ or — in text, not colour alone.
#[component]
pub fn PermissionMatrix() -> impl IntoView {
    view! {
        <section aria-labelledby="matrix-heading" class="panel">
            <h2 id="matrix-heading">"What each role may do"</h2>
            <div class="table-scroll">
                <table class="data matrix">
                    <caption class="visually-hidden">"Permissions by role"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Permission"</th>
                            {Role::STAFF.iter().map(|r| view! { <th scope="col">{r.label()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {Permission::ALL.iter().map(|p| view! {
                            <tr>
                                <th scope="row">{p.label()}</th>
                                {Role::STAFF.iter().map(|r| {
                                    let yes = r.can(*p);
                                    view! {
                                        <td class:yes=yes>
                                            <span aria-hidden="true">{if yes { "✓" } else { "—" }}</span>
                                            <span class="visually-hidden">{if yes { "Yes" } else { "No" }}</span>
                                        </td>
                                    }
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

// ---- Staff actions ----

/// The staff management actions, created once by the staff section so that
/// the list reloads after any of them.
#[derive(Clone, Copy)]
pub struct StaffActions {
    pub role: ServerAction<ChangeStaffRole>,
    pub deactivate: ServerAction<DeactivateStaff>,
    pub reactivate: ServerAction<ReactivateStaff>,
    pub reset_mfa: ServerAction<ResetStaffMfa>,
    /// The action waiting for confirmation.
    pub pending: RwSignal<Option<PendingOp>>,
}

impl StaffActions {
    pub fn new() -> Self {
        Self {
            role: ServerAction::new(),
            deactivate: ServerAction::new(),
            reactivate: ServerAction::new(),
            reset_mfa: ServerAction::new(),
            pending: RwSignal::new(None),
        }
    }

    /// Changes whenever one of the actions completes.
    pub fn version(&self) -> usize {
        self.role.version().get() + self.deactivate.version().get() + self.reactivate.version().get() + self.reset_mfa.version().get()
    }
}

impl Default for StaffActions {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum StaffOp {
    Role(Role),
    Deactivate,
    Reactivate,
    ResetMfa,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PendingOp {
    pub membership_id: String,
    pub name: String,
    pub op: StaffOp,
}

/// The action buttons of one staff member's row.
#[component]
pub fn StaffRowActions(member: StaffRow, actions: StaffActions) -> impl IntoView {
    if member.is_me || member.role == Role::Owner {
        return Either::Left(view! { <span class="hint">{if member.is_me { "You" } else { "Owner" }}</span> });
    }
    let choice = RwSignal::new(member.role);
    let select_id = format!("role-{}", member.membership_id);
    let (id, name) = (member.membership_id.clone(), member.name.clone());
    let ask = move |op: StaffOp| {
        let (id, name) = (id.clone(), name.clone());
        move |_| actions.pending.set(Some(PendingOp { membership_id: id.clone(), name: name.clone(), op: op.clone() }))
    };
    let ask_role = {
        let (id, name) = (member.membership_id.clone(), member.name.clone());
        move |_| actions.pending.set(Some(PendingOp { membership_id: id.clone(), name: name.clone(), op: StaffOp::Role(choice.get()) }))
    };
    Either::Right(view! {
        <div class="row-actions">
            <label class="visually-hidden" for=select_id.clone()>{format!("New role for {}", member.name)}</label>
            <select id=select_id on:change=move |ev| {
                if let Ok(role) = Role::parse(&event_target_value(&ev)) { choice.set(role) }
            }>
                {Role::INVITABLE.iter().map(|r| view! { <option value=r.as_str() selected=*r == member.role>{r.label()}</option> }).collect_view()}
            </select>
            <button type="button" class="secondary small" on:click=ask_role>"Change role"</button>
            {if member.active {
                Either::Left(view! { <button type="button" class="secondary small danger" on:click=ask(StaffOp::Deactivate)>"Deactivate"</button> })
            } else {
                Either::Right(view! { <button type="button" class="secondary small" on:click=ask(StaffOp::Reactivate)>"Reactivate"</button> })
            }}
            {member.mfa_enabled.then(|| view! { <button type="button" class="secondary small" on:click=ask(StaffOp::ResetMfa)>"Require new two-step set-up"</button> })}
        </div>
    })
}

fn error_text(error: &AppError) -> String {
    match error {
        AppError::Invalid(errors) => errors.0.values().cloned().collect::<Vec<_>>().join(" "),
        other => other.summary(),
    }
}

/// Asks before a staff action runs, then shows how it went.
#[component]
pub fn StaffConfirm(actions: StaffActions) -> impl IntoView {
    let confirm_button = NodeRef::<html::Button>::new();
    // Focus moves to the question so keyboard and screen-reader users meet it.
    Effect::new(move |_| {
        if actions.pending.with(Option::is_some) {
            if let Some(button) = confirm_button.get() {
                let _ = button.focus();
            }
        }
    });
    // A finished action closes the question.
    Effect::new(move |_| {
        actions.version();
        actions.pending.set(None);
    });
    let outcome = move || {
        let results = [
            actions.role.value().get().map(|r| r.map(|_| "Role changed. They sign in again under the new role.")),
            actions.deactivate.value().get().map(|r| r.map(|_| "Deactivated. Their sessions have ended.")),
            actions.reactivate.value().get().map(|r| r.map(|_| "Reactivated. They can sign in again.")),
            actions.reset_mfa.value().get().map(|r| r.map(|_| "Done. They set up a new authenticator before they work in this clinic again.")),
        ];
        results.into_iter().flatten().last()
    };
    view! {
        <div role="status" class="status">
            {move || match outcome() {
                Some(Ok(text)) => Some(view! { <p>{text}</p> }),
                _ => None,
            }}
        </div>
        <div role="alert" class="form-alert">
            {move || match outcome() {
                Some(Err(error)) => Some(view! { <p>{error_text(&error)}</p> }),
                _ => None,
            }}
        </div>
        {move || actions.pending.get().map(|p| {
            let question = match &p.op {
                StaffOp::Role(role) => format!("Change the role of {} to {}? They are signed out and sign in again under the new role.", p.name, role.label()),
                StaffOp::Deactivate => format!("Deactivate {}? They are signed out of this clinic at once and cannot sign in to it.", p.name),
                StaffOp::Reactivate => format!("Reactivate {}? They can sign in to this clinic again.", p.name),
                StaffOp::ResetMfa => format!("Require {} to set up a new authenticator for this clinic? Their sessions here end; their account elsewhere is not changed.", p.name),
            };
            let id = p.membership_id.clone();
            let form = match p.op {
                StaffOp::Role(role) => Either::Left(Either::Left(view! {
                    <ActionForm action=actions.role>
                        <input type="hidden" name="membership_id" value=id/>
                        <input type="hidden" name="role" value=role.as_str()/>
                        <button type="submit" node_ref=confirm_button>"Yes, change role"</button>
                    </ActionForm>
                })),
                StaffOp::Deactivate => Either::Left(Either::Right(view! {
                    <ActionForm action=actions.deactivate>
                        <input type="hidden" name="membership_id" value=id/>
                        <button type="submit" class="danger" node_ref=confirm_button>"Yes, deactivate"</button>
                    </ActionForm>
                })),
                StaffOp::Reactivate => Either::Right(Either::Left(view! {
                    <ActionForm action=actions.reactivate>
                        <input type="hidden" name="membership_id" value=id/>
                        <button type="submit" node_ref=confirm_button>"Yes, reactivate"</button>
                    </ActionForm>
                })),
                StaffOp::ResetMfa => Either::Right(Either::Right(view! {
                    <ActionForm action=actions.reset_mfa>
                        <input type="hidden" name="membership_id" value=id/>
                        <button type="submit" node_ref=confirm_button>"Yes, reset"</button>
                    </ActionForm>
                })),
            };
            view! {
                <div class="confirm" role="group" aria-labelledby="staff-confirm-question">
                    <p id="staff-confirm-question">{question}</p>
                    <div class="actions">
                        {form}
                        <button type="button" class="secondary" on:click=move |_| actions.pending.set(None)>"Cancel"</button>
                    </div>
                </div>
            }
        })}
    }
}

// ---- The clinic's security events ----

#[component]
pub fn ClinicEventsSection(events: Gated<Vec<crate::security_api::SecurityEventView>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(Some(list)) => Some(Either::Left(view! {
                        <section aria-labelledby="clinic-events-heading" class="panel">
                            <h2 id="clinic-events-heading">"Security events"</h2>
                            <EventsTable list caption="Security events of this clinic's staff" show_person=true/>
                        </section>
                    })),
                    Ok(None) => None,
                    Err(error) => Some(Either::Right(error_view(error))),
                }
            })}
        </Suspense>
    }
}

// ---- The audit viewer ----

/// Actions the audit trail records, for the filter.
const AUDIT_ACTIONS: &[&str] = &[
    "patient.read", "patient.search", "patient.create", "patient.update", "patient.break_glass",
    "document.upload", "document.read", "appointment.create", "appointment.move", "calendar.read",
    "waitlist.create", "waitlist.read", "waitlist.offer", "waitlist.delete",
    "staff.invite", "staff.add", "staff.role_change", "staff.deactivate", "staff.reactivate", "staff.mfa_reset",
    "clinic.create", "clinic.profile_update", "clinic.security_settings",
    "audit.search", "audit.export",
];

/// Rows per page: the server's page size (`audit_log::PAGE_SIZE`).
const AUDIT_PAGE_SIZE: usize = 100;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    user: String,
    patient: String,
    action: String,
    from: String,
    until: String,
    page: u32,
}

impl Filters {
    fn form(&self) -> AuditFilterForm {
        AuditFilterForm {
            user: self.user.clone(),
            patient: self.patient.clone(),
            action: self.action.clone(),
            from: self.from.clone(),
            until: self.until.clone(),
            sort: String::new(),
            page: self.page.to_string(),
        }
    }

    /// The CSV export with the same filters (all pages).
    fn csv_href(&self) -> String {
        let pairs = [("user", &self.user), ("patient", &self.patient), ("action", &self.action), ("from", &self.from), ("until", &self.until)];
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
            .collect();
        if query.is_empty() {
            "/api/audit.csv".to_owned()
        } else {
            format!("/api/audit.csv?{}", query.join("&"))
        }
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The audit viewer's state, created at the page's top level.
#[derive(Clone, Copy)]
pub struct AuditState {
    applied: RwSignal<Filters>,
    entries: Gated<AuditPage>,
}

impl AuditState {
    pub fn new() -> Self {
        let applied = RwSignal::new(Filters::default());
        let entries = Resource::new(move || applied.get(), |f| {
            if_allowed(Permission::ViewAudit, move || audit_entries(f.form(), NoExtraFields))
        });
        Self { applied, entries }
    }
}

impl Default for AuditState {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub fn AuditViewer(staff: Vec<StaffRow>, can_export: bool, state: AuditState) -> impl IntoView {
    let draft = RwSignal::new(Filters::default());
    let AuditState { applied, entries } = state;
    let error = move |name: &'static str| {
        Signal::derive(move || entries.get().and_then(Result::err).and_then(|e| e.field(name)))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(Filters { page: 0, ..draft.get() });
    };
    let mut people: Vec<(String, String)> = staff.into_iter().map(|s| (s.user_id, s.name)).collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    people.dedup();
    view! {
        <section aria-labelledby="audit-heading" class="panel">
            <h2 id="audit-heading">"Audit trail"</h2>
            <form class="audit-filters" on:submit=submit aria-label="Filter the audit trail">
                <FilterField label="Person" id="audit-user" error=error("user")>
                    <select id="audit-user" on:change=move |ev| draft.update(|d| d.user = event_target_value(&ev))>
                        <option value="">"Anyone"</option>
                        {people.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </FilterField>
                <FilterField label="Patient ID" id="audit-patient" error=error("patient")>
                    <input id="audit-patient" type="text" autocomplete="off" spellcheck="false"
                        on:change=move |ev| draft.update(|d| d.patient = event_target_value(&ev))/>
                </FilterField>
                <FilterField label="Action" id="audit-action" error=error("action")>
                    <select id="audit-action" on:change=move |ev| draft.update(|d| d.action = event_target_value(&ev))>
                        <option value="">"Any action"</option>
                        {AUDIT_ACTIONS.iter().map(|a| view! { <option value=*a>{*a}</option> }).collect_view()}
                    </select>
                </FilterField>
                <FilterField label="From" id="audit-from" error=error("from")>
                    <input id="audit-from" type="date" on:change=move |ev| draft.update(|d| d.from = event_target_value(&ev))/>
                </FilterField>
                <FilterField label="Until" id="audit-until" error=error("until")>
                    <input id="audit-until" type="date" on:change=move |ev| draft.update(|d| d.until = event_target_value(&ev))/>
                </FilterField>
                <div class="filter-actions">
                    <button type="submit">"Show entries"</button>
                    {can_export.then(|| view! {
                        <a class="button secondary" href=move || applied.get().csv_href() download="" rel="external">"Export CSV"</a>
                    })}
                </div>
            </form>
            <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(Some(page)) => Either::Left(view! { <AuditTable page applied/> }),
                        Ok(None) => Either::Right(Either::Right(error_view(AppError::Forbidden))),
                        Err(AppError::Invalid(_)) => Either::Right(Either::Left(view! {
                            <p class="form-alert" role="alert">"Please correct the filters marked above."</p>
                        })),
                        Err(error) => Either::Right(Either::Right(error_view(error))),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn FilterField(label: &'static str, id: &'static str, error: Signal<Option<String>>, children: Children) -> impl IntoView {
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id>{label}</label>
            {children()}
            <p class="error" aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

#[component]
fn AuditTable(page: AuditPage, applied: RwSignal<Filters>) -> impl IntoView {
    let current = applied.get_untracked().page;
    let has_next = page.rows.len() >= AUDIT_PAGE_SIZE;
    let count = page.rows.len();
    view! {
        <p class:chain-ok=page.chain_ok class:form-alert=!page.chain_ok role="note">{page.chain}</p>
        <p class="hint">{format!("Page {} · {count} entries shown, newest first", current + 1)}</p>
        <div class="table-scroll">
            <table class="data audit">
                <caption class="visually-hidden">"Audit trail entries"</caption>
                <thead>
                    <tr>
                        <th scope="col">"#"</th><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th>
                        <th scope="col">"Outcome"</th><th scope="col">"Patient"</th><th scope="col">"Record"</th>
                        <th scope="col">"From"</th><th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.rows.into_iter().map(|r| view! {
                        <tr class:break-glass=r.break_glass>
                            <td>{r.seq}</td><td>{r.at}</td><td>{r.actor}</td>
                            <td>{r.action}{r.break_glass.then(|| view! { <span class="badge warn">"Break-glass"</span> })}</td>
                            <td>{r.outcome}</td><td class="id">{r.patient}</td><td class="id">{r.record}</td>
                            <td>{r.ip}</td><td>{r.detail}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Audit pages">
            <button type="button" class="secondary" disabled=current == 0
                on:click=move |_| applied.update(|f| f.page = f.page.saturating_sub(1))>"Previous page"</button>
            <button type="button" class="secondary" disabled=!has_next
                on:click=move |_| applied.update(|f| f.page += 1)>"Next page"</button>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_link_carries_the_filters_encoded() {
        let filters = Filters { action: "patient.break_glass".into(), from: "2026-11-01".into(), user: "a b&c".into(), page: 3, ..Default::default() };
        assert_eq!(filters.csv_href(), "/api/audit.csv?user=a%20b%26c&action=patient.break_glass&from=2026-11-01");
        assert_eq!(Filters::default().csv_href(), "/api/audit.csv");
        assert_eq!(filters.form().page, "3");
    }

    #[test]
    fn every_audit_filter_action_parses() {
        for action in AUDIT_ACTIONS {
            let form = AuditFilterForm { action: (*action).to_owned(), ..Default::default() };
            assert!(form.parse().is_ok(), "{action}");
        }
    }
}
