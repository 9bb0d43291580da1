//! CSV import and export of patients: RFC 4180 (comma-separated, fields
//! with commas, quotes or line breaks in double quotes, `""` for a quote),
//! UTF-8, a header row naming the columns. Parsing reports every bad row
//! with its line, field and reason; the service imports only when there
//! is none.

use crate::{errors::FieldErrors, patients::PatientForm};
use serde::{Deserialize, Serialize};

/// At most this many bytes per import: form encoding can grow CSV text by
/// half, and requests are limited to 256 KiB.
pub const MAX_BYTES: usize = 150 * 1024;
/// At most this many patients per import.
pub const MAX_ROWS: usize = 2_000;

/// The columns, in export order, with what they hold. Import needs
/// `given_name`, `family_name` and `date_of_birth`; the others may be
/// absent or empty. `mrn` and `status` are export-only
/// (import assigns new MRNs).
pub const COLUMNS: &[(&str, &str)] = &[
    ("mrn", "Record number (export only; import assigns new ones)"),
    ("given_name", "Given name (required)"),
    ("family_name", "Family name (required)"),
    ("preferred_name", "Name the patient goes by"),
    ("date_of_birth", "YYYY-MM-DD (required)"),
    ("sex_at_birth", "female, male, intersex or unknown"),
    ("gender_identity", "Free text"),
    ("phone", "e.g. +351 21 123 4567"),
    ("email", "Email address"),
    ("address_line1", "Address"),
    ("address_line2", "Address, second line"),
    ("city", "City"),
    ("postcode", "Postcode"),
    ("country", "Country"),
    ("preferred_language", "e.g. Portuguese"),
    ("national_id", "National identity number"),
    ("insurance_id", "Insurance number"),
    ("emergency_name", "Emergency contact's name"),
    ("emergency_relation", "Emergency contact's relation"),
    ("emergency_phone", "Emergency contact's phone"),
    ("guardian_name", "Guardian (required under 18)"),
    ("guardian_relation", "Guardian's relation (required under 18)"),
    ("guardian_phone", "Guardian's phone (phone or email required under 18)"),
    ("guardian_email", "Guardian's email"),
    ("contact_email", "yes or no: may be contacted by email"),
    ("contact_sms", "yes or no: may be contacted by SMS"),
    ("consent_treatment_on", "YYYY-MM-DD consent to treatment was recorded"),
    ("consent_sharing_on", "YYYY-MM-DD consent to data sharing was recorded"),
    ("status", "active or inactive (export only)"),
];

const EXPORT_ONLY: &[&str] = &["mrn", "status"];
const REQUIRED: &[&str] = &["given_name", "family_name", "date_of_birth"];

/// One problem in an import: the file's line (1 = the header), the column
/// (empty when about the whole row) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub line: usize,
    pub field: String,
    pub reason: String,
}

impl RowProblem {
    fn new(line: usize, field: &str, reason: impl Into<String>) -> Self {
        Self { line, field: field.to_owned(), reason: reason.into() }
    }
}

/// A record and the line it starts on (a quoted field may span lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits RFC 4180 text into records. Accepts CRLF or LF line ends and a
/// leading byte-order mark; a record that is one empty field (a blank
/// line) is skipped. A malformed quote is an error at its line.
pub fn parse_records(text: &str) -> Result<Vec<Record>, RowProblem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    // In a quoted field; just closed a quoted field (only , or a line end may follow).
    let (mut quoted, mut closed) = (false, false);
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    quoted = false;
                    closed = true;
                }
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            '"' => return Err(RowProblem::new(line, "", "A quote inside a field that does not start with a quote: put the whole field in quotes and double the quote (\"\").")),
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
                closed = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                if !(fields.len() == 1 && fields[0].is_empty()) {
                    records.push(Record { line: record_line, fields: std::mem::take(&mut fields) });
                }
                fields.clear();
                line += 1;
                record_line = line;
                at_field_start = true;
                closed = false;
            }
            _ if closed => {
                return Err(RowProblem::new(line, "", "Text after a closing quote: a quoted field must end at a comma or the line end."))
            }
            c => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err(RowProblem::new(record_line, "", "A quoted field is never closed."));
    }
    fields.push(field);
    if !(fields.len() == 1 && fields[0].is_empty()) {
        records.push(Record { line: record_line, fields });
    }
    Ok(records)
}

/// One row ready to register, with its line for reporting.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: usize,
    pub form: PatientForm,
}

/// Reads the header and rows into forms. Problems found here (unknown or
/// missing columns, wrong field counts, bad yes/no values) are returned
/// with the rows that could be read; the service then parses each form
/// and adds its field errors at the row's line.
pub fn read_import(text: &str) -> Result<Vec<ImportRow>, Vec<RowProblem>> {
    if text.len() > MAX_BYTES {
        return Err(vec![RowProblem::new(0, "", format!("The file is larger than {} KB: split it into smaller files.", MAX_BYTES / 1024))]);
    }
    let records = parse_records(text).map_err(|p| vec![p])?;
    let Some((header, rows)) = records.split_first() else {
        return Err(vec![RowProblem::new(1, "", "The file is empty: it needs a header row and at least one patient.")]);
    };
    let mut problems = Vec::new();
    let names: Vec<String> = header.fields.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    for (i, name) in names.iter().enumerate() {
        if !COLUMNS.iter().any(|(c, _)| c == name) || EXPORT_ONLY.contains(&name.as_str()) {
            let shown: String = header.fields[i].chars().take(40).collect();
            problems.push(RowProblem::new(header.line, &shown, "Unknown column: see the list of columns on this page."));
        } else if names[..i].contains(name) {
            problems.push(RowProblem::new(header.line, name, "This column appears twice."));
        }
    }
    for required in REQUIRED {
        if !names.iter().any(|n| n == required) {
            problems.push(RowProblem::new(header.line, required, "Missing required column."));
        }
    }
    if rows.is_empty() {
        problems.push(RowProblem::new(header.line, "", "There are no patients after the header row."));
    }
    if rows.len() > MAX_ROWS {
        problems.push(RowProblem::new(0, "", format!("At most {MAX_ROWS} patients per file: split it into smaller files.")));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if row.fields.len() != names.len() {
            problems.push(RowProblem::new(row.line, "", format!("{} fields, but the header has {}.", row.fields.len(), names.len())));
            continue;
        }
        let mut form = PatientForm::default();
        for (name, value) in names.iter().zip(&row.fields) {
            if let Err(reason) = assign(&mut form, name, value) {
                problems.push(RowProblem::new(row.line, name, reason));
            }
        }
        out.push(ImportRow { line: row.line, form });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn yes_no(value: &str) -> Result<Option<String>, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "no" | "n" | "false" | "0" => Ok(None),
        "yes" | "y" | "true" | "1" => Ok(Some("on".to_owned())),
        _ => Err("Write yes or no.".to_owned()),
    }
}

fn assign(form: &mut PatientForm, column: &str, value: &str) -> Result<(), String> {
    let v = value.to_owned();
    match column {
        "given_name" => form.given_name = v,
        "family_name" => form.family_name = v,
        "preferred_name" => form.preferred_name = v,
        "date_of_birth" => form.date_of_birth = v,
        "sex_at_birth" => form.sex_at_birth = v,
        "gender_identity" => form.gender_identity = v,
        "phone" => form.phone = v,
        "email" => form.email = v,
        "address_line1" => form.address_line1 = v,
        "address_line2" => form.address_line2 = v,
        "city" => form.city = v,
        "postcode" => form.postcode = v,
        "country" => form.country = v,
        "preferred_language" => form.preferred_language = v,
        "national_id" => form.national_id = v,
        "insurance_id" => form.insurance_id = v,
        "emergency_name" => form.emergency_name = v,
        "emergency_relation" => form.emergency_relation = v,
        "emergency_phone" => form.emergency_phone = v,
        "guardian_name" => form.guardian_name = v,
        "guardian_relation" => form.guardian_relation = v,
        "guardian_phone" => form.guardian_phone = v,
        "guardian_email" => form.guardian_email = v,
        "contact_email" => form.contact_email = yes_no(value)?,
        "contact_sms" => form.contact_sms = yes_no(value)?,
        "consent_treatment_on" => form.consent_treatment_on = v,
        "consent_sharing_on" => form.consent_sharing_on = v,
        _ => return Err("Unknown column.".to_owned()),
    }
    Ok(())
}

/// A form's field errors as problems at `line`.
pub fn problems_at(line: usize, errors: &FieldErrors) -> Vec<RowProblem> {
    errors.0.iter().map(|(field, reason)| RowProblem::new(line, field, reason.clone())).collect()
}

/// One field of an export. Quoted when it holds a comma, quote or line
/// break. A cell a spreadsheet would run as a formula (starting with `=`,
/// `@`, or `+`/`-` not followed by a digit or space) gets a leading `'`,
/// so opening the export cannot execute anything.
pub fn escape(value: &str) -> String {
    let formula = match value.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !value.chars().nth(1).is_some_and(|c| c.is_ascii_digit() || c == ' '),
        _ => false,
    };
    let value = if formula { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A whole line of an export, CRLF-terminated.
pub fn line(fields: &[&str]) -> String {
    let mut out = fields.iter().map(|f| escape(f)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

/// The header line of an export.
pub fn header() -> String {
    line(&COLUMNS.iter().map(|(c, _)| *c).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_follow_rfc_4180() {
        let text = "\u{feff}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n1,,3\n\n";
        let records = parse_records(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].fields, vec!["x, y", "say \"hi\"", "two\nlines"]);
        assert_eq!(records[1].line, 2);
        assert_eq!(records[2].line, 4, "the record after a two-line field starts on line 4");
        assert_eq!(records[2].fields, vec!["1", "", "3"]);
        assert_eq!(parse_records("a,b").unwrap()[0].fields, vec!["a", "b"]);
    }

    #[test]
    fn malformed_quotes_are_reported_at_their_line() {
        assert_eq!(parse_records("a,b\nx,y\"z\n").unwrap_err().line, 2);
        assert_eq!(parse_records("a\n\"x\"y\n").unwrap_err().line, 2);
        assert!(parse_records("a\n\"never closed\n").unwrap_err().reason.contains("never closed"));
    }

    #[test]
    fn import_reports_unknown_missing_and_bad_rows() {
        let unknown = read_import("given_name,family_name,date_of_birth,shoe_size\nAna,Silva,1984-03-12,42\n").unwrap_err();
        assert_eq!(unknown, vec![RowProblem::new(1, "shoe_size", "Unknown column: see the list of columns on this page.")]);
        let missing = read_import("given_name,family_name\nAna,Silva\n").unwrap_err();
        assert_eq!(missing[0].field, "date_of_birth");
        let rows = read_import("given_name,family_name,date_of_birth,contact_sms\nAna,Silva,1984-03-12,yes\nBo,Lee\nCy,Ng,2000-01-01,maybe\n").unwrap_err();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].field.as_str()), (3, ""));
        assert_eq!((rows[1].line, rows[1].field.as_str()), (4, "contact_sms"));
        let ok = read_import("Given_Name, family_name ,date_of_birth,contact_sms\r\nAna,Silva,1984-03-12,yes\r\n").unwrap();
        assert_eq!(ok[0].line, 2);
        assert_eq!(ok[0].form.contact_sms.as_deref(), Some("on"));
        assert!(read_import("").is_err());
        assert!(read_import(&"x".repeat(MAX_BYTES + 1)).unwrap_err()[0].reason.contains("larger"));
        assert!(read_import("mrn,given_name,family_name,date_of_birth\nP1,A,B,2000-01-01\n").is_err(), "mrn is export-only");
    }

    #[test]
    fn export_escapes_quotes_and_formulas() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a,b"), "\"a,b\"");
        assert_eq!(escape("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(escape("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(escape("+351 21 123"), "+351 21 123");
        assert_eq!(escape("-cmd"), "'-cmd");
        assert_eq!(line(&["a", "b"]), "a,b\r\n");
        let exported = format!("{}{}", header(), line(&["P000001", "Ana", "Silva"]));
        assert_eq!(parse_records(&exported).unwrap()[1].fields, vec!["P000001", "Ana", "Silva"]);
    }
}
