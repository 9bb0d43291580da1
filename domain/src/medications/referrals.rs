//! Referrals to other providers: to whom, why, how urgently, and where the
//! referral stands (draft → sent → completed). The letter is generated
//! from these fields plus an optional note.

use super::{allergies::choice, text};
use crate::{
    errors::{FieldErrors, ParseError},
    EmailAddress,
};
use serde::{Deserialize, Serialize};

choice!(Urgency {
    Routine => "routine", "Routine";
    Soon => "soon", "Soon (within 2 weeks)";
    Urgent => "urgent", "Urgent";
} "urgency");

choice!(ReferralStatus {
    Draft => "draft", "Draft";
    Sent => "sent", "Sent";
    Completed => "completed", "Completed";
} "status");

impl ReferralStatus {
    /// Forward only: a draft is sent, a sent referral completed (a draft
    /// may be closed as completed too, e.g. handed over by phone).
    pub fn can_become(self, next: ReferralStatus) -> bool {
        matches!(
            (self, next),
            (ReferralStatus::Draft, ReferralStatus::Sent)
                | (ReferralStatus::Draft, ReferralStatus::Completed)
                | (ReferralStatus::Sent, ReferralStatus::Completed)
        )
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReferralForm {
    pub to_name: String,
    #[serde(default)]
    pub specialty: String,
    #[serde(default)]
    pub to_address: String,
    #[serde(default)]
    pub to_email: String,
    pub reason: String,
    pub urgency: String,
    /// Extra text for the letter (history, what is asked).
    #[serde(default)]
    pub letter: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    pub to_name: String,
    pub specialty: Option<String>,
    pub to_address: Option<String>,
    pub to_email: Option<EmailAddress>,
    pub reason: String,
    pub urgency: Urgency,
    pub letter: Option<String>,
}

impl ReferralForm {
    pub const MAX_LETTER: usize = 8000;

    pub fn parse(&self) -> Result<NewReferral, FieldErrors> {
        let mut errors = FieldErrors::new();
        let to_name = errors.check("to_name", text::required(&self.to_name, 200, "provider's name"));
        let specialty = errors.check("specialty", text::optional(&self.specialty, 100, "specialty"));
        let to_address = errors.check("to_address", text::optional_multi_line(&self.to_address, 300, "address"));
        let to_email = errors.check(
            "to_email",
            if self.to_email.trim().is_empty() { Ok(None) } else { EmailAddress::parse(&self.to_email).map(Some) },
        );
        let reason = errors.check("reason", text::reason(&self.reason, 5, 2000, "reason for the referral"));
        let urgency = errors.check("urgency", Urgency::parse(&self.urgency));
        let letter = errors.check("letter", text::optional_multi_line(&self.letter, Self::MAX_LETTER, "letter"));
        match (to_name, specialty, to_address, to_email, reason, urgency, letter) {
            (Some(to_name), Some(specialty), Some(to_address), Some(to_email), Some(reason), Some(urgency), Some(letter))
                if errors.is_empty() =>
            {
                Ok(NewReferral { to_name, specialty, to_address, to_email, reason, urgency, letter })
            }
            _ => Err(errors),
        }
    }
}

/// The status picked on the page, as a transition from `current`.
pub fn parse_transition(current: ReferralStatus, raw: &str) -> Result<ReferralStatus, ParseError> {
    let next = ReferralStatus::parse(raw)?;
    if current.can_become(next) {
        Ok(next)
    } else {
        Err(ParseError::new(format!("A {} referral cannot become {}.", current.label().to_lowercase(), next.label().to_lowercase())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrals_parse_and_move_forward_only() {
        let form = ReferralForm {
            to_name: "Dr Ines Mota".into(),
            specialty: "Dermatology".into(),
            to_email: "derm@hospital.example".into(),
            reason: "Changing pigmented lesion, left shoulder".into(),
            urgency: "soon".into(),
            ..Default::default()
        };
        assert_eq!(form.parse().unwrap().urgency, Urgency::Soon);
        let bad = ReferralForm { to_email: "nope".into(), reason: "".into(), urgency: "yesterday".into(), letter: "l".repeat(9000), ..form };
        let errors = bad.parse().unwrap_err();
        for field in ["to_email", "reason", "urgency", "letter"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(parse_transition(ReferralStatus::Draft, "sent").is_ok());
        assert!(parse_transition(ReferralStatus::Completed, "draft").unwrap_err().0.contains("cannot"));
        assert!(parse_transition(ReferralStatus::Sent, "sent").is_err());
    }
}
