//! Outgoing email. With an SMTP server configured, mail goes out through it;
//! without one (a laptop trying the demo), the message is not sent and the log
//! says so at INFO (its body, which holds links, only at DEBUG).

use lettre::{
    message::header::ContentType, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

#[derive(Clone)]
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: String },
    Log { from: String },
}

#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    /// `smtp_url` is `smtp://host:port` (plain, for a relay on the same host
    /// or network) ; `None` logs messages instead of sending them.
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Self, String> {
        let from = from.to_owned();
        let Some(url) = smtp_url else {
            return Ok(Mailer::Log { from });
        };
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("SMTP URL must look like smtp://host:port, got {url:?}"))?;
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.trim_end_matches('/')
                    .parse::<u16>()
                    .map_err(|_| format!("SMTP port in {url:?} is not a number"))?,
            ),
            None => (rest.trim_end_matches('/'), 25),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        Ok(Mailer::Smtp { transport, from })
    }

    pub async fn send(&self, email: Email) -> Result<(), String> {
        match self {
            Mailer::Log { .. } => {
                // Mail carries sign-in links: never at INFO. The whole message
                // only at DEBUG, for a developer who asks for it.
                tracing::info!(subject = %email.subject, "email not sent: no SMTP server configured (set AMBULA_SMTP_URL)");
                tracing::debug!(to = %email.to, body = %email.body, "unsent email");
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let message = Message::builder()
                    .from(from.parse().map_err(|e| format!("bad From address: {e}"))?)
                    .to(email.to.parse().map_err(|e| format!("bad To address: {e}"))?)
                    .subject(email.subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(email.body)
                    .map_err(|e| e.to_string())?;
                transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
            }
        }
    }
}
