//! Billing reports: aging of receivables, the daily cash-up, revenue by
//! period, practitioner and service, outstanding receivables and the
//! collection rate, and the accountant's CSV export. Days are the clinic's
//! local days. Every report names patients or their money, so each is
//! audited; the export needs `ExportData` as well.
//!
//! Definitions:
//! * revenue is net of tax: invoices' subtotals less credit notes'
//!   subtotals, by issue date; void invoices count for nothing;
//! * collected = payments received − refunds paid out in the period;
//! * collection rate = collected ÷ (invoice totals − credit note totals)
//!   issued in the period, both with tax.

use super::{actor, document_label, require, stored_currency, ClinicBilling};
use crate::{
    audit::{self, Entry},
    error::ServiceError,
    on_tx,
    repo::{self, invoices::InvoiceRow},
    scope::AuthContext,
    time::DbTime,
    Services,
};
use ambula_domain::{
    billing::{
        reports::{collection_rate_bp, csv_amount, csv_text},
        AgingBucket, Currency, Money, PaymentMethod, Period, PeriodForm,
    },
    InvoiceId, PatientId, Permission,
};
use chrono::{Duration, NaiveDate};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingRow {
    pub invoice_id: InvoiceId,
    pub label: String,
    pub patient_id: PatientId,
    /// MRN, plus the name unless the record is restricted.
    pub patient: String,
    pub due_on: Option<NaiveDate>,
    pub days_overdue: i64,
    pub bucket: AgingBucket,
    pub due: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingReport {
    pub as_of: NaiveDate,
    /// One total per bucket, in [`AgingBucket::ALL`] order.
    pub buckets: [Money; 4],
    pub total: Money,
    pub rows: Vec<AgingRow>,
}

/// Who a report line is about, as much as a report may show. One query
/// per few hundred patients (`repo::patients::labels`), not one per line:
/// an aging report names hundreds of patients.
async fn patient_labels(
    tx: &mut crate::db::Tx,
    ctx: &AuthContext,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, ServiceError> {
    let mut wanted: Vec<Uuid> = ids.collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out: HashMap<Uuid, String> = repo::patients::labels(tx, &ctx.scope, &wanted)
        .await?
        .into_iter()
        .map(|p| {
            let label = if p.restricted {
                format!("{} (restricted)", p.mrn)
            } else {
                format!("{} {} {}", p.mrn, p.given_name, p.family_name)
            };
            (p.id, label)
        })
        .collect();
    for id in wanted {
        out.entry(id).or_insert_with(|| id.to_string());
    }
    Ok(out)
}

fn parse_day(raw: &str, field: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| ServiceError::field(field, "Enter a date as YYYY-MM-DD."))
}

/// Receivables by days past their due date, as of a day (empty: today).
pub async fn aging(services: &Services, ctx: &AuthContext, as_of: &str) -> Result<AgingReport, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "billing.report", "report", "aging").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let as_of = if as_of.trim().is_empty() { billing.today(now) } else { parse_day(as_of, "as_of")? };
    let open = repo::invoices::open_all(&mut tx, &ctx.scope).await?;
    let open: Vec<InvoiceRow> = open.into_iter().filter(|r| r.currency == billing.currency.code()).collect();
    let names = patient_labels(&mut tx, ctx, open.iter().map(|r| r.patient_id)).await?;
    let mut buckets = [0i64; 4];
    let mut rows = Vec::with_capacity(open.len());
    for r in &open {
        // Every issued invoice has a due date; an old row without one is due on issue.
        let due_on = r.due_on.or(r.issued_at.map(|t| billing.local_date(t)));
        let bucket = due_on.map(|d| AgingBucket::of(d, as_of)).unwrap_or(AgingBucket::UpTo30);
        buckets[bucket.index()] += r.due_minor();
        rows.push(AgingRow {
            invoice_id: InvoiceId::from_uuid(r.id),
            label: document_label(&r.kind, r.number),
            patient_id: PatientId::from_uuid(r.patient_id),
            patient: names.get(&r.patient_id).cloned().unwrap_or_default(),
            due_on,
            days_overdue: due_on.map(|d| (as_of - d).num_days().max(0)).unwrap_or(0),
            bucket,
            due: billing.money(r.due_minor()),
        });
    }
    let total = buckets.iter().sum();
    let entry = Entry::ok("billing.report", "report", "aging").detail(format!("aging as of {as_of}: {} invoices", rows.len()));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(AgingReport { as_of, buckets: buckets.map(|m| billing.money(m)), total: billing.money(total), rows })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashUp {
    pub day: NaiveDate,
    /// Payments less refunds, per method (every method listed).
    pub by_method: Vec<(PaymentMethod, Money)>,
    /// Payments less refunds, per staff member who took or gave them
    /// ("Online" for the payment provider).
    pub by_staff: Vec<(String, Money)>,
    pub payments: Money,
    pub refunds: Money,
    pub net: Money,
}

/// The day's takings: payments and refunds by method and by staff member.
pub async fn cash_up(services: &Services, ctx: &AuthContext, day: &str) -> Result<CashUp, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "billing.report", "report", "cash_up").await?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let day = if day.trim().is_empty() { billing.today(now) } else { parse_day(day, "day")? };
    let from = billing.day_start(day);
    let to = billing.day_start(day + Duration::days(1));
    let moves = repo::payments::movements_between(&mut tx, &ctx.scope, from, to).await?;
    let mut by_method: BTreeMap<&'static str, i64> = PaymentMethod::ALL.iter().map(|m| (m.as_str(), 0)).collect();
    let mut by_staff: BTreeMap<String, i64> = BTreeMap::new();
    let (mut payments, mut refunds) = (0i64, 0i64);
    for m in moves.iter().filter(|m| m.currency == billing.currency.code()) {
        let method = PaymentMethod::from_db(&m.method)
            .ok_or_else(|| ServiceError::Internal(format!("unknown payment method {:?}", m.method)))?;
        *by_method.entry(method.as_str()).or_default() += m.amount_minor;
        *by_staff.entry(m.staff_name.clone().unwrap_or_else(|| "Online".to_owned())).or_default() += m.amount_minor;
        if m.amount_minor >= 0 {
            payments += m.amount_minor;
        } else {
            refunds += -m.amount_minor;
        }
    }
    let entry = Entry::ok("billing.report", "report", "cash_up").detail(format!("cash-up {day}"));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(CashUp {
        day,
        by_method: PaymentMethod::ALL.iter().map(|m| (*m, billing.money(by_method.get(m.as_str()).copied().unwrap_or(0)))).collect(),
        by_staff: by_staff.into_iter().map(|(name, v)| (name, billing.money(v))).collect(),
        payments: billing.money(payments),
        refunds: billing.money(refunds),
        net: billing.money(payments - refunds),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueReport {
    pub period: Period,
    /// Net revenue per period start (day, Monday of the week, or the 1st).
    pub by_period: Vec<(NaiveDate, Money)>,
    /// Net revenue per practitioner of the invoiced appointment
    /// ("No appointment" for invoices typed by hand).
    pub by_practitioner: Vec<(String, Money)>,
    /// Net revenue per service code (or description when a line has none).
    pub by_service: Vec<(String, Money)>,
    /// Net revenue in the period (Σ of each breakdown).
    pub revenue: Money,
    /// With tax: invoice totals and credit note totals issued in the period.
    pub invoiced: Money,
    pub credited: Money,
    pub collected: Money,
    /// Basis points; `None` when nothing was invoiced.
    pub collection_rate_bp: Option<i64>,
    /// Owed on all open invoices now, whatever the period.
    pub outstanding: Money,
}

async fn by_practitioner(tx: &mut crate::db::Tx, ctx: &AuthContext, from: DbTime, to: DbTime) -> Result<Vec<(Option<String>, i64)>, ServiceError> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, (Option<String>, i64)>(
        "SELECT pr.name, CAST(SUM(i.subtotal_minor) AS BIGINT)
         FROM invoices i
         LEFT JOIN invoices o ON o.clinic_id = i.clinic_id AND o.id = i.credit_of
         LEFT JOIN appointments a ON a.clinic_id = i.clinic_id AND a.id = COALESCE(i.appointment_id, o.appointment_id)
         LEFT JOIN practitioners pr ON pr.clinic_id = a.clinic_id AND pr.id = a.practitioner_id
         WHERE i.clinic_id = $1 AND i.status NOT IN ('draft', 'void') AND i.issued_at >= $2 AND i.issued_at < $3
         GROUP BY pr.id, pr.name ORDER BY 2 DESC, 1",
    )
    .bind(ctx.scope.clinic_id().as_uuid())
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await)?)
}

fn parse_period(form: &PeriodForm) -> Result<Period, ServiceError> {
    Ok(form.parse()?)
}

pub async fn revenue(services: &Services, ctx: &AuthContext, form: &PeriodForm) -> Result<RevenueReport, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "billing.report", "report", "revenue").await?;
    let period = parse_period(form)?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let currency = billing.currency;
    let from = billing.day_start(period.from);
    let to = billing.day_start(period.to + Duration::days(1));
    let documents: Vec<InvoiceRow> = repo::invoices::issued_between(&mut tx, &ctx.scope, from, to)
        .await?
        .into_iter()
        .filter(|d| d.status != "void" && d.currency == currency.code())
        .collect();
    let mut by_period: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let (mut invoiced, mut credited, mut revenue) = (0i64, 0i64, 0i64);
    for d in &documents {
        let Some(at) = d.issued_at else { continue };
        *by_period.entry(period.group_by.start_of(billing.local_date(at))).or_default() += d.subtotal_minor;
        revenue += d.subtotal_minor;
        if d.is_credit_note() {
            credited += -d.total_minor;
        } else {
            invoiced += d.total_minor;
        }
    }
    let mut by_service: BTreeMap<String, i64> = BTreeMap::new();
    for line in repo::invoices::lines_issued_between(&mut tx, &ctx.scope, from, to).await? {
        let key = line.code.clone().unwrap_or_else(|| line.description.clone());
        *by_service.entry(key).or_default() += line.net_minor;
    }
    let practitioners = by_practitioner(&mut tx, ctx, from, to).await?;
    let collected: i64 = repo::payments::movements_between(&mut tx, &ctx.scope, from, to)
        .await?
        .iter()
        .filter(|m| m.currency == currency.code())
        .map(|m| m.amount_minor)
        .sum();
    let outstanding = repo::invoices::outstanding_minor(&mut tx, &ctx.scope).await?;
    let entry = Entry::ok("billing.report", "report", "revenue").detail(format!("revenue {} to {}", period.from, period.to));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    let money = |m| Money::new(m, currency);
    Ok(RevenueReport {
        period,
        by_period: by_period.into_iter().map(|(d, m)| (d, money(m))).collect(),
        by_practitioner: practitioners
            .into_iter()
            .map(|(name, m)| (name.unwrap_or_else(|| "No appointment".to_owned()), money(m)))
            .collect(),
        by_service: by_service.into_iter().map(|(k, m)| (k, money(m))).collect(),
        revenue: money(revenue),
        invoiced: money(invoiced),
        credited: money(credited),
        collected: money(collected),
        collection_rate_bp: collection_rate_bp(collected, invoiced - credited),
        outstanding: money(outstanding),
    })
}

/// The accountant's CSV: every document issued and every payment and refund
/// in the period, one row each. Text fields are quoted with formulas
/// neutralised; amounts are plain decimals. Audited (`billing.export`).
pub async fn export_csv(services: &Services, ctx: &AuthContext, form: &PeriodForm) -> Result<String, ServiceError> {
    require(services, ctx, Permission::ViewBilling, "billing.export", "report", "export").await?;
    require(services, ctx, Permission::ExportData, "billing.export", "report", "export").await?;
    let period = parse_period(form)?;
    let now = services.now();
    let mut tx = services.db.write_in(&ctx.scope).await?;
    let billing = ClinicBilling::load(&mut tx, ctx).await?;
    let from = billing.day_start(period.from);
    let to = billing.day_start(period.to + Duration::days(1));
    let documents = repo::invoices::issued_between(&mut tx, &ctx.scope, from, to).await?;
    let moves = repo::payments::movements_between(&mut tx, &ctx.scope, from, to).await?;
    let names = patient_labels(&mut tx, ctx, documents.iter().map(|d| d.patient_id).chain(moves.iter().map(|m| m.patient_id))).await?;
    let mut out = String::from("record,number,date,patient,status,method,currency,net,tax,total,due_on,reference\n");
    let mut rows = 0;
    for d in &documents {
        let currency: Currency = stored_currency(&d.currency)?;
        let date = d.issued_at.map(|t| billing.local_date(t).to_string()).unwrap_or_default();
        let reference = d.void_reason.clone().or(d.reason.clone()).unwrap_or_default();
        let fields = [
            csv_text(&d.kind),
            csv_text(&document_label(&d.kind, d.number)),
            date,
            csv_text(names.get(&d.patient_id).map(String::as_str).unwrap_or_default()),
            csv_text(&d.status),
            String::new(),
            d.currency.clone(),
            csv_amount(Money::new(d.subtotal_minor, currency)),
            csv_amount(Money::new(d.tax_minor, currency)),
            csv_amount(Money::new(d.total_minor, currency)),
            d.due_on.map(|x| x.to_string()).unwrap_or_default(),
            csv_text(&reference),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
        rows += 1;
    }
    for m in &moves {
        let currency = stored_currency(&m.currency)?;
        let fields = [
            csv_text(&m.kind),
            csv_text(&format!("RCT-{:06}", m.receipt_number)),
            billing.local_date(m.at).to_string(),
            csv_text(names.get(&m.patient_id).map(String::as_str).unwrap_or_default()),
            String::new(),
            csv_text(&m.method),
            m.currency.clone(),
            String::new(),
            String::new(),
            csv_amount(Money::new(m.amount_minor, currency)),
            String::new(),
            csv_text(m.reference.as_deref().unwrap_or_default()),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
        rows += 1;
    }
    let entry = Entry::ok("billing.export", "report", "export").detail(format!("{} to {}: {rows} rows", period.from, period.to));
    audit::record(&mut tx, &ctx.scope, &actor(ctx), entry, now).await?;
    tx.commit().await?;
    Ok(out)
}
