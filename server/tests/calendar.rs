//! Calendar routes over a real socket, on SQLite and PostgreSQL: the
//! practitioner's iCalendar feed by token (no session; revoked → 404) and
//! the live-update stream (session required; a booking in clinic A reaches
//! A's stream within a second and never B's).

use ambula_backend::{
    repo,
    services::{auth, calendar_feed, scheduling::{booking, setup}, patients},
    AuthContext, Services,
};
use ambula_domain::{
    patients::PatientForm,
    scheduling::{AppointmentTypeForm, BookingForm, WeeklyHoursForm},
    PractitionerId,
};
use ambula_testkit::{Kind, SmtpSink, TestDb};
use futures_util::StreamExt;
use reqwest::{header, redirect::Policy, Client, StatusCode};
use server::config::{Config, FileConfig};
use std::{collections::HashMap, time::Duration};

ambula_testkit::on_both_backends!(
    feed_by_token_and_revoked_is_404,
    live_updates_reach_only_the_same_clinic,
    the_live_stream_does_not_keep_an_idle_session_alive,
);

struct TestApp {
    url: String,
    client: Client,
    services: Services,
}

async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let db = TestDb::new(kind).await;
    let smtp = SmtpSink::start().await;
    let mut env: HashMap<&str, String> = HashMap::from([
        ("AMBULA_BIND", "127.0.0.1:0".to_owned()),
        ("AMBULA_SMTP_URL", smtp.url()),
    ]);
    env.extend(db.server_env());
    let config = Config::from_sources(FileConfig::default(), |k| env.get(k).cloned()).unwrap();
    let mut services = server::services(&config, db.db.clone()).unwrap();
    // Shared by every clone: tests move time forward for the idle timeout.
    services.clock = ambula_backend::Clock::adjustable();
    let app = server::Application::build(&config, services.clone()).await.unwrap();
    let url = format!("http://{}", app.addr);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let live = services.live.clone();
    let handle = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
        live.close();
    }));
    let client = Client::builder().redirect(Policy::none()).build().unwrap();
    case(TestApp { url, client, services }).await;
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), handle).await.expect("graceful shutdown ends open streams").unwrap().unwrap();
    db.cleanup().await;
}

/// Signs up a clinic over HTTP; returns its session cookie and context.
async fn sign_up(app: &TestApp, clinic: &str, email: &str) -> (String, AuthContext) {
    let form = [
        ("clinic_name", clinic), ("time_zone", "Europe/Lisbon"), ("owner_name", "Owner"), ("email", email),
        ("password", "tide pools at dawn"), ("confirm_adult", "on"),
    ];
    let response = app.client.post(format!("{}/api/sign_up", app.url)).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("ambula_session=") && !v.starts_with("ambula_session=;"))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = cookie.trim_start_matches("ambula_session=");
    let ctx = auth::authenticate(&app.services, token).await.unwrap();
    (cookie, ctx)
}

/// A practitioner with all-week hours, a type and a patient; returns a
/// booking form for tomorrow at `time`.
async fn bookable(s: &Services, owner: &AuthContext) -> (PractitionerId, impl Fn(&str) -> BookingForm) {
    let mut tx = s.db.write_in(&owner.scope).await.unwrap();
    let silva = repo::practitioners::insert(&mut tx, &owner.scope, None, "Dr Silva", None, "#1d4ed8", s.now()).await.unwrap();
    tx.commit().await.unwrap();
    let all = "08:00-20:00";
    let hours = WeeklyHoursForm {
        hours_mon: all.into(),
        hours_tue: all.into(),
        hours_wed: all.into(),
        hours_thu: all.into(),
        hours_fri: all.into(),
        hours_sat: all.into(),
        hours_sun: all.into(),
    };
    setup::set_practitioner_hours(s, owner, &silva.to_string(), &hours).await.unwrap();
    let kind = AppointmentTypeForm {
        name: "Follow-up".into(),
        duration_minutes: "30".into(),
        buffer_minutes: "0".into(),
        colour: "#3366cc".into(),
        price_minor: "".into(),
        online_booking: None,
    };
    let type_id = setup::create_type(s, owner, &kind, &[]).await.unwrap().id;
    let form = PatientForm { given_name: "Ana".into(), family_name: "Secretname".into(), date_of_birth: "1984-03-12".into(), ..Default::default() };
    let patient = patients::create(s, owner, &form).await.unwrap().id;
    let date = (s.now().0 + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    (silva, move |time: &str| BookingForm {
        patient_id: patient.to_string(),
        practitioner_id: silva.to_string(),
        type_id: type_id.to_string(),
        date: date.clone(),
        time: time.into(),
        ..Default::default()
    })
}

async fn feed_by_token_and_revoked_is_404(app: TestApp) {
    let (_, owner) = sign_up(&app, "Harbour", "a@a.example").await;
    let (silva, form) = bookable(&app.services, &owner).await;
    let booked = booking::book(&app.services, &owner, &form("10:00"), None).await.unwrap().appointments.remove(0);
    let link = calendar_feed::rotate(&app.services, &owner, &silva.to_string()).await.unwrap();
    let path = format!("/calendar/{}", link.url.split_once("/calendar/").expect("a feed path").1);
    assert!(path.starts_with("/calendar/feeds/") && path.ends_with(".ics"), "{path}");

    // No cookie: the token alone opens it.
    let response = app.client.get(format!("{}{path}", app.url)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/calendar; charset=utf-8");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let body = response.text().await.unwrap();
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"), "{body}");
    assert!(body.contains(&format!("UID:{}@", booked.id)) && body.contains("SUMMARY:Follow-up"), "{body}");
    assert!(!body.contains("Secretname"));

    for bad in ["/calendar/feeds/unknown-token.ics", "/calendar/feeds/unknown-token", &path.trim_end_matches(".ics").to_owned()] {
        let status = app.client.get(format!("{}{bad}", app.url)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    calendar_feed::revoke(&app.services, &owner, &silva.to_string()).await.unwrap();
    let status = app.client.get(format!("{}{path}", app.url)).send().await.unwrap().status();
    assert_eq!(status, StatusCode::NOT_FOUND, "revoked");
}

/// Reads SSE frames into `calendar` event data lines until `within` ends.
async fn calendar_events(response: reqwest::Response, within: Duration) -> (Vec<String>, String) {
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    let _ = tokio::time::timeout(within, async {
        while let Some(Ok(chunk)) = stream.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("event: calendar\ndata: ") && text.ends_with("\n\n") {
                break;
            }
        }
    })
    .await;
    let data = text
        .split("\n\n")
        .filter(|frame| frame.lines().any(|l| l == "event: calendar"))
        .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data: ")).map(str::to_owned))
        .collect();
    (data, text)
}

async fn live_updates_reach_only_the_same_clinic(app: TestApp) {
    let live = format!("{}/api/live/calendar", app.url);
    let signed_out = app.client.get(&live).send().await.unwrap();
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);

    let (a_cookie, a) = sign_up(&app, "Harbour", "a@a.example").await;
    let (b_cookie, b) = sign_up(&app, "Other", "b@b.example").await;
    let (_, a_form) = bookable(&app.services, &a).await;
    let (_, b_form) = bookable(&app.services, &b).await;
    let a_stream = app.client.get(&live).header(header::COOKIE, &a_cookie).send().await.unwrap();
    let b_stream = app.client.get(&live).header(header::COOKIE, &b_cookie).send().await.unwrap();
    for stream in [&a_stream, &b_stream] {
        assert_eq!(stream.status(), StatusCode::OK);
        assert_eq!(stream.headers()[header::CONTENT_TYPE], "text/event-stream");
        assert_eq!(stream.headers()[header::CACHE_CONTROL], "no-store");
    }
    // Give both subscriptions a moment to be registered server-side.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let booked = booking::book(&app.services, &a, &a_form("10:00"), None).await.unwrap().appointments.remove(0);
    let started = std::time::Instant::now();
    let (a_events, a_text) = calendar_events(a_stream, Duration::from_secs(1)).await;
    assert!(started.elapsed() < Duration::from_secs(1), "within a second: {a_text:?}");
    let event: serde_json::Value = serde_json::from_str(a_events.first().unwrap_or_else(|| panic!("no event: {a_text:?}"))).unwrap();
    assert_eq!(
        event,
        serde_json::json!({"kind": "booked", "appointment_id": booked.id.to_string(), "date": booked.local_start.date().format("%Y-%m-%d").to_string()})
    );
    let (b_events, b_text) = calendar_events(b_stream, Duration::from_millis(1500)).await;
    assert!(b_events.is_empty() && !b_text.contains(&booked.id.to_string()), "clinic B saw A's booking: {b_text:?}");

    // And B's own bookings reach B.
    let b_stream = app.client.get(&live).header(header::COOKIE, &b_cookie).send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let theirs = booking::book(&app.services, &b, &b_form("11:00"), None).await.unwrap().appointments.remove(0);
    let (b_events, _) = calendar_events(b_stream, Duration::from_secs(1)).await;
    assert!(b_events.first().is_some_and(|e| e.contains(&theirs.id.to_string())), "{b_events:?}");
}

/// An open calendar on an unattended screen reconnects its stream by
/// itself; that must not count as activity, or the idle logoff never comes.
async fn the_live_stream_does_not_keep_an_idle_session_alive(app: TestApp) {
    let (cookie, _) = sign_up(&app, "Harbour", "a@a.example").await;
    let me = || app.client.post(format!("{}/api/me", app.url)).header(header::COOKIE, &cookie).header(header::ORIGIN, &app.url).send();
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
    // Ten minutes of nothing, then the page's stream reconnects: allowed
    // (the session is still live) but not a sign of the user.
    app.services.clock.advance(Duration::from_secs(10 * 60));
    let stream = app.client.get(format!("{}/api/live/calendar", app.url)).header(header::COOKIE, &cookie).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    drop(stream);
    // Sixteen minutes after the last real request: signed out (15 min idle).
    app.services.clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(me().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}
