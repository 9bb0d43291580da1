#![recursion_limit = "256"]
//! The Ambula server: configuration, HTTP routing and the CLI commands.

pub mod audit_config;
pub mod calendar;
pub mod billing_pdfs;
pub mod chart_pdfs;
pub mod config;
pub mod documents;
pub mod middleware;
pub mod payments;
pub mod routes;
pub mod tls;

use ambula_backend::{AuthSettings, Db, Mailer, Services};
use config::Config;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Connects to the database and applies pending migrations (through the
/// owner's connection when one is configured). On PostgreSQL it then refuses
/// to go on if the application's role could bypass row-level security.
pub async fn connect(config: &Config) -> Result<Db, ambula_backend::DbError> {
    if let Some(owner_url) = &config.database_owner_url {
        let owner = Db::connect(owner_url).await?;
        owner.migrate().await?;
        owner.close().await;
        let db = Db::connect(&config.database_url).await?;
        db.check_app_role().await?;
        return Ok(db);
    }
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    db.check_app_role().await?;
    Ok(db)
}

pub fn services(config: &Config, db: Db) -> Result<Services, String> {
    let master_key = config.master_key.load().map_err(|e| format!("master key: {e}"))?;
    let audit_key = config.audit.key.load().map_err(|e| format!("audit key: {e}"))?;
    let sms = config.sms.clone().map(ambula_backend::SmsSender::new).transpose().map_err(|e| format!("AMBULA_SMS_URL: {e}"))?;
    let online_payments = config
        .online_payments
        .clone()
        .map(ambula_backend::online_payments::OnlinePayments::new)
        .transpose()
        .map_err(|e| format!("AMBULA_PAYMENTS_URL: {e}"))?;
    Ok(Services::new(
        db,
        Mailer::new(config.smtp_url.as_deref(), &config.mail_from)?,
        AuthSettings {
            idle_timeout: config.idle_timeout,
            failures_per_network_per_hour: config.failures_per_network_per_hour,
            signups_per_network_per_hour: config.signups_per_network_per_hour,
            signups_per_hour: config.signups_per_hour,
            signup: config.signup,
            ..AuthSettings::default()
        },
        config.public_url.clone(),
        ambula_backend::Keyring::new(master_key, std::sync::Arc::new(ambula_backend::DirKeyStore::new(config.key_dir.join("clinics"))))
            .revalidate_after(config.key_cache),
        audit_key,
    )
    .with_audit_checkpoints(Some(ambula_backend::audit::checkpoint::CheckpointDir::new(&config.audit.checkpoint_dir)))
    .with_sms(sms)
    .with_online_payments(online_payments))
}

/// A bound, ready-to-run server. Tests bind port 0 and read `addr`.
pub struct Application {
    pub addr: SocketAddr,
    listener: TcpListener,
    /// Built-in HTTPS when the configuration names a certificate and key.
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
    router: axum::Router,
}

impl Application {
    /// Bad certificate or key content is an error naming the file.
    pub async fn build(config: &Config, services: Services) -> std::io::Result<Self> {
        let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
        // Several server processes on one PostgreSQL database share live
        // calendar updates through it (services::live).
        services.live.relay_through(&services.db).await.map_err(|e| std::io::Error::other(format!("live updates: {e}")))?;
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let router = routes::router(config, services);
        Ok(Self { addr, listener, tls, router })
    }

    /// Serves until `shutdown` resolves, then stops accepting connections and
    /// lets in-flight requests finish.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        match self.tls {
            None => axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await,
            Some(tls) => {
                // `tap_io` gives the listener axum's ConnectInfo<SocketAddr>.
                use axum::serve::ListenerExt;
                let listener = tls::TlsListener::new(self.listener, tls)?.tap_io(|_| {});
                axum::serve(listener, service).with_graceful_shutdown(shutdown).await
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (what `systemctl stop` and container
/// runtimes send). The handlers are installed when this is called, not when
/// the future is first polled: a signal that arrives while the server is
/// still starting (seeding, binding) then stops it cleanly once it serves,
/// instead of killing it mid-way. Call it inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{signal, SignalKind};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let interrupted = async {
                match interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let terminated = async {
                match terminate.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = interrupted => {},
                _ = terminated => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}
