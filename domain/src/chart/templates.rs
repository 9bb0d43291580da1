//! Note templates: a clinic's named lists of structured fields (text,
//! number or choice), each placed in a SOAP section. Typed in one textarea,
//! a field per line:
//!
//! ```text
//! subjective | Presenting complaint | text
//! objective | Heart rate (bpm) | number
//! assessment | Severity | choice: mild, moderate, severe
//! ```

use super::{clinical_text, encounters::{Section, MAX_TEMPLATE_FIELDS}, line_text};
use crate::errors::{FieldErrors, ParseError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Choice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateField {
    pub label: String,
    pub kind: FieldKind,
    pub section: Section,
    #[serde(default)]
    pub choices: Vec<String>,
}

impl TemplateField {
    pub const MAX_LABEL: usize = 60;
    pub const MAX_TEXT: usize = 2_000;
    pub const MAX_CHOICES: usize = 12;

    /// Checks a value typed for this field; empty means not filled in.
    pub fn check(&self, raw: &str) -> Result<Option<String>, ParseError> {
        let value = raw.trim();
        if value.is_empty() {
            return Ok(None);
        }
        match self.kind {
            FieldKind::Text => clinical_text(value, Self::MAX_TEXT, &self.label).map(Some),
            FieldKind::Number => match value.replace(',', ".").parse::<f64>() {
                Ok(n) if n.is_finite() && n.abs() < 1e7 && value.len() <= 20 => Ok(Some(value.replace(',', "."))),
                _ => Err(ParseError::new(format!("Enter a number for {}.", self.label))),
            },
            FieldKind::Choice => self
                .choices
                .iter()
                .find(|c| c.as_str() == value)
                .map(|c| Some(c.clone()))
                .ok_or_else(|| ParseError::new(format!("Choose one of: {}.", self.choices.join(", ")))),
        }
    }

    /// The field as one line of the template textarea.
    pub fn to_line(&self) -> String {
        let kind = match self.kind {
            FieldKind::Text => "text".to_owned(),
            FieldKind::Number => "number".to_owned(),
            FieldKind::Choice => format!("choice: {}", self.choices.join(", ")),
        };
        format!("{} | {} | {kind}", self.section.as_str(), self.label)
    }
}

fn parse_line(line: &str) -> Result<TemplateField, String> {
    let parts: Vec<&str> = line.split('|').map(str::trim).collect();
    let [section, label, kind] = parts.as_slice() else {
        return Err("write section | label | kind".to_owned());
    };
    let section = Section::parse(section).ok_or("the section must be subjective, objective, assessment or plan")?;
    let label = line_text(label, TemplateField::MAX_LABEL, "label").map_err(|e| e.0)?;
    if label.is_empty() {
        return Err("the label is empty".to_owned());
    }
    let (kind, choices) = match kind.split_once(':') {
        None if kind.eq_ignore_ascii_case("text") => (FieldKind::Text, vec![]),
        None if kind.eq_ignore_ascii_case("number") => (FieldKind::Number, vec![]),
        Some((k, list)) if k.trim().eq_ignore_ascii_case("choice") => {
            let choices: Vec<String> = list.split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
            if choices.len() < 2 || choices.len() > TemplateField::MAX_CHOICES {
                return Err(format!("a choice needs 2 to {} options", TemplateField::MAX_CHOICES));
            }
            if choices.iter().any(|c| c.chars().count() > TemplateField::MAX_LABEL) {
                return Err("keep each option short".to_owned());
            }
            (FieldKind::Choice, choices)
        }
        _ => return Err("the kind must be text, number or choice: a, b".to_owned()),
    };
    Ok(TemplateField { label, kind, section, choices })
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TemplateForm {
    pub name: String,
    /// One field per line (see the module documentation).
    #[serde(default)]
    pub fields: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSpec {
    pub name: String,
    pub fields: Vec<TemplateField>,
}

impl TemplateForm {
    pub const MAX_NAME: usize = 80;

    pub fn parse(&self) -> Result<TemplateSpec, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check(
            "name",
            line_text(&self.name, Self::MAX_NAME, "name").and_then(|n| {
                if n.is_empty() { Err(ParseError::new("Enter a name for the template.")) } else { Ok(n) }
            }),
        );
        let mut fields = Vec::new();
        if self.fields.len() > 20_000 {
            errors.add("fields", "Keep the list of fields shorter.");
        } else {
            for (n, line) in self.fields.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                match parse_line(line) {
                    Ok(field) => fields.push(field),
                    Err(why) => {
                        errors.add("fields", format!("Line {}: {why}.", n + 1));
                        break;
                    }
                }
            }
            if fields.len() > MAX_TEMPLATE_FIELDS {
                errors.add("fields", format!("Use at most {MAX_TEMPLATE_FIELDS} fields."));
            }
            let mut labels: Vec<&str> = fields.iter().map(|f| f.label.as_str()).collect();
            labels.sort_unstable();
            if labels.windows(2).any(|w| w[0] == w[1]) && errors.get("fields").is_none() {
                errors.add("fields", "Give each field a different label.");
            }
        }
        match name {
            Some(name) if errors.is_empty() => Ok(TemplateSpec { name, fields }),
            _ => Err(errors),
        }
    }
}

/// The templates every clinic starts with (editable afterwards).
pub fn default_templates() -> Vec<TemplateSpec> {
    let field = |section, label: &str, kind, choices: &[&str]| TemplateField {
        label: label.to_owned(),
        kind,
        section,
        choices: choices.iter().map(|c| (*c).to_owned()).collect(),
    };
    use FieldKind::*;
    use Section::*;
    vec![
        TemplateSpec {
            name: "First consultation".to_owned(),
            fields: vec![
                field(Subjective, "Presenting complaint", Text, &[]),
                field(Subjective, "History of presenting complaint", Text, &[]),
                field(Objective, "Heart rate (bpm)", Number, &[]),
                field(Objective, "Temperature (°C)", Number, &[]),
                field(Assessment, "Working diagnosis", Text, &[]),
                field(Plan, "Follow-up", Choice, &["none", "1 week", "2 weeks", "1 month", "as needed"]),
            ],
        },
        TemplateSpec {
            name: "Follow-up".to_owned(),
            fields: vec![
                field(Subjective, "Progress since last visit", Choice, &["better", "same", "worse"]),
                field(Objective, "Findings", Text, &[]),
                field(Plan, "Next review", Choice, &["none", "2 weeks", "1 month", "3 months"]),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_lines_parse_and_round_trip() {
        let form = TemplateForm {
            name: "Asthma review".into(),
            fields: "subjective | Symptoms | text\n\nobjective | Peak flow | number\nassessment | Control | choice: good, partial, poor".into(),
        };
        let spec = form.parse().unwrap();
        assert_eq!(spec.fields.len(), 3);
        assert_eq!(spec.fields[2].choices, vec!["good", "partial", "poor"]);
        let lines: Vec<String> = spec.fields.iter().map(TemplateField::to_line).collect();
        let again = TemplateForm { name: "x".into(), fields: lines.join("\n") }.parse().unwrap();
        assert_eq!(again.fields, spec.fields);
    }

    #[test]
    fn bad_templates_say_which_line() {
        let bad = TemplateForm { name: "".into(), fields: "subjective | A | text\nvitals | B | number".into() };
        let errors = bad.parse().unwrap_err();
        assert!(errors.get("name").is_some());
        assert!(errors.get("fields").unwrap().starts_with("Line 2"));
        let many = (0..13).map(|i| format!("plan | F{i} | text")).collect::<Vec<_>>().join("\n");
        assert!(TemplateForm { name: "x".into(), fields: many }.parse().is_err());
        let dup = TemplateForm { name: "x".into(), fields: "plan | A | text\nplan | A | number".into() };
        assert!(dup.parse().is_err());
        let one_choice = TemplateForm { name: "x".into(), fields: "plan | A | choice: only".into() };
        assert!(one_choice.parse().is_err());
    }

    #[test]
    fn values_are_checked_by_kind() {
        let number = TemplateField { label: "HR".into(), kind: FieldKind::Number, section: Section::Objective, choices: vec![] };
        assert_eq!(number.check(" 72 ").unwrap(), Some("72".into()));
        assert_eq!(number.check("").unwrap(), None);
        assert!(number.check("NaN").is_err() && number.check("1e400").is_err() && number.check("seventy").is_err());
        for spec in default_templates() {
            assert!(TemplateForm { name: spec.name.clone(), fields: spec.fields.iter().map(TemplateField::to_line).collect::<Vec<_>>().join("\n") }.parse().is_ok());
        }
    }
}
