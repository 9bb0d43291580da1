//! The staff app: the shell with navigation, and its pages.

use super::session_ui::{ClinicSwitcher, IdleWatch};
use crate::{
    api::{me, ClinicProfileData, InviteStaff, SignOut, UpdateClinicProfile},
    components::{field_error, last_result, time_zone_options, Field, FormAlert, SelectField},
    error::AppError,
};
use super::security::{
    events_resource, settings_resource, AuditState, AuditViewer, ClinicEventsSection, PermissionMatrix, SecuritySettingsSection,
    StaffActions, StaffConfirm, StaffRowActions,
};
use ambula_domain::{accounts::parse_phone, ClinicName, EmailAddress, Permission, Role};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect, A};

/// Sends the browser to sign-in when the session is gone, else shows the error.
///
/// Branches use `Either` rather than `into_any()` throughout the app: a type-
/// erased view carries every rendering method in its vtable, so all of them
/// end up in the wasm bundle; `Either` lets unused ones be dropped.
pub(crate) fn error_view(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthenticated => Either::Left(view! { <Redirect path="/sign-in"/> }),
        other => Either::Right(view! { <p class="form-alert" role="alert">{other.summary()}</p> }),
    }
}

#[component]
pub fn StaffShell() -> impl IntoView {
    let me = Resource::new(|| (), |_| me());
    let clinics = Resource::new(|| (), |_| crate::security_api::my_clinics());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app-shell">
            <header class="topbar">
                <A href="/app" attr:class="brand">"Ambula"</A>
                <Suspense fallback=|| view! { <span class="who">"…"</span> }>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(me) => Either::Left(view! {
                                <span class="clinic-name">{me.clinic_name}</span>
                                <span class="who">{me.name} <span class="role">{me.role.label()}</span></span>
                                <IdleWatch minutes=me.idle_timeout_minutes/>
                            }),
                            Err(error) => Either::Right(error_view(error)),
                        }
                    })}
                </Suspense>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        clinics.await.ok().map(|clinics| view! { <ClinicSwitcher clinics/> })
                    })}
                </Suspense>
                <A href="/app/account" attr:class="account-link">"Account"</A>
                <ActionForm action=sign_out attr:class="sign-out">
                    <button type="submit" class="secondary">"Sign out"</button>
                </ActionForm>
            </header>
            <nav class="sidebar" aria-label="Main">
                <ul>
                    <li><A href="/app" exact=true>"Dashboard"</A></li>
                    <li><A href="/app/calendar">"Calendar"</A></li>
                    <li><A href="/app/patients">"Patients"</A></li>
                    <li><A href="/app/billing">"Billing"</A></li>
                    <li><A href="/app/insights">"Insights"</A></li>
                    <li><A href="/app/settings">"Settings"</A></li>
                </ul>
            </nav>
            <main id="main" class="content" tabindex="-1">
                <Outlet/>
            </main>
        </div>
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| crate::api::dashboard());
    view! {
        <Title text="Dashboard · Ambula"/>
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => Either::Left(view! {
                        <p class="lead">{d.clinic_name} " · times in " {d.time_zone}</p>
                        <ul class="cards" aria-label="Today at a glance">
                            <li class="card"><span class="figure">{d.appointments_today}</span><span class="caption">"appointments today"</span></li>
                            <li class="card"><span class="figure">{d.patients}</span><span class="caption">"patients"</span></li>
                            <li class="card"><span class="figure">{d.practitioners}</span><span class="caption">"practitioners"</span></li>
                            {d.outstanding.map(|owed| view! {
                                <li class="card"><span class="figure">{owed}</span><span class="caption">"outstanding on invoices"</span></li>
                            })}
                        </ul>
                        <h2>"Go to"</h2>
                        <ul class="quick-links">
                            <li><A href="/app/calendar">"Today's calendar"</A></li>
                            <li><A href="/app/patients">"Find a patient"</A></li>
                            <li><A href="/app/billing">"Open invoices"</A></li>
                            <li><A href="/app/settings">"Clinic settings and staff"</A></li>
                        </ul>
                    }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Suspense>
    }
}

fn check_clinic(v: &str) -> Option<String> {
    ClinicName::parse(v).err().map(|e| e.0)
}
fn check_email(v: &str) -> Option<String> {
    EmailAddress::parse(v).err().map(|e| e.0)
}
fn check_phone(v: &str) -> Option<String> {
    parse_phone(v).err().map(|e| e.0)
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    // Every resource of the page is created here, at the top level: one
    // created inside a `Suspend` while the page streamed stalled the SSR
    // response of a full load.
    let profile = Resource::new(|| (), |_| crate::api::clinic_profile());
    let me = Resource::new(|| (), |_| me());
    let invite = ServerAction::<InviteStaff>::new();
    let actions = StaffActions::new();
    let staff = Resource::new(move || (invite.version().get(), actions.version()), |_| crate::api::staff_list());
    let settings = settings_resource();
    let events = events_resource();
    let audit = AuditState::new();
    view! {
        <Title text="Settings · Ambula"/>
        <h1>"Settings"</h1>
        <Suspense fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok((data, can_manage)) => Either::Left(view! { <ProfileSection data can_manage/> }),
                    Err(error) => Either::Right(error_view(error)),
                }
            })}
        </Suspense>
        <StaffSection invite actions staff/>
        <SecuritySettingsSection settings/>
        <PermissionMatrix/>
        <ClinicEventsSection events/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let role = me.await.ok()?.role;
                let list = staff.await.ok()?;
                role.can(Permission::ViewAudit)
                    .then(|| view! { <AuditViewer staff=list.staff can_export=role.can(Permission::ExportData) state=audit/> })
            })}
        </Suspense>
    }
}

#[component]
fn ProfileSection(data: ClinicProfileData, can_manage: bool) -> impl IntoView {
    let action = ServerAction::<UpdateClinicProfile>::new();
    let value = last_result(action);
    let saved = move || matches!(value.get(), Some(Ok(_)));
    view! {
        <section aria-labelledby="profile-heading" class="panel">
            <h2 id="profile-heading">"Clinic profile"</h2>
            {if can_manage {
                Either::Left(view! {
                    <ActionForm action=action>
                        <FormAlert value=value/>
                        <Field label="Clinic name" name="name" value=data.name.clone() autocomplete="organization" check=check_clinic server_error=field_error(value, "name")/>
                        <SelectField label="Time zone" name="time_zone" options=time_zone_options(&data.time_zone) selected=data.time_zone.clone()
                            hint="Appointments and reports use this time zone." server_error=field_error(value, "time_zone")/>
                        <Field label="Phone" name="phone" kind="tel" value=data.phone.clone() required=false autocomplete="tel" check=check_phone server_error=field_error(value, "phone")/>
                        <Field label="Email for patients" name="email" kind="email" value=data.email.clone() required=false autocomplete="email" check=check_email server_error=field_error(value, "email")/>
                        <div class="field" class:has-error=move || field_error(value, "address").get().is_some()>
                            <label for="field-address">"Address" <span class="optional">" (optional)"</span></label>
                            <textarea id="field-address" name="address" rows="3" autocomplete="street-address"
                                aria-describedby="field-address-error">{data.address.clone()}</textarea>
                            <p class="error" id="field-address-error" aria-live="polite">{move || field_error(value, "address").get()}</p>
                        </div>
                        <Field label="Tax registration number" name="tax_number" value=data.tax_number.clone() required=false
                            hint="Printed on invoices, receipts and statements, like PT 123 456 789." server_error=field_error(value, "tax_number")/>
                        <button type="submit" disabled=move || action.pending().get()>"Save profile"</button>
                        <p class="status" role="status">{move || saved().then_some("Profile saved.")}</p>
                    </ActionForm>
                })
            } else {
                Either::Right(view! {
                    <dl class="profile">
                        <dt>"Name"</dt><dd>{data.name.clone()}</dd>
                        <dt>"Time zone"</dt><dd>{data.time_zone.clone()}</dd>
                        <dt>"Phone"</dt><dd>{data.phone.clone()}</dd>
                        <dt>"Email"</dt><dd>{data.email.clone()}</dd>
                        <dt>"Address"</dt><dd class="address">{data.address.clone()}</dd>
                        <dt>"Tax registration number"</dt><dd>{data.tax_number.clone()}</dd>
                    </dl>
                    <p class="hint">"Only owners and administrators can change the clinic profile."</p>
                })
            }}
        </section>
    }
}

#[component]
fn StaffSection(
    invite: ServerAction<InviteStaff>,
    actions: StaffActions,
    staff: Resource<Result<crate::api::Staff, AppError>>,
) -> impl IntoView {
    let value = last_result(invite);
    let role_options: Vec<(String, String)> = std::iter::once((String::new(), "Choose a role…".to_owned()))
        .chain(Role::INVITABLE.iter().map(|r| (r.as_str().to_owned(), r.label().to_owned())))
        .collect();
    view! {
        <section aria-labelledby="staff-heading" class="panel">
            <h2 id="staff-heading">"Staff"</h2>
            <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match staff.await {
                        Ok(list) => Either::Left(view! {
                            <div class="table-scroll">
                            <table class="staff">
                                <caption class="visually-hidden">"Staff members of this clinic"</caption>
                                <thead><tr>
                                    <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Status"</th>
                                    {list.can_manage.then(|| view! { <th scope="col">"Actions"</th> })}
                                </tr></thead>
                                <tbody>
                                    {list.staff.into_iter().map(|s| view! {
                                        <tr>
                                            <td>{s.name.clone()}</td><td>{s.email.clone()}</td><td>{s.role.label()}</td>
                                            <td>{if s.active { "Active" } else { "Deactivated" }}</td>
                                            {list.can_manage.then(|| view! { <td><StaffRowActions member=s.clone() actions/></td> })}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                            {(!list.pending.is_empty()).then(|| view! {
                                <h3>"Invitations waiting"</h3>
                                <ul class="pending">
                                    {list.pending.into_iter().map(|p| view! {
                                        <li>{p.email} " · " {p.role.label()} " · expires " {p.expires}</li>
                                    }).collect_view()}
                                </ul>
                            })}
                        }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Transition>
            <StaffConfirm actions/>
            <h3>"Invite a staff member"</h3>
            <ActionForm action=invite>
                <FormAlert value=value/>
                <div class="inline-fields">
                    <Field label="Email" name="email" form="invite" kind="email" autocomplete="off" check=check_email server_error=field_error(value, "email")/>
                    <SelectField label="Role" name="role" form="invite" options=role_options server_error=field_error(value, "role")/>
                </div>
                <button type="submit" disabled=move || invite.pending().get()>"Send invitation"</button>
            </ActionForm>
            <div role="status" class="status">
                {move || match value.get() {
                    Some(Ok(result)) => Some(view! {
                        <p>
                            {if result.emailed { format!("Invitation emailed to {}.", result.email) } else { format!("Invitation created for {}.", result.email) }}
                            " You can also give them this link, which works once and expires in 7 days:"
                        </p>
                        <p><input class="invite-link" readonly=true value=result.link.clone() aria-label="Invitation link"/></p>
                    }),
                    _ => None,
                }}
            </div>
        </section>
    }
}
