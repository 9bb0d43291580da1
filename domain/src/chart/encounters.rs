//! Encounters (visits) and their SOAP notes: drafts, signing, amendments.

use super::{clinical_text, required_text};
use crate::{
    errors::{FieldErrors, ParseError},
    patients::parse_date,
    scheduling::local::parse_time,
};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// What kind of contact an encounter was. An allow-list: stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncounterKind {
    Consultation,
    FollowUp,
    Telephone,
    HomeVisit,
    Procedure,
    Other,
}

impl EncounterKind {
    pub const ALL: [EncounterKind; 6] = [
        EncounterKind::Consultation,
        EncounterKind::FollowUp,
        EncounterKind::Telephone,
        EncounterKind::HomeVisit,
        EncounterKind::Procedure,
        EncounterKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EncounterKind::Consultation => "consultation",
            EncounterKind::FollowUp => "follow_up",
            EncounterKind::Telephone => "telephone",
            EncounterKind::HomeVisit => "home_visit",
            EncounterKind::Procedure => "procedure",
            EncounterKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EncounterKind::Consultation => "Consultation",
            EncounterKind::FollowUp => "Follow-up",
            EncounterKind::Telephone => "Telephone",
            EncounterKind::HomeVisit => "Home visit",
            EncounterKind::Procedure => "Procedure",
            EncounterKind::Other => "Other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| ParseError::new("Choose the kind of encounter."))
    }
}

/// A note is a draft until signed; a signed note never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    Draft,
    Signed,
}

impl NoteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteStatus::Draft => "draft",
            NoteStatus::Signed => "signed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "draft" => Some(NoteStatus::Draft),
            "signed" => Some(NoteStatus::Signed),
            _ => None,
        }
    }
}

/// The four SOAP sections, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Subjective,
    Objective,
    Assessment,
    Plan,
}

impl Section {
    pub const ALL: [Section; 4] = [Section::Subjective, Section::Objective, Section::Assessment, Section::Plan];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Subjective => "subjective",
            Section::Objective => "objective",
            Section::Assessment => "assessment",
            Section::Plan => "plan",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Subjective => "Subjective",
            Section::Objective => "Objective",
            Section::Assessment => "Assessment",
            Section::Plan => "Plan",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim().to_ascii_lowercase())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EncounterForm {
    pub patient_id: String,
    pub date: String,
    pub time: String,
    pub kind: String,
    /// Empty: the practitioner linked to the signed-in member, if any.
    #[serde(default)]
    pub practitioner_id: String,
    #[serde(default)]
    pub appointment_id: String,
    /// Empty: a blank note.
    #[serde(default)]
    pub template_id: String,
}

#[derive(Debug, Clone)]
pub struct NewEncounter {
    pub patient_id: String,
    /// Clinic wall-clock time; the server resolves it in the clinic's zone.
    pub local: NaiveDateTime,
    pub kind: EncounterKind,
    pub practitioner_id: Option<uuid::Uuid>,
    pub appointment_id: Option<uuid::Uuid>,
    pub template_id: Option<uuid::Uuid>,
}

fn optional_id(raw: &str, message: &str) -> Result<Option<uuid::Uuid>, ParseError> {
    match raw.trim() {
        "" => Ok(None),
        raw => crate::ids::parse_uuid(raw).map(Some).map_err(|_| ParseError::new(message)),
    }
}

impl EncounterForm {
    /// `today` in the clinic's zone: an encounter is recorded when it
    /// happens or after, so a date after today is refused.
    pub fn parse(&self, today: NaiveDate) -> Result<NewEncounter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let date = errors.check(
            "date",
            if self.date.trim().is_empty() { Err(ParseError::new("Enter the date of the encounter.")) } else { parse_date(&self.date) }
                .and_then(|d| {
                    if d > today {
                        Err(ParseError::new("The encounter cannot be in the future."))
                    } else if d < today - chrono::Duration::days(365 * 50) {
                        Err(ParseError::new("Check the year: that is more than 50 years ago."))
                    } else {
                        Ok(d)
                    }
                }),
        );
        let time = errors.check("time", parse_time(&self.time));
        let kind = errors.check("kind", EncounterKind::parse(&self.kind));
        let practitioner_id = errors.check("practitioner_id", optional_id(&self.practitioner_id, "Choose a practitioner from the list."));
        let appointment_id = errors.check("appointment_id", optional_id(&self.appointment_id, "Choose an appointment from the list, or none."));
        let template_id = errors.check("template_id", optional_id(&self.template_id, "Choose a template from the list, or none."));
        match (date, time, kind, practitioner_id, appointment_id, template_id) {
            (Some(date), Some(time), Some(kind), Some(practitioner_id), Some(appointment_id), Some(template_id))
                if errors.is_empty() =>
            {
                Ok(NewEncounter {
                    patient_id: self.patient_id.trim().to_owned(),
                    local: date.and_time(time),
                    kind,
                    practitioner_id,
                    appointment_id,
                    template_id,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The most a template may define: the form carries one input per field.
pub const MAX_TEMPLATE_FIELDS: usize = 12;

/// A draft note's content. `f0`…`f11` are the values of the template's
/// structured fields (if the note has a template), in the template's order;
/// they are checked against their kinds and written into their sections as
/// `Label: value` lines, above that section's free text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub subjective: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub f0: String,
    #[serde(default)]
    pub f1: String,
    #[serde(default)]
    pub f2: String,
    #[serde(default)]
    pub f3: String,
    #[serde(default)]
    pub f4: String,
    #[serde(default)]
    pub f5: String,
    #[serde(default)]
    pub f6: String,
    #[serde(default)]
    pub f7: String,
    #[serde(default)]
    pub f8: String,
    #[serde(default)]
    pub f9: String,
    #[serde(default)]
    pub f10: String,
    #[serde(default)]
    pub f11: String,
}

/// The field names of the structured values, in order.
pub const FIELD_NAMES: [&str; MAX_TEMPLATE_FIELDS] = ["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11"];

/// A note's four sections, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteContent {
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
}

impl NoteContent {
    pub fn section(&self, section: Section) -> &str {
        match section {
            Section::Subjective => &self.subjective,
            Section::Objective => &self.objective,
            Section::Assessment => &self.assessment,
            Section::Plan => &self.plan,
        }
    }

    fn section_mut(&mut self, section: Section) -> &mut String {
        match section {
            Section::Subjective => &mut self.subjective,
            Section::Objective => &mut self.objective,
            Section::Assessment => &mut self.assessment,
            Section::Plan => &mut self.plan,
        }
    }

    pub fn is_empty(&self) -> bool {
        Section::ALL.iter().all(|s| self.section(*s).is_empty())
    }
}

impl NoteForm {
    /// 50 000 characters a section: a long consultation is a few thousand;
    /// four full sections still fit the server's request size limit.
    pub const MAX_SECTION: usize = 50_000;

    pub fn values(&self) -> [&str; MAX_TEMPLATE_FIELDS] {
        [
            &self.f0, &self.f1, &self.f2, &self.f3, &self.f4, &self.f5, &self.f6, &self.f7, &self.f8, &self.f9,
            &self.f10, &self.f11,
        ]
    }

    /// Parses the sections and the template's field values (`template`:
    /// the fields of the note's template, none for a blank note).
    pub fn parse(&self, template: &[super::templates::TemplateField]) -> Result<NoteContent, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut content = NoteContent::default();
        for section in Section::ALL {
            let raw = match section {
                Section::Subjective => &self.subjective,
                Section::Objective => &self.objective,
                Section::Assessment => &self.assessment,
                Section::Plan => &self.plan,
            };
            if let Some(text) = errors.check(section.as_str(), clinical_text(raw, Self::MAX_SECTION, &section.label().to_lowercase())) {
                *content.section_mut(section) = text;
            }
        }
        // Structured values become labelled lines at the top of their section.
        let mut lines: Vec<(Section, String)> = Vec::new();
        for ((field, raw), name) in template.iter().zip(self.values()).zip(FIELD_NAMES) {
            if let Some(Some(value)) = errors.check(name, field.check(raw)) {
                lines.push((field.section, format!("{}: {value}", field.label)));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        for section in Section::ALL.into_iter().rev() {
            let mine: Vec<&str> = lines.iter().filter(|(s, _)| *s == section).map(|(_, l)| l.as_str()).collect();
            if mine.is_empty() {
                continue;
            }
            let text = content.section_mut(section);
            let joined = mine.join("\n");
            *text = if text.is_empty() { joined } else { format!("{joined}\n{text}") };
            if text.chars().count() > Self::MAX_SECTION {
                errors.add(section.as_str(), format!("Keep the {} under {} characters.", section.label().to_lowercase(), Self::MAX_SECTION));
            }
        }
        errors.into_result(|| content)
    }
}

/// An amendment to a signed note: what changes and why. Both required.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AmendmentForm {
    pub note_id: String,
    pub reason: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Amendment {
    pub note_id: String,
    pub reason: String,
    pub body: String,
}

impl AmendmentForm {
    pub const MAX_REASON: usize = 500;

    pub fn parse(&self) -> Result<Amendment, FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = errors.check("reason", required_text(&self.reason, Self::MAX_REASON, "reason for the amendment"));
        let body = errors.check("body", required_text(&self.body, NoteForm::MAX_SECTION, "amendment"));
        match (reason, body) {
            (Some(reason), Some(body)) if errors.is_empty() => Ok(Amendment { note_id: self.note_id.trim().to_owned(), reason, body }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::templates::{FieldKind, TemplateField};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    #[test]
    fn encounter_form_refuses_future_and_unknown_kinds() {
        let form = EncounterForm { date: "2026-11-25".into(), time: "09:00".into(), kind: "consultation".into(), ..Default::default() };
        assert!(form.parse(today()).unwrap_err().get("date").unwrap().contains("future"));
        let form = EncounterForm { date: "2026-11-24".into(), time: "25:00".into(), kind: "surgery".into(), ..Default::default() };
        let errors = form.parse(today()).unwrap_err();
        assert!(errors.get("time").is_some() && errors.get("kind").is_some());
        let form = EncounterForm { date: "2026-11-24".into(), time: "09:30".into(), kind: "follow_up".into(), practitioner_id: "nope".into(), ..Default::default() };
        assert!(form.parse(today()).unwrap_err().get("practitioner_id").is_some());
        let ok = EncounterForm { date: "2026-11-20".into(), time: "09:30".into(), kind: "follow_up".into(), ..Default::default() };
        assert_eq!(ok.parse(today()).unwrap().kind, EncounterKind::FollowUp);
    }

    #[test]
    fn note_sections_are_bounded() {
        let big = NoteForm { subjective: "x".repeat(1_000_000), ..Default::default() };
        let errors = big.parse(&[]).unwrap_err();
        assert!(errors.get("subjective").unwrap().contains("under 50000"));
        let markup = NoteForm { plan: "<script>alert(1)</script>".into(), ..Default::default() };
        assert_eq!(markup.parse(&[]).unwrap().plan, "<script>alert(1)</script>");
    }

    #[test]
    fn template_values_are_checked_and_land_in_their_sections() {
        let template = vec![
            TemplateField { label: "Heart rate".into(), kind: FieldKind::Number, section: Section::Objective, choices: vec![] },
            TemplateField { label: "Severity".into(), kind: FieldKind::Choice, section: Section::Assessment, choices: vec!["mild".into(), "severe".into()] },
            TemplateField { label: "Complaint".into(), kind: FieldKind::Text, section: Section::Subjective, choices: vec![] },
        ];
        let bad = NoteForm { f0: "fast".into(), f1: "medium".into(), ..Default::default() };
        let errors = bad.parse(&template).unwrap_err();
        assert!(errors.get("f0").is_some() && errors.get("f1").is_some() && errors.get("f2").is_none());
        let good = NoteForm { objective: "Looks well.".into(), f0: "72".into(), f1: "mild".into(), ..Default::default() };
        let content = good.parse(&template).unwrap();
        assert_eq!(content.objective, "Heart rate: 72\nLooks well.");
        assert_eq!(content.assessment, "Severity: mild");
        assert_eq!(content.subjective, "");
    }

    #[test]
    fn amendments_need_a_reason_and_a_body() {
        let errors = AmendmentForm { note_id: "x".into(), reason: " ".into(), body: "".into() }.parse().unwrap_err();
        assert!(errors.get("reason").is_some() && errors.get("body").is_some());
        assert!(AmendmentForm { note_id: "x".into(), reason: "r".repeat(501), body: "b".into() }.parse().is_err());
    }
}
