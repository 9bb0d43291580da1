//! Pages for people who are not signed in.

use crate::{
    api::{AcceptInvite, AcceptInviteSignedIn, ConfirmSignUp, SignIn, SignUp},
    components::{field_error, last_result, PageReady, time_zone_options, Field, FormAlert, SelectField},
    error::AppError,
};
use ambula_domain::{ClinicName, EmailAddress, Password, PersonName};
use leptos::{either::{Either, EitherOf3}, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

pub(crate) fn check_email(v: &str) -> Option<String> {
    EmailAddress::parse(v).err().map(|e| e.0)
}
pub(crate) fn check_password(v: &str) -> Option<String> {
    Password::parse(v).err().map(|e| e.0)
}
fn check_person(v: &str) -> Option<String> {
    PersonName::parse(v).err().map(|e| e.0)
}
fn check_clinic(v: &str) -> Option<String> {
    ClinicName::parse(v).err().map(|e| e.0)
}

#[component]
pub(crate) fn AuthLayout(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=format!("{title} · Ambula")/>
        <main id="main" class="auth-page">
            <div class="auth-card">
                <p class="brand-mark" aria-hidden="true">"Ambula"</p>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

#[component]
pub fn Landing() -> impl IntoView {
    view! {
        <Title text="Ambula · Clinic management"/>
        <main id="main" class="landing">
            <h1>"Ambula"</h1>
            <p class="lead">"Scheduling, patient charts and billing for your clinic: fast, private and open."</p>
            <div class="actions">
                <A href="/sign-in" attr:class="button">"Sign in"</A>
                <A href="/sign-up" attr:class="button secondary">"Create a clinic account"</A>
            </div>
        </main>
        <PageReady/>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let value = last_result(action);
    view! {
        <AuthLayout title="Sign in">
            <ActionForm action=action>
                <FormAlert value=value/>
                <Field label="Email" name="email" kind="email" autocomplete="username" check=check_email server_error=field_error(value, "email")/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" server_error=field_error(value, "password")/>
                <button type="submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="switch"><A href="/forgot-password">"Forgot your password?"</A></p>
            <p class="switch">"New to Ambula? " <A href="/sign-up">"Create a clinic account"</A></p>
        </AuthLayout>
        <PageReady/>
    }
}

/// The browser's own IANA time zone, e.g. "Europe/Lisbon".
#[cfg(feature = "hydrate")]
fn browser_time_zone() -> Option<String> {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into()).ok()?.as_string()
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let value = last_result(action);
    // Most clinics sign up from where they work: preselect the browser's
    // zone when the list offers it, leaving the choice visible and editable.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        use wasm_bindgen::JsCast;
        let (Some(zone), Some(select)) = (
            browser_time_zone(),
            document().get_element_by_id("field-time_zone").and_then(|e| e.dyn_into::<leptos::web_sys::HtmlSelectElement>().ok()),
        ) else {
            return;
        };
        if select.value().is_empty() {
            select.set_value(&zone);
            // set_value leaves the select empty when the zone is not an option.
        }
    });
    // With verified sign-up the answer is "check your email", whatever the
    // address: the page never says whether it already has an account.
    let sent = Memo::new(move |_| value.get().and_then(Result::ok).and_then(|v| v.check_email));
    view! {
        <AuthLayout title="Create your clinic account">
            <Show when=move || sent.get().is_some()>
                <p class="notice" role="status">
                    "We have sent a link to " <strong>{move || sent.get().unwrap_or_default()}</strong> ". "
                    "Open it to confirm your email and create your clinic; it works once and expires in 24 hours. "
                    "If that address already has an Ambula account, the email says so instead. "
                    "Check your spam folder if nothing arrives."
                </p>
            </Show>
            <ActionForm action=action attr:hidden=move || sent.get().is_some()>
                <FormAlert value=value/>
                <fieldset>
                    <legend>"Your clinic"</legend>
                    <Field label="Clinic name" name="clinic_name" autocomplete="organization" check=check_clinic server_error=field_error(value, "clinic_name")/>
                    <SelectField label="Time zone" name="time_zone" options=time_zone_options("")
                        hint="Appointments are shown in this time zone."
                        server_error=field_error(value, "time_zone")/>
                </fieldset>
                <fieldset>
                    <legend>"You, the owner"</legend>
                    <Field label="Your name" name="owner_name" autocomplete="name" check=check_person server_error=field_error(value, "owner_name")/>
                    <Field label="Email" name="email" kind="email" autocomplete="email" check=check_email server_error=field_error(value, "email")/>
                    <Field label="Password" name="password" kind="password" autocomplete="new-password"
                        hint="At least 12 characters. A few unrelated words make a strong one."
                        check=check_password server_error=field_error(value, "password")/>
                </fieldset>
                <div class="field checkbox" class:has-error=move || field_error(value, "confirm_adult").get().is_some()>
                    <input type="checkbox" id="field-confirm_adult" name="confirm_adult" value="on" required=true
                        aria-describedby="field-confirm_adult-error"/>
                    <label for="field-confirm_adult">"I confirm that I am 18 or older."</label>
                    <p class="error" id="field-confirm_adult-error" aria-live="polite">{move || field_error(value, "confirm_adult").get()}</p>
                </div>
                <button type="submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create clinic account" }}
                </button>
            </ActionForm>
            <p class="switch">"Already have an account? " <A href="/sign-in">"Sign in"</A></p>
        </AuthLayout>
    }
}

/// The link mailed by a verified sign-up. Opening it changes nothing (mail
/// scanners follow links); the button creates the clinic.
#[component]
pub fn ConfirmSignUpPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let info = Resource::new(token, crate::api::sign_up_info);
    let action = ServerAction::<ConfirmSignUp>::new();
    let value = last_result(action);
    view! {
        <AuthLayout title="Create your clinic">
            <Suspense fallback=|| view! { <p class="loading">"Checking your link…"</p> }>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok(clinic) => Either::Left(view! {
                            <p class="lead">"Your email is confirmed. Create " <strong>{clinic}</strong> " and sign in as its owner."</p>
                            <ActionForm action=action>
                                <FormAlert value=value/>
                                <input type="hidden" name="token" value=token()/>
                                <p class="error" role="alert">{move || field_error(value, "token").get()}</p>
                                <button type="submit" disabled=move || action.pending().get()>"Create clinic"</button>
                            </ActionForm>
                        }),
                        Err(_) => Either::Right(view! {
                            <p role="alert">
                                "This link is not valid, has expired or was already used. "
                                <A href="/sign-up">"Sign up again"</A> ", or " <A href="/sign-in">"sign in"</A> " if you already did."
                            </p>
                        }),
                    }
                })}
            </Suspense>
        </AuthLayout>
    }
}

#[component]
pub fn AcceptInvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let info = Resource::new(token, crate::api::invite_info);
    let action = ServerAction::<AcceptInvite>::new();
    let value = last_result(action);
    let join = ServerAction::<AcceptInviteSignedIn>::new();
    let joined = last_result(join);
    view! {
        <AuthLayout title="Join your clinic">
            <Suspense fallback=|| view! { <p class="loading">"Loading invitation…"</p> }>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok(info) => EitherOf3::A(view! {
                            <p class="lead">
                                "You are invited to join " <strong>{info.clinic_name.clone()}</strong>
                                " as " {info.role.label()} "."
                            </p>
                            {match info.signed_in_as.clone() {
                                // Signed in: join as that account (its password and MFA
                                // were proven at sign-in, through the sign-in limits).
                                Some(me) => Either::Left(view! {
                                    <ActionForm action=join>
                                        <FormAlert value=joined/>
                                        <input type="hidden" name="token" value=token()/>
                                        <p>"You are signed in as " <strong>{me}</strong> "."</p>
                                        <p class="error" role="alert">{move || field_error(joined, "token").get()}</p>
                                        <button type="submit" disabled=move || join.pending().get()>"Join clinic"</button>
                                    </ActionForm>
                                }),
                                None => Either::Right(view! {
                                    <ActionForm action=action>
                                        <FormAlert value=value/>
                                        <input type="hidden" name="token" value=token()/>
                                        <div class="field">
                                            <label for="invite-email">"Email"</label>
                                            <input id="invite-email" type="email" value=info.email.clone() readonly=true autocomplete="username"/>
                                        </div>
                                        <Field label="Your name" name="name" autocomplete="name" check=check_person server_error=field_error(value, "name")/>
                                        <Field label="Choose a password" name="password" kind="password" autocomplete="new-password"
                                            hint="At least 12 characters."
                                            check=check_password server_error=field_error(value, "password")/>
                                        <p class="error" role="alert">{move || field_error(value, "token").get()}</p>
                                        <button type="submit" disabled=move || action.pending().get()>"Join clinic"</button>
                                    </ActionForm>
                                    <p class="switch">
                                        "Already use Ambula? " <A href="/sign-in">"Sign in"</A>
                                        " first, then open this invitation link again to join with your account."
                                    </p>
                                }),
                            }}
                        }),
                        Err(AppError::NotFound) => EitherOf3::B(view! {
                            <p role="alert">"This invitation link is not valid. Check that you opened the whole link from the email."</p>
                        }),
                        Err(error) => EitherOf3::C(view! {
                            <p role="alert">{error.field("token").unwrap_or_else(|| error.summary())}</p>
                        }),
                    }
                })}
            </Suspense>
        </AuthLayout>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · Ambula"/>
        <main id="main" class="auth-page">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <A href="/">"Go to the start page"</A>
            </div>
        </main>
        <PageReady/>
    }
}
