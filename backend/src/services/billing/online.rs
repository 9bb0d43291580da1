//! Online payment: a hosted checkout session for an invoice's amount due,
//! and the provider's signed webhook, which records the payment exactly
//! once per provider event (a replay, even concurrent, changes nothing).
//! Protocol and signature: `crate::online_payments`.

use super::{actor, document_label, load_invoice, or_denied, payments::record_in, require, stored_currency};
use crate::{
    audit::{self, Actor, Entry},
    error::ServiceError,
    online_payments::{self, CheckoutRequest, Metadata, WebhookError, WebhookEvent},
    repo,
    scope::{AuthContext, ClinicScope},
    Services,
};
use ambula_domain::{
    billing::{Currency, InvoiceStatus, Money, PaymentCommand, PaymentMethod},
    ClinicId, InvoiceId, PatientId, PaymentId, Permission,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutView {
    pub session_id: String,
    /// Where the patient pays (send it to them, or open it at the desk).
    pub url: String,
    pub amount: Money,
}

/// Opens a checkout session for what is due on an issued invoice. The
/// provider is called outside any database transaction (a slow provider
/// must not hold SQLite's write lock); the request is audited after.
pub async fn create_checkout(services: &Services, ctx: &AuthContext, invoice_id: &str) -> Result<CheckoutView, ServiceError> {
    require(services, ctx, Permission::ManageBilling, "payment.checkout", "invoice", invoice_id).await?;
    let Some(provider) = services.online_payments.as_ref() else {
        return Err(ServiceError::field("status", "Online payments are not set up for this clinic."));
    };
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let (row, patient) = or_denied!(tx, load_invoice(&mut tx, ctx, invoice_id, "payment.checkout", now).await?);
    tx.commit().await?;
    if row.is_credit_note() || !matches!(row.status()?, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid) || row.due_minor() <= 0 {
        return Err(ServiceError::field("status", "Only an issued invoice with money due can be paid online."));
    }
    let currency = stored_currency(&row.currency)?;
    let label = document_label(&row.kind, row.number);
    let back = format!("{}/app/billing/invoices/{}", services.public_url.trim_end_matches('/'), row.id);
    let request = CheckoutRequest {
        amount_minor: row.due_minor(),
        currency: currency.code(),
        description: &label,
        success_url: &format!("{back}?paid=1"),
        cancel_url: &back,
        metadata: Metadata { clinic_id: ctx.scope.clinic_id().as_uuid(), invoice_id: row.id },
    };
    let session = provider.create_session(&request).await.map_err(|e| {
        tracing::warn!(error = %e, "checkout session failed");
        ServiceError::field("status", "The payment provider could not be reached. Try again in a moment.")
    })?;
    let amount = Money::new(row.due_minor(), currency);
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let entry = Entry::ok("payment.checkout", "invoice", row.id)
        .patient(patient.id)
        .detail(format!("session {} for {amount} on {label}", session.id));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, services.now()).await?;
    tx.commit().await?;
    Ok(CheckoutView { session_id: session.id, url: session.url, amount })
}

/// What a verified webhook did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// A new payment, on the invoice (or as credit if the invoice can no
    /// longer take it).
    Recorded(PaymentId),
    /// This event was already recorded: nothing changed.
    Duplicate,
    /// An event type we do not act on.
    Ignored,
}

/// The provider's webhook: `signature` is the `Ambula-Signature` header,
/// `body` the raw request body (verified before it is parsed). A bad
/// signature, a stale timestamp or a malformed event changes nothing.
pub async fn handle_webhook(services: &Services, signature: Option<&str>, body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
    let provider = services.online_payments.as_ref().ok_or(WebhookError::NotConfigured)?;
    online_payments::verify(provider.webhook_secret(), signature, body, services.now().0.timestamp())?;
    let event: WebhookEvent = serde_json::from_slice(body).map_err(|_| WebhookError::Malformed("not an event".into()))?;
    if event.kind != "checkout.completed" {
        return Ok(WebhookOutcome::Ignored);
    }
    if event.id.is_empty() || event.id.len() > 200 {
        return Err(WebhookError::Malformed("event id".into()));
    }
    let internal = |e: ServiceError| WebhookError::Storage(e.to_string());
    // The clinic comes from the signed metadata: only the provider, holding
    // the secret, could have written it (we put it there at checkout).
    let scope = ClinicScope::new(ClinicId::from_uuid(event.data.metadata.clinic_id));
    let now = services.now();
    let mut tx = services.db.write_in(&scope).await.map_err(|e| internal(e.into()))?;
    if repo::payments::by_provider_event(&mut tx, &scope, &event.id).await.map_err(internal)?.is_some() {
        return Ok(WebhookOutcome::Duplicate);
    }
    let invoice = InvoiceId::from_uuid(event.data.metadata.invoice_id);
    repo::invoices::lock(&mut tx, &scope, invoice).await.map_err(internal)?;
    let Some(row) = repo::invoices::get(&mut tx, &scope, invoice).await.map_err(internal)? else {
        return Err(WebhookError::Malformed("no such invoice".into()));
    };
    let currency = Currency::parse(&event.data.currency).map_err(|_| WebhookError::Malformed("currency".into()))?;
    if currency.code() != row.currency || event.data.amount_minor <= 0 || event.data.amount_minor > ambula_domain::billing::money::MAX_MINOR {
        return Err(WebhookError::Malformed("amount or currency".into()));
    }
    // The money was taken: it is recorded whatever happened to the invoice
    // since; if the invoice can no longer take it, it is the patient's credit.
    let payable = !row.is_credit_note() && matches!(row.status(), Ok(InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid));
    let command = PaymentCommand {
        patient_id: PatientId::from_uuid(row.patient_id),
        method: PaymentMethod::Online,
        amount: Money::new(event.data.amount_minor, currency),
        reference: Some(event.data.session_id.chars().take(100).collect()),
        allocations: if payable { vec![(invoice, None)] } else { Vec::new() },
    };
    let recorded = record_in(&mut tx, &scope, &command, false, None, Some(&event.id), now).await;
    let payment = match recorded {
        Ok(payment) => payment,
        Err(ServiceError::Internal(message)) if message.contains("provider_event_id") || message.to_lowercase().contains("unique") => {
            // A concurrent delivery of the same event won the insert.
            return Ok(WebhookOutcome::Duplicate);
        }
        Err(e) => return Err(internal(e)),
    };
    let label = document_label(&row.kind, row.number);
    let detail = format!(
        "event {}: {} for {label}{}",
        event.id,
        command.amount,
        if payable { "" } else { " (no longer payable: kept as credit)" }
    );
    let provider_actor = Actor { user_id: None, name: "Online payment provider".into(), ip: None };
    let entry = Entry::ok("payment.online", "payment", payment).patient(row.patient_id).detail(detail);
    audit::record(&mut tx, &scope, &provider_actor, entry, now).await.map_err(internal)?;
    match tx.commit().await {
        Ok(()) => Ok(WebhookOutcome::Recorded(payment)),
        Err(e) if e.is_unique_violation() => Ok(WebhookOutcome::Duplicate),
        Err(e) => Err(internal(e.into())),
    }
}
