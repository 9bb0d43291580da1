//! The Leptos application: routes, pages and server functions. Compiled
//! twice: with `hydrate` into the wasm bundle, with `ssr` into the server.
//! Pages only render; server functions in `api` authenticate and call a
//! service in `ambula-backend`.

pub mod api;
pub mod components;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};
use pages::{public::*, staff::*};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#0f5f73"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, after hydration: the marker tells
    // browser tests (and anyone curious) that the page is interactive.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/ambula.css"/>
        <Title text="Ambula"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Landing/>
                <Route path=path!("/sign-in") view=SignInPage/>
                <Route path=path!("/sign-up") view=SignUpPage/>
                <Route path=path!("/invite/:token") view=AcceptInvitePage/>
                // A signed-out request never gets here: the server's session
                // guard redirects /app pages to sign-in before rendering.
                <ParentRoute path=path!("/app") view=StaffShell>
                    <Route path=path!("") view=DashboardPage/>
                    <Route path=path!("calendar") view=CalendarPage/>
                    <Route path=path!("patients") view=PatientsPage/>
                    <Route path=path!("billing") view=BillingPage/>
                    <Route path=path!("settings") view=SettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
