//! The steps around the password: the MFA code after it, the forced MFA
//! set-up when the clinic requires it, and the password reset by email.
//! `MfaSetup` is shared with the account page.

use super::public::{check_password, AuthLayout};
use crate::{
    components::{field_error, last_result, Field, FormAlert},
    security_api::{
        mfa_begin, pending_sign_in, EnrolmentView, MfaConfirm, RequestPasswordReset, ResetPassword, VerifyMfa,
    },
};
use leptos::{either::Either, prelude::*};
use leptos_router::{
    components::{Redirect, A},
    hooks::use_params_map,
};

fn check_code(v: &str) -> Option<String> {
    ambula_domain::security::MfaCodeForm { code: v.to_owned() }.parse().err().and_then(|e| e.get("code").map(str::to_owned))
}

/// An SVG document as a `data:` URL for an `<img>`: the picture cannot run
/// anything, and no inline markup or style meets the page's CSP.
pub fn svg_data_url(svg: &str) -> String {
    let mut out = String::from("data:image/svg+xml,");
    for b in svg.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' | b',' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The manual key in groups of four, as authenticator apps show it.
fn grouped(key: &str) -> String {
    key.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

#[component]
pub fn MfaCodePage() -> impl IntoView {
    let pending = Resource::new(|| (), |_| pending_sign_in());
    let action = ServerAction::<VerifyMfa>::new();
    let value = last_result(action);
    view! {
        <AuthLayout title="Enter your sign-in code">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(p) if p.stage == "enrol" => Either::Left(view! { <Redirect path="/sign-in/set-up-mfa"/> }),
                        Ok(p) => Either::Right(Either::Left(view! {
                            <p class="lead">"Signing in as " <strong>{p.email}</strong> " at " {p.clinic_name} "."</p>
                        })),
                        Err(_) => Either::Right(Either::Right(view! {
                            <p class="form-alert" role="alert">"This sign-in has expired. Sign in again with your password."</p>
                        })),
                    }
                })}
            </Suspense>
            <ActionForm action=action>
                <FormAlert value=value/>
                <Field label="Code" name="code" autocomplete="one-time-code"
                    hint="The 6-digit code from your authenticator app, or one of your recovery codes."
                    check=check_code server_error=field_error(value, "code")/>
                <button type="submit" disabled=move || action.pending().get()>"Continue"</button>
            </ActionForm>
            <p class="switch"><A href="/sign-in">"Start again"</A></p>
        </AuthLayout>
    }
}

#[component]
pub fn EnrolMfaPage() -> impl IntoView {
    let pending = Resource::new(|| (), |_| pending_sign_in());
    view! {
        <AuthLayout title="Set up two-step sign-in">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(p) => Either::Left(view! {
                            <p class="lead">
                                {p.clinic_name} " asks everyone to sign in with a code from their phone as well as a password. "
                                "Set it up once for " <strong>{p.email}</strong> " to continue."
                            </p>
                            <MfaSetup continue_to="/app"/>
                        }),
                        Err(_) => Either::Right(view! {
                            <p class="form-alert" role="alert">"This sign-in has expired. Sign in again with your password."</p>
                            <p><A href="/sign-in">"Sign in"</A></p>
                        }),
                    }
                })}
            </Suspense>
        </AuthLayout>
    }
}

/// Scan (or type) the secret, confirm with a code, then see the recovery
/// codes once. `continue_to`: where to go afterwards (a full page load: the
/// session was just replaced).
#[component]
pub fn MfaSetup(#[prop(optional)] continue_to: Option<&'static str>) -> impl IntoView {
    let enrolment = Resource::new(|| (), |_| mfa_begin());
    let action = ServerAction::<MfaConfirm>::new();
    let value = last_result(action);
    let done = Memo::new(move |_| matches!(value.get(), Some(Ok(_))));
    move || {
        if done.get() {
            let codes = value.get_untracked().and_then(Result::ok).unwrap_or_default();
            Either::Left(view! { <RecoveryCodes codes continue_to/> })
        } else {
            Either::Right(view! {
                <Suspense fallback=|| view! { <p class="loading">"Preparing your code…"</p> }>
                    {move || Suspend::new(async move {
                        match enrolment.await {
                            Ok(e) => Either::Left(view! { <EnrolmentSteps enrolment=e/> }),
                            Err(error) => Either::Right(view! {
                                <p class="form-alert" role="alert">{error.field("code").unwrap_or_else(|| error.summary())}</p>
                            }),
                        }
                    })}
                </Suspense>
                <ActionForm action=action attr:class="mfa-confirm">
                    <FormAlert value=value/>
                    <Field label="Code from your app" name="code" form="mfa" autocomplete="one-time-code"
                        hint="Enter the 6-digit number the app shows now."
                        check=check_code server_error=field_error(value, "code")/>
                    <button type="submit" disabled=move || action.pending().get()>"Turn on two-step sign-in"</button>
                </ActionForm>
            })
        }
    }
}

#[component]
fn EnrolmentSteps(enrolment: EnrolmentView) -> impl IntoView {
    view! {
        <ol class="steps">
            <li>"Install an authenticator app on your phone (for example FreeOTP, Aegis, Google or Microsoft Authenticator)."</li>
            <li>
                "Scan this code with the app:"
                <img class="qr" src=svg_data_url(&enrolment.qr_svg) width="200" height="200"
                    alt="QR code that adds Ambula to your authenticator app"/>
                "Or type this key into the app: "
                <code class="manual-key" id="manual-key">{grouped(&enrolment.manual_key)}</code>
            </li>
            <li>"Enter the code the app shows."</li>
        </ol>
    }
}

#[component]
fn RecoveryCodes(codes: Vec<String>, continue_to: Option<&'static str>) -> impl IntoView {
    view! {
        <div class="recovery" role="status">
            <p><strong>"Two-step sign-in is on."</strong></p>
            <h2 id="recovery-heading">"Your recovery codes"</h2>
            <p>
                "If you lose your phone, each of these codes lets you sign in once. "
                "Print them or keep them in a password manager now: they are not shown again."
            </p>
            <ul class="recovery-codes" aria-labelledby="recovery-heading">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
        </div>
        {continue_to.map(|href| view! { <a class="button" href=href rel="external">"I have saved them, continue"</a> })}
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let value = last_result(action);
    let done = Memo::new(move |_| matches!(value.get(), Some(Ok(_))));
    view! {
        <AuthLayout title="Reset your password">
            {move || if done.get() {
                Either::Left(view! {
                    <p class="notice" role="status">
                        "If an Ambula account uses that email, we have sent it a link to choose a new password. "
                        "The link works once and expires soon. Check your spam folder if nothing arrives."
                    </p>
                })
            } else {
                Either::Right(view! {
                    <p class="lead">"Enter the email you sign in with. We will email you a link to choose a new password."</p>
                    <ActionForm action=action>
                        <FormAlert value=value/>
                        <Field label="Email" name="email" kind="email" autocomplete="username"
                            check=super::public::check_email server_error=field_error(value, "email")/>
                        <button type="submit" disabled=move || action.pending().get()>"Send reset link"</button>
                    </ActionForm>
                })
            }}
            <p class="switch"><A href="/sign-in">"Back to sign-in"</A></p>
        </AuthLayout>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let action = ServerAction::<ResetPassword>::new();
    let value = last_result(action);
    let done = Memo::new(move |_| matches!(value.get(), Some(Ok(_))));
    view! {
        <AuthLayout title="Choose a new password">
            {move || if done.get() {
                Either::Left(view! {
                    <p class="notice" role="status">"Your password has been changed and every session of your account was signed out."</p>
                    <p><A href="/sign-in" attr:class="button">"Sign in"</A></p>
                })
            } else {
                Either::Right(view! {
                    <ActionForm action=action>
                        <FormAlert value=value/>
                        <input type="hidden" name="token" value=token/>
                        <Field label="New password" name="password" kind="password" autocomplete="new-password"
                            hint="At least 12 characters. A few unrelated words make a strong one."
                            check=check_password server_error=field_error(value, "password")/>
                        <button type="submit" disabled=move || action.pending().get()>"Change password"</button>
                    </ActionForm>
                })
            }}
        </AuthLayout>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_becomes_an_inert_data_url() {
        let url = svg_data_url(r##"<svg xmlns="http://www.w3.org/2000/svg"><path fill="#000" d="M0 0h1"/></svg>"##);
        assert!(url.starts_with("data:image/svg+xml,%3Csvg%20xmlns%3D"));
        // Nothing that could end the attribute or start markup survives.
        assert!(!url[19..].contains(['<', '>', '"', '#', '\'', ' ', '+']), "{url}");
    }

    #[test]
    fn manual_key_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
