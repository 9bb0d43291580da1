//! `server`: run Ambula, or do one maintenance task and exit.

use ambula_backend::services::{accounts, admin, audit_checkpoints, audit_log, demo, reminders};
use ambula_domain::accounts::SignupForm;
use clap::{Parser, Subcommand};
use server::config::{Config, LogFormat};
use std::{io::BufRead, path::PathBuf, process::ExitCode};

#[derive(Parser)]
#[command(name = "server", version, about = "Ambula clinic management server")]
struct Cli {
    /// A TOML config file; environment variables override its values.
    #[arg(long, global = true, env = "AMBULA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve HTTP (the default).
    Serve {
        /// Seed the demo clinic if it is not there, and print its logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the demo clinic (if missing) and print its logins.
    SeedDemo,
    /// Create a clinic and its owner. The owner's password is read from
    /// AMBULA_OWNER_PASSWORD or, if unset, the first line of standard input.
    CreateClinic {
        #[arg(long)]
        name: String,
        #[arg(long)]
        time_zone: String,
        #[arg(long)]
        owner_name: String,
        #[arg(long)]
        owner_email: String,
        /// Confirms the owner is 18 or older (required: no accounts for minors).
        #[arg(long)]
        owner_is_adult: bool,
    },
    /// Walk every clinic's audit chain and compare it with its latest signed
    /// checkpoint; exit 1 naming the clinic and what is wrong if any chain
    /// (or checkpoint) has been tampered with. Then checkpoint the intact ones.
    VerifyAudit,
    /// Re-wrap every data key under a new master key (read from the file;
    /// base64 of 32 bytes, e.g. `openssl rand -base64 32`). Then configure
    /// that key and restart.
    RotateMasterKey {
        #[arg(long)]
        new_key_file: PathBuf,
    },
    /// Clear a person's two-step sign-in (lost phone, no recovery codes) and
    /// end all their sessions. Confirm who is asking out of band first: no
    /// clinic administrator can do this, only the operator.
    ResetMfa {
        #[arg(long)]
        email: String,
    },
    /// Delete a clinic: sessions end, its data key and its key file in the
    /// key directory are destroyed (its encrypted data, in the database and
    /// in database backups, becomes unreadable). Cannot be undone.
    DeleteClinic {
        #[arg(long)]
        id: uuid::Uuid,
        /// Required: confirms you mean it.
        #[arg(long)]
        yes: bool,
    },
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn print_demo_logins(seeded: &demo::DemoSeeded) {
    println!("Demo clinic: {} ({})", demo::DEMO_CLINIC, if seeded.created { "just created" } else { "already there" });
    for (email, role) in &seeded.logins {
        println!("  {email:<36} {}", role.label());
    }
    println!("Password for every demo account: {} (published: for this computer only)", seeded.password);
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    init_tracing(config.log_format);
    match run(cli.command.unwrap_or(Command::Serve { demo: false }), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, mut config: Config) -> Result<(), String> {
    if matches!(command, Command::Serve { demo: true } | Command::SeedDemo) {
        // A demo may create its master key (in the key dir) even for https.
        config.master_key = config.master_key.creating();
    }
    // The master key first: a missing one stops before the database is touched.
    config.master_key.load().map_err(|e| format!("master key: {e}"))?;
    let db = server::connect(&config).await.map_err(|e| e.to_string())?;
    let services = server::services(&config, db.clone())?;
    // Older clinic keys move under their clinic's KEK; KEKs an interrupted
    // deletion left behind are destroyed. Idempotent, every start.
    let upkeep = admin::upkeep_keys(&services).await.map_err(|e| format!("key upkeep: {e}"))?;
    if upkeep.upgraded > 0 {
        eprintln!(
            "note: {} clinic data key(s) now wrapped by their clinic's key in {}. Database backups taken \
             before this start still hold them under the master key alone: replace those backups, or rotate \
             the master key and destroy the old one.",
            upkeep.upgraded,
            config.key_dir.join("clinics").display()
        );
    }
    if upkeep.shredded > 0 {
        eprintln!("note: destroyed {} key file(s) of deleted clinics.", upkeep.shredded);
    }
    match command {
        Command::Migrate => {
            println!("Database is up to date ({:?}).", db.backend());
        }
        Command::SeedDemo => {
            if let Some(refusal) = demo::refusal(&services, &config.public_url).await.map_err(|e| e.to_string())? {
                return Err(refusal.replace("--demo refuses to start", "seed-demo refuses"));
            }
            let seeded = demo::seed_demo(&services).await.map_err(|e| e.to_string())?;
            print_demo_logins(&seeded);
        }
        Command::CreateClinic { name, time_zone, owner_name, owner_email, owner_is_adult } => {
            let password = match std::env::var("AMBULA_OWNER_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let form = SignupForm {
                clinic_name: name,
                time_zone,
                owner_name,
                email: owner_email,
                password,
                confirm_adult: owner_is_adult.then(|| "on".to_owned()),
            };
            let signup = form.parse().map_err(|errors| format!("cannot create the clinic: {errors}"))?;
            let (scope, _) = accounts::create_clinic(&services, &signup, None).await.map_err(|e| match e {
                ambula_backend::ServiceError::Invalid(errors) => format!("cannot create the clinic: {errors}"),
                other => other.to_string(),
            })?;
            println!("Created clinic {} ({}). The owner can sign in now.", signup.clinic_name.as_str(), scope.clinic_id());
        }
        Command::VerifyAudit => {
            let reports = audit_log::verify_all(&services).await.map_err(|e| e.to_string())?;
            let mut broken = 0;
            for report in &reports {
                match &report.result {
                    Ok(count) => {
                        let against = report
                            .checkpoint_at
                            .map(|at| format!(", matches the checkpoint of {}", at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
                            .unwrap_or_else(|| ", no checkpoint yet".to_owned());
                        println!("ok      {} ({}): {count} entries{against}", report.clinic_name, report.clinic_id)
                    }
                    Err(b) => {
                        broken += 1;
                        let at = if b.seq > 0 { format!("entry {} — ", b.seq) } else { String::new() };
                        println!("BROKEN  {} ({}): {at}{}", report.clinic_name, report.clinic_id, b.reason);
                    }
                }
            }
            // Pin the intact chains; a broken one keeps its old checkpoint.
            if let Some(dir) = &services.audit_checkpoints {
                let mut written = 0;
                for report in reports.iter().filter(|r| r.result.is_ok()) {
                    match audit_checkpoints::checkpoint_clinic(&services, dir, report.clinic_id).await.map_err(|e| e.to_string())? {
                        audit_checkpoints::Outcome::Written(_) => written += 1,
                        audit_checkpoints::Outcome::Empty => {}
                        audit_checkpoints::Outcome::Refused(b) => {
                            broken += 1;
                            println!("BROKEN  {} ({}): {}", report.clinic_name, report.clinic_id, b.reason);
                        }
                    }
                }
                println!("Checkpointed {written} chain(s) in {}.", dir.path().display());
            }
            if broken > 0 {
                return Err(format!("{broken} audit chain(s) failed verification"));
            }
            println!("All {} audit chains verify.", reports.len());
        }
        Command::RotateMasterKey { new_key_file } => {
            let new = ambula_backend::MasterKey::read_file(&new_key_file)?;
            let (count, resealed) = admin::rotate_master_key(&services, &new).await.map_err(|e| e.to_string())?;
            println!(
                "Re-wrapped {count} data key(s) and re-sealed {resealed} clinic key file(s) under master key {}. \
                 Configure the new key (AMBULA_MASTER_KEY_FILE={}) and restart; then destroy the old one.",
                new.id(),
                new_key_file.display()
            );
        }
        Command::ResetMfa { email } => {
            let email = ambula_domain::EmailAddress::parse(&email).map_err(|e| format!("--email: {e}"))?;
            admin::reset_mfa(&services, &email).await.map_err(|e| match e {
                ambula_backend::ServiceError::NotFound => format!("no account has the email {email}"),
                other => other.to_string(),
            })?;
            println!("Two-step sign-in cleared for {email}; all their sessions ended. They set it up again at next sign-in where a clinic requires it.");
        }
        Command::DeleteClinic { id, yes } => {
            if !yes {
                return Err("deleting a clinic cannot be undone: add --yes to confirm".into());
            }
            let destroyed = admin::delete_clinic(&services, id).await.map_err(|e| e.to_string())?;
            println!("Clinic {id} deleted; {destroyed} data key(s) and its key file destroyed.");
        }
        Command::Serve { demo } => {
            // Before anything slow, so a stop request during start-up is
            // not lost (see `shutdown_signal`).
            let stop = server::shutdown_signal();
            if demo {
                if let Some(refusal) = demo::refusal(&services, &config.public_url).await.map_err(|e| e.to_string())? {
                    return Err(refusal);
                }
            }
            let seeded = if demo {
                Some(demo::seed_demo(&services).await.map_err(|e| e.to_string())?)
            } else {
                None
            };
            let assets = std::path::Path::new(&config.site_root).join("pkg").join("ambula.js");
            if !assets.exists() {
                eprintln!(
                    "warning: {} not found: pages will render but stay inert. Build with \
                     `cargo leptos build --release` or point AMBULA_SITE_ROOT at the site directory.",
                    assets.display()
                );
            }
            let app = server::Application::build(&config, services.clone())
                .await
                .map_err(|e| format!("cannot {} on {}: {e}", if config.tls.is_some() { "serve HTTPS" } else { "listen" }, config.bind))?;
            println!();
            println!("Ambula is running at {}", config.public_url);
            if let Some(seeded) = &seeded {
                print_demo_logins(seeded);
            }
            println!("Press Ctrl-C to stop.");
            tracing::info!(addr = %app.addr, backend = ?db.backend(), tls = config.tls.is_some(), "listening");
            // Reminders go out while the server runs; on SIGTERM / Ctrl-C
            // the message in hand is finished and recorded before the
            // database closes, so a restart never sends it again.
            let delivery = reminders::spawn_delivery(services.clone());
            // Signed checkpoints of every audit chain, now and every few minutes.
            let checkpoints = audit_checkpoints::spawn_checkpoints(services.clone(), config.audit.checkpoint_every);
            let live = services.live.clone();
            let served = app
                .run_until(async move {
                    stop.await;
                    // Open live-update streams would hold the graceful
                    // shutdown open; end them (browsers reconnect later).
                    live.close();
                })
                .await
                .map_err(|e| e.to_string());
            delivery.shutdown().await;
            checkpoints.shutdown().await;
            served?;
            db.close().await;
            tracing::info!("stopped");
        }
    }
    Ok(())
}
