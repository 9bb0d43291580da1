//! The signed-in person's own account: password, two-step sign-in, where
//! they are signed in, and what happened to their account.

use super::{auth_steps::MfaSetup, staff::error_view};
use crate::{
    api::me,
    components::{field_error, last_result, Field, FormAlert},
    security_api::{
        my_security_events, my_sessions, ChangePassword, MfaDisable, RevokeSession, SecurityEventView, SessionView,
        SignOutEverywhere,
    },
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Your account · Ambula"/>
        <h1>"Your account"</h1>
        <PasswordSection/>
        <MfaSection/>
        <SessionsSection/>
        <MyEventsSection/>
    }
}

#[component]
fn PasswordSection() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let value = last_result(action);
    view! {
        <section aria-labelledby="password-heading" class="panel">
            <h2 id="password-heading">"Password"</h2>
            <ActionForm action=action>
                <FormAlert value=value/>
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password"
                    server_error=field_error(value, "current_password")/>
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password"
                    hint="At least 12 characters. A few unrelated words make a strong one."
                    check=super::public::check_password server_error=field_error(value, "new_password")/>
                <button type="submit" disabled=move || action.pending().get()>"Change password"</button>
                <p class="status" role="status">
                    {move || matches!(value.get(), Some(Ok(_))).then_some("Password changed.")}
                </p>
            </ActionForm>
        </section>
    }
}

#[component]
fn MfaSection() -> impl IntoView {
    let disable = ServerAction::<MfaDisable>::new();
    let value = last_result(disable);
    let me = Resource::new(move || disable.version().get(), |_| me());
    let setting_up = RwSignal::new(false);
    view! {
        <section aria-labelledby="mfa-heading" class="panel">
            <h2 id="mfa-heading">"Two-step sign-in"</h2>
            <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(me) if me.mfa_enabled => Either::Left(Either::Left(view! {
                            <p>"On: signing in asks for a code from your authenticator app (or a recovery code)."</p>
                            <h3>"Turn two-step sign-in off"</h3>
                            <ActionForm action=disable>
                                <FormAlert value=value/>
                                <Field label="Your password" name="password" form="mfa-off" kind="password"
                                    autocomplete="current-password" server_error=field_error(value, "password")/>
                                <Field label="A current code from your app (or a recovery code)" name="code" form="mfa-off"
                                    autocomplete="one-time-code" server_error=field_error(value, "code")/>
                                <button type="submit" class="secondary" disabled=move || disable.pending().get()>"Turn off"</button>
                            </ActionForm>
                        })),
                        Ok(_) => Either::Left(Either::Right(view! {
                            <div class="status" role="status">
                                {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <p>"Two-step sign-in is off."</p> })}
                            </div>
                            <p>"Off. With two-step sign-in, a stolen password alone cannot open your account."</p>
                            {move || if setting_up.get() {
                                Either::Left(view! { <MfaSetup/> })
                            } else {
                                Either::Right(view! {
                                    <button type="button" on:click=move |_| setting_up.set(true)>"Set up two-step sign-in"</button>
                                })
                            }}
                        })),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A short name for a browser's user agent ("Firefox on Windows").
pub fn device_label(agent: &str) -> String {
    if agent.is_empty() {
        return "Unknown device".to_owned();
    }
    let browser = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
        .into_iter()
        .find(|(token, _)| agent.contains(token))
        .map_or("A browser", |(_, name)| name);
    let system = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux")]
        .into_iter()
        .find(|(token, _)| agent.contains(token))
        .map_or("an unknown system", |(_, name)| name);
    format!("{browser} on {system}")
}

#[component]
fn SessionsSection() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let revoked = last_result(revoke);
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let everywhere_result = last_result(everywhere);
    let sessions = Resource::new(move || revoke.version().get(), |_| my_sessions());
    view! {
        <section aria-labelledby="sessions-heading" class="panel">
            <h2 id="sessions-heading">"Where you are signed in"</h2>
            <FormAlert value=revoked/>
            <Transition fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => Either::Left(view! { <SessionsTable list revoke/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Transition>
            <ActionForm action=everywhere attr:class="inline-action">
                <FormAlert value=everywhere_result/>
                <button type="submit" class="secondary">"Sign out everywhere"</button>
                <p class="hint">"Ends every session of your account, this one included."</p>
            </ActionForm>
        </section>
    }
}

#[component]
fn SessionsTable(list: Vec<SessionView>, revoke: ServerAction<RevokeSession>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="data sessions">
                <caption class="visually-hidden">"Your active sessions"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Device"</th><th scope="col">"IP address"</th><th scope="col">"Clinic"</th>
                        <th scope="col">"Signed in"</th><th scope="col">"Last seen"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|s| {
                        let label = device_label(&s.device);
                        let revoke_label = format!("Sign out {label}, last seen {}", s.last_seen);
                        view! {
                            <tr class:current=s.current>
                                <td title=s.device.clone()>{label}{s.current.then(|| view! { <span class="badge">"This device"</span> })}</td>
                                <td>{s.ip}</td>
                                <td>{s.clinic}</td>
                                <td>{s.started}</td>
                                <td>{s.last_seen}</td>
                                <td>
                                    {(!s.current).then(|| view! {
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="handle" value=s.handle.clone()/>
                                            <button type="submit" class="secondary small" aria-label=revoke_label>"Sign out"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn MyEventsSection() -> impl IntoView {
    let events = Resource::new(|| (), |_| my_security_events());
    view! {
        <section aria-labelledby="my-events-heading" class="panel">
            <h2 id="my-events-heading">"Recent security events"</h2>
            <Suspense fallback=|| view! { <div class="skeleton" aria-busy="true">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(list) => Either::Left(view! { <EventsTable list caption="Security events of your account" show_person=false/> }),
                        Err(error) => Either::Right(error_view(error)),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// What an event kind means, in words.
pub fn event_label(kind: &str) -> String {
    match kind {
        "sign_in" => "Signed in",
        "password_accepted" => "Password accepted, code asked",
        "sign_in_mfa" => "Signed in with a code",
        "sign_in_recovery_code" => "Signed in with a recovery code",
        "sign_in_failed" => "Failed sign-in",
        "signed_out" => "Signed out",
        "signed_out_everywhere" => "Signed out everywhere",
        "session_revoked" => "Session ended",
        "locked_out" => "Locked out after failed attempts",
        "mfa_enabled" => "Two-step sign-in turned on",
        "mfa_disabled" => "Two-step sign-in turned off",
        "mfa_failed" => "Wrong sign-in code",
        "mfa_reset_by_admin" => "Two-step sign-in reset by an administrator",
        "password_changed" => "Password changed",
        "password_reset_requested" => "Password reset requested",
        "password_reset" => "Password reset",
        "role_changed" => "Role changed",
        "clinic_switched" => "Switched clinic",
        "break_glass" => "Emergency access used",
        "access_removed" => "Access removed (deactivated)",
        "access_restored" => "Access restored",
        other => return other.replace('_', " "),
    }
    .to_owned()
}

#[component]
pub fn EventsTable(list: Vec<SecurityEventView>, caption: &'static str, show_person: bool) -> impl IntoView {
    if list.is_empty() {
        return Either::Left(view! { <p>"Nothing recorded yet."</p> });
    }
    Either::Right(view! {
        <div class="table-scroll">
            <table class="data events">
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"When"</th><th scope="col">"What"</th>
                        {show_person.then(|| view! { <th scope="col">"Who"</th> })}
                        <th scope="col">"IP address"</th><th scope="col">"Device"</th><th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|e| view! {
                        <tr>
                            <td>{e.at}</td>
                            <td>{event_label(&e.kind)}</td>
                            {show_person.then(|| view! { <td>{e.person.clone()}</td> })}
                            <td>{e.ip}</td>
                            <td title=e.device.clone()>{device_label(&e.device)}</td>
                            <td>{e.detail}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_get_short_names() {
        let android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(device_label(android), "Chrome on Android");
        assert_eq!(device_label("Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"), "Firefox on Windows");
        assert_eq!(device_label(""), "Unknown device");
        assert_eq!(event_label("sign_in_recovery_code"), "Signed in with a recovery code");
        assert_eq!(event_label("something_new"), "something new");
    }
}
