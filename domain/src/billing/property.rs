//! Property test of the account rules: random sequences of issue, pay,
//! partial pay, overpay, refund, credit note and void, checking after every
//! step that
//!
//! * balance = invoiced − credited − paid + refunded equals what the
//!   documents say (Σ due on invoices − Σ unallocated credit);
//! * every document's total is the sum of its lines, and subtotal + tax =
//!   total;
//! * no invoice is paid beyond what it owes, no payment is allocated or
//!   refunded beyond its amount;
//! * refused operations (over-refund, voiding a paid invoice) change
//!   nothing.
//!
//! A small deterministic generator (xorshift) instead of a crate: the seeds
//! are fixed, so a failure reproduces exactly.

use super::{
    ledger::{allocate_in_order, plan_refund, release_in_order, AccountTotals, InvoiceStatus},
    lines::{DocumentTotals, LineAmounts, LineInput, Quantity, TaxRate},
    money::{Currency, Money},
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(items[self.range(0, items.len() as i64 - 1) as usize])
        }
    }
}

#[derive(Debug, Clone)]
struct Invoice {
    total: i64,
    credited: i64,
    paid: i64,
    void: bool,
    /// Credit notes issued against it (their totals, negative).
    credit_notes: Vec<i64>,
}

#[derive(Debug, Clone)]
struct Payment {
    amount: i64,
    refunded: i64,
}

#[derive(Debug, Clone, Default)]
struct Account {
    invoices: Vec<Invoice>,
    payments: Vec<Payment>,
    /// (payment, invoice, amount): positive allocates, negative releases,
    /// in the order they happened.
    allocations: Vec<(usize, usize, i64)>,
    totals: AccountTotals,
}

impl Account {
    fn allocated_by(&self, payment: usize) -> i64 {
        self.allocations.iter().filter(|a| a.0 == payment).map(|a| a.2).sum()
    }

    fn unallocated(&self, payment: usize) -> i64 {
        let p = &self.payments[payment];
        p.amount - p.refunded - self.allocated_by(payment)
    }

    fn due(&self, invoice: usize) -> i64 {
        let i = &self.invoices[invoice];
        if i.void { 0 } else { i.total - i.credited - i.paid }
    }

    /// Net allocations of one payment per invoice, latest first.
    fn allocations_of_payment(&self, payment: usize) -> Vec<(usize, i64)> {
        let mut net: Vec<(usize, i64)> = Vec::new();
        for &(p, inv, amount) in self.allocations.iter().rev() {
            if p != payment {
                continue;
            }
            match net.iter_mut().find(|(i, _)| *i == inv) {
                Some(entry) => entry.1 += amount,
                None => net.push((inv, amount)),
            }
        }
        net.retain(|(_, a)| *a > 0);
        net
    }

    /// Net allocations onto one invoice per payment, latest first.
    fn allocations_on_invoice(&self, invoice: usize) -> Vec<(usize, i64)> {
        let mut net: Vec<(usize, i64)> = Vec::new();
        for &(p, inv, amount) in self.allocations.iter().rev() {
            if inv != invoice {
                continue;
            }
            match net.iter_mut().find(|(q, _)| *q == p) {
                Some(entry) => entry.1 += amount,
                None => net.push((p, amount)),
            }
        }
        net.retain(|(_, a)| *a > 0);
        net
    }

    fn open_invoices(&self) -> Vec<(usize, i64)> {
        (0..self.invoices.len()).map(|i| (i, self.due(i))).filter(|(_, d)| *d > 0).collect()
    }

    fn allocate(&mut self, payment: usize, invoice: usize, amount: i64) {
        assert!(amount > 0 && amount <= self.due(invoice), "allocation within what is due");
        self.allocations.push((payment, invoice, amount));
        self.invoices[invoice].paid += amount;
    }

    fn release(&mut self, payment: usize, invoice: usize, amount: i64) {
        self.allocations.push((payment, invoice, -amount));
        self.invoices[invoice].paid -= amount;
    }

    fn issue(&mut self, rng: &mut Rng) {
        let count = rng.range(1, 4);
        let mut lines = Vec::new();
        for _ in 0..count {
            let quantity = Quantity::from_thousandths(rng.range(1, 5_000)).unwrap();
            let unit_price = Money::new(rng.range(0, 20_000), Currency::EUR);
            let extended = (quantity.thousandths() * unit_price.minor + 500) / 1000;
            let discount = Money::new(rng.range(0, extended / 4), Currency::EUR);
            let tax_rate = TaxRate::from_basis_points(rng.pick(&[0, 600, 1300, 2300]).unwrap()).unwrap();
            lines.push(LineInput { quantity, unit_price, discount, tax_rate }.amounts().unwrap());
        }
        let totals = DocumentTotals::of(Currency::EUR, &lines).unwrap();
        check_document(&lines, &totals);
        self.invoices.push(Invoice { total: totals.total.minor, credited: 0, paid: 0, void: false, credit_notes: vec![] });
        self.totals.invoiced += totals.total.minor;
    }

    fn pay(&mut self, amount: i64, explicit: &[(usize, i64)]) {
        let payment = self.payments.len();
        self.payments.push(Payment { amount, refunded: 0 });
        self.totals.paid += amount;
        let explicit_sum: i64 = explicit.iter().map(|e| e.1).sum();
        for &(invoice, a) in explicit {
            self.allocate(payment, invoice, a);
        }
        // As the service does: with no invoice chosen, the open invoices
        // oldest first; whatever is left stays as credit.
        if explicit.is_empty() {
            let open = self.open_invoices();
            let (plan, _credit) = allocate_in_order(amount - explicit_sum, &open);
            for (invoice, a) in plan {
                self.allocate(payment, invoice, a);
            }
        }
    }

    fn refund(&mut self, payment: usize, amount: i64) -> bool {
        let allocations = self.allocations_of_payment(payment);
        let Ok(plan) = plan_refund(amount, self.unallocated(payment), &allocations) else {
            return false;
        };
        for (invoice, a) in plan.releases {
            self.release(payment, invoice, a);
        }
        self.payments[payment].refunded += amount;
        self.totals.refunded += amount;
        true
    }

    fn credit(&mut self, invoice: usize, amount: i64) {
        let inv = &mut self.invoices[invoice];
        assert!(amount > 0 && amount <= inv.total - inv.credited);
        inv.credited += amount;
        inv.credit_notes.push(-amount);
        self.totals.credited += amount;
        let excess = self.invoices[invoice].paid + self.invoices[invoice].credited - self.invoices[invoice].total;
        if excess > 0 {
            let on = self.allocations_on_invoice(invoice);
            for (payment, a) in release_in_order(excess, &on) {
                self.release(payment, invoice, a);
            }
        }
    }

    fn void(&mut self, invoice: usize) -> bool {
        let inv = &mut self.invoices[invoice];
        if inv.void || inv.paid > 0 || inv.credited > 0 {
            return false;
        }
        inv.void = true;
        self.totals.invoiced -= inv.total;
        true
    }

    fn check(&self, step: usize, seed: u64) {
        let context = format!("seed {seed}, step {step}");
        let due: i64 = (0..self.invoices.len()).map(|i| self.due(i)).sum();
        let credit: i64 = (0..self.payments.len()).map(|p| self.unallocated(p)).sum();
        assert_eq!(self.totals.balance(), due - credit, "balance identity, {context}");
        for (n, inv) in self.invoices.iter().enumerate() {
            let allocated: i64 = self.allocations.iter().filter(|a| a.1 == n).map(|a| a.2).sum();
            assert_eq!(inv.paid, allocated, "paid is the sum of allocations, {context}");
            assert!(inv.paid >= 0 && inv.paid + inv.credited <= inv.total, "never paid more than owed, {context}: {inv:?}");
            assert_eq!(inv.credited, -inv.credit_notes.iter().sum::<i64>(), "{context}");
            if !inv.void {
                let status = InvoiceStatus::of_issued(inv.total, inv.credited, inv.paid);
                assert_eq!(status == InvoiceStatus::Paid || status == InvoiceStatus::Credited, self.due(n) == 0, "{context}");
            }
        }
        for (n, p) in self.payments.iter().enumerate() {
            assert!(self.allocated_by(n) >= 0 && self.unallocated(n) >= 0 && p.refunded <= p.amount, "{context}: {p:?}");
        }
    }
}

fn check_document(lines: &[LineAmounts], totals: &DocumentTotals) {
    assert_eq!(totals.total.minor, lines.iter().map(|l| l.total.minor).sum::<i64>());
    assert_eq!(totals.subtotal.minor, lines.iter().map(|l| l.net.minor).sum::<i64>());
    assert_eq!(totals.subtotal.minor + totals.tax.minor, totals.total.minor);
    for l in lines {
        assert_eq!(l.net.minor + l.tax.minor, l.total.minor);
    }
}

#[test]
fn balance_identity_holds_over_random_sequences() {
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut account = Account::default();
        for step in 0..80 {
            let before = (account.totals, account.allocations.len(), account.payments.len());
            match rng.range(0, 7) {
                0 | 1 => account.issue(&mut rng),
                2 => {
                    // Pay one invoice exactly.
                    if let Some((invoice, due)) = rng.pick(&account.open_invoices()) {
                        account.pay(due, &[(invoice, due)]);
                    }
                }
                3 => {
                    // Partial payment.
                    if let Some((invoice, due)) = rng.pick(&account.open_invoices()) {
                        let part = rng.range(1, (due - 1).max(1));
                        account.pay(part, &[(invoice, part)]);
                    }
                }
                4 => {
                    // Overpayment: everything due and some more, as credit.
                    let due: i64 = account.open_invoices().iter().map(|o| o.1).sum();
                    account.pay(due + rng.range(1, 5_000), &[]);
                }
                5 => {
                    // Refund, sometimes more than allowed (refused, nothing changes).
                    let n = account.payments.len();
                    if n > 0 {
                        let payment = rng.range(0, n as i64 - 1) as usize;
                        let left = account.payments[payment].amount - account.payments[payment].refunded;
                        if rng.range(0, 4) == 0 {
                            assert!(!account.refund(payment, left + 1), "over-refund refused");
                            assert_eq!(before, (account.totals, account.allocations.len(), account.payments.len()));
                        } else if left > 0 {
                            assert!(account.refund(payment, rng.range(1, left)));
                        }
                    }
                }
                6 => {
                    // Credit note, partial or whole.
                    let creditable: Vec<usize> = (0..account.invoices.len())
                        .filter(|&i| !account.invoices[i].void && account.invoices[i].total > account.invoices[i].credited)
                        .collect();
                    if let Some(invoice) = rng.pick(&creditable) {
                        let left = account.invoices[invoice].total - account.invoices[invoice].credited;
                        let amount = if rng.range(0, 1) == 0 { left } else { rng.range(1, left) };
                        account.credit(invoice, amount);
                    }
                }
                _ => {
                    // Void: refused once money or credit touched it.
                    if let Some(invoice) = rng.pick(&(0..account.invoices.len()).collect::<Vec<_>>()) {
                        let inv = account.invoices[invoice].clone();
                        let done = account.void(invoice);
                        assert_eq!(done, !inv.void && inv.paid == 0 && inv.credited == 0);
                        if !done {
                            assert_eq!(before, (account.totals, account.allocations.len(), account.payments.len()));
                        }
                    }
                }
            }
            account.check(step, seed);
        }
    }
}
