#![recursion_limit = "256"]
//! The Leptos application: routes, pages and server functions. Compiled
//! twice: with `hydrate` into the wasm bundle, with `ssr` into the server.
//! Pages only render; server functions in `api` authenticate and call a
//! service in `ambula-backend`.

pub mod api;
pub mod billing_api;
pub mod chart_api;
pub mod components;
pub mod error;
pub mod feeds_api;
pub mod insights_api;
pub mod meds_api;
pub mod pages;
pub mod registry_api;
pub mod scheduling_api;
pub mod security_api;
pub mod setup_api;
pub mod reminders_api;
pub mod waitlist_api;
pub mod vitals_api;
pub mod results_api;
pub mod documents_api;
#[cfg(feature = "ssr")]
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    lazy_route, path, Lazy, LazyRoute,
};
use pages::{
    account::AccountPage, auth_steps::*, calendar::CalendarPage, calendar_setup::CalendarSetupPage,
    chart::{summary::ChartSummaryPage, ChartShell},
    chart::{notes::ChartNotesPage, print::ChartPrintPage, problems::ChartProblemsPage, timeline::ChartTimelinePage},
    chart::{documents::ChartDocumentsPage, results::ChartResultsPage, vitals::ChartVitalsPage},
    insights::InsightsPage,
    billing::{
        account::{BillingAccountPage, ChartBillingPage}, claims::ClaimsPage, invoice::InvoicePage, new_invoice::NewInvoicePage, receipt::ReceiptPage,
        reports::BillingReportsPage, settings::FeeSettingsPage, BillingPage,
    },
    patients::PatientsPage, public::*, staff::*,
    registry::{import::ImportPatientsPage, register::RegisterPatientPage},
};
use pages::calendar::waitlist::WaitlistPage;
use pages::chart::medications::ChartMedicationsPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // A fresh nonce per response, on the hydration script and in the CSP.
    #[cfg(feature = "ssr")]
    session::content_security_policy();
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

/// Declares a route whose page is code-split: with `cargo leptos build
/// --split` its code goes into a separate wasm file fetched when the route is
/// first visited, so the first page (sign-in) loads only what it needs.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        #[derive(Debug)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> <components::PageReady/> }.into_any()
            }
        }
    };
}

lazy_page!(SignUpRoute, SignUpPage);
lazy_page!(ConfirmSignUpRoute, ConfirmSignUpPage);
lazy_page!(AcceptInviteRoute, AcceptInvitePage);
lazy_page!(DashboardRoute, DashboardPage);
lazy_page!(CalendarRoute, CalendarPage);
lazy_page!(PatientsRoute, PatientsPage);
lazy_page!(BillingRoute, BillingPage);
lazy_page!(SettingsRoute, SettingsPage);
lazy_page!(InsightsRoute, InsightsPage);
lazy_page!(AccountRoute, AccountPage);
lazy_page!(MfaCodeRoute, MfaCodePage);
lazy_page!(EnrolMfaRoute, EnrolMfaPage);
lazy_page!(ForgotPasswordRoute, ForgotPasswordPage);
lazy_page!(ResetPasswordRoute, ResetPasswordPage);
lazy_page!(CalendarSetupRoute, CalendarSetupPage);
lazy_page!(ChartSummaryRoute, ChartSummaryPage);
lazy_page!(RegisterPatientRoute, RegisterPatientPage);
lazy_page!(ImportPatientsRoute, ImportPatientsPage);
lazy_page!(WaitlistRoute, WaitlistPage);
lazy_page!(ChartNotesRoute, ChartNotesPage);
lazy_page!(ChartProblemsRoute, ChartProblemsPage);
lazy_page!(ChartTimelineRoute, ChartTimelinePage);
lazy_page!(ChartPrintRoute, ChartPrintPage);
lazy_page!(ChartMedicationsRoute, ChartMedicationsPage);
lazy_page!(ChartVitalsRoute, ChartVitalsPage);
lazy_page!(ChartResultsRoute, ChartResultsPage);
lazy_page!(ChartDocumentsRoute, ChartDocumentsPage);
lazy_page!(ChartBillingRoute, ChartBillingPage);
lazy_page!(NewInvoiceRoute, NewInvoicePage);
lazy_page!(InvoiceRoute, InvoicePage);
lazy_page!(ReceiptRoute, ReceiptPage);
lazy_page!(BillingAccountRoute, BillingAccountPage);
lazy_page!(BillingReportsRoute, BillingReportsPage);
lazy_page!(FeeSettingsRoute, FeeSettingsPage);
lazy_page!(ClaimsRoute, ClaimsPage);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/ambula.css"/>
        <Title text="Ambula"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Landing/>
                <Route path=path!("/sign-in") view=SignInPage/>
                <Route path=path!("/sign-up") view={Lazy::<SignUpRoute>::new()}/>
                <Route path=path!("/sign-up/confirm/:token") view={Lazy::<ConfirmSignUpRoute>::new()}/>
                <Route path=path!("/invite/:token") view={Lazy::<AcceptInviteRoute>::new()}/>
                <Route path=path!("/sign-in/code") view={Lazy::<MfaCodeRoute>::new()}/>
                <Route path=path!("/sign-in/set-up-mfa") view={Lazy::<EnrolMfaRoute>::new()}/>
                <Route path=path!("/forgot-password") view={Lazy::<ForgotPasswordRoute>::new()}/>
                <Route path=path!("/reset-password/:token") view={Lazy::<ResetPasswordRoute>::new()}/>
                // A signed-out request never gets here: the server's session
                // guard redirects /app pages to sign-in before rendering.
                <ParentRoute path=path!("/app") view=StaffShell>
                    <Route path=path!("") view={Lazy::<DashboardRoute>::new()}/>
                    <Route path=path!("calendar") view={Lazy::<CalendarRoute>::new()}/>
                    <Route path=path!("patients") view={Lazy::<PatientsRoute>::new()}/>
                    <Route path=path!("billing") view={Lazy::<BillingRoute>::new()}/>
                    <Route path=path!("settings") view={Lazy::<SettingsRoute>::new()}/>
                    <Route path=path!("insights") view={Lazy::<InsightsRoute>::new()}/>
                    <Route path=path!("account") view={Lazy::<AccountRoute>::new()}/>
                    <Route path=path!("settings/calendar") view={Lazy::<CalendarSetupRoute>::new()}/>
                    // Registry pages; declared before the chart so that these
                    // static segments are matched first.
                    <Route path=path!("patients/new") view={Lazy::<RegisterPatientRoute>::new()}/>
                    <Route path=path!("patients/import") view={Lazy::<ImportPatientsRoute>::new()}/>
                    <Route path=path!("calendar/waitlist") view={Lazy::<WaitlistRoute>::new()}/>
                    // Billing screens (pages/billing/mod.rs); static segments first.
                    <Route path=path!("billing/new") view={Lazy::<NewInvoiceRoute>::new()}/>
                    <Route path=path!("billing/reports") view={Lazy::<BillingReportsRoute>::new()}/>
                    <Route path=path!("billing/settings") view={Lazy::<FeeSettingsRoute>::new()}/>
                    <Route path=path!("billing/claims") view={Lazy::<ClaimsRoute>::new()}/>
                    <Route path=path!("billing/invoices/:id") view={Lazy::<InvoiceRoute>::new()}/>
                    <Route path=path!("billing/receipts/:id") view={Lazy::<ReceiptRoute>::new()}/>
                    <Route path=path!("billing/patients/:id") view={Lazy::<BillingAccountRoute>::new()}/>
                    // The patient chart: one lazy child route per tab (pages/chart/mod.rs).
                    <ParentRoute path=path!("patients/:id") view=ChartShell>
                        <Route path=path!("") view={Lazy::<ChartSummaryRoute>::new()}/>
                        <Route path=path!("notes") view={Lazy::<ChartNotesRoute>::new()}/>
                        <Route path=path!("problems") view={Lazy::<ChartProblemsRoute>::new()}/>
                        <Route path=path!("timeline") view={Lazy::<ChartTimelineRoute>::new()}/>
                        <Route path=path!("print") view={Lazy::<ChartPrintRoute>::new()}/>
                        <Route path=path!("medications") view={Lazy::<ChartMedicationsRoute>::new()}/>
                        <Route path=path!("vitals") view={Lazy::<ChartVitalsRoute>::new()}/>
                        <Route path=path!("results") view={Lazy::<ChartResultsRoute>::new()}/>
                        <Route path=path!("documents") view={Lazy::<ChartDocumentsRoute>::new()}/>
                        <Route path=path!("billing") view={Lazy::<ChartBillingRoute>::new()}/>
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
