//! Typed identifiers. An `Id<Patient>` cannot be passed where an
//! `Id<Appointment>` is expected, which removes a whole class of IDOR bugs
//! at compile time.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{fmt, marker::PhantomData, str::FromStr};
use uuid::Uuid;

pub struct Id<T> {
    uuid: Uuid,
    _kind: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self { uuid, _kind: PhantomData }
    }

    pub const fn as_uuid(&self) -> Uuid {
        self.uuid
    }

    /// A new time-ordered id (UUIDv7): ids sort by creation time, which keeps
    /// B-tree inserts local. Generated on the server only.
    #[cfg(feature = "server")]
    pub fn generate() -> Self {
        Self::from_uuid(Uuid::now_v7())
    }
}

// Manual impls: derives would wrongly require `T: Clone` etc.
impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}
impl<T> Eq for Id<T> {}
impl<T> std::hash::Hash for Id<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.uuid.hash(state)
    }
}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}
impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.uuid)
    }
}
impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.uuid.fmt(f)
    }
}
/// The one parser of ids from clients (forms, paths, JSON): the form the
/// server writes them in and nothing else, 36 characters, lower-case hex
/// digits with hyphens at 8, 13, 18 and 23 (surrounding whitespace aside).
/// `uuid::Uuid::parse_str` also takes `{…}`, `urn:uuid:…`, hyphen-less and
/// upper-case text: several spellings of one record, which slip past
/// anything that compares or keys on the text (audit entries, the
/// encryption's row binding). Anything else is `MalformedId`, which callers
/// answer as "no such record" (404) or a field error (422).
pub fn parse_uuid(raw: &str) -> Result<Uuid, MalformedId> {
    let text = raw.trim();
    let canonical = text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
        });
    if !canonical {
        return Err(MalformedId);
    }
    Uuid::try_parse(text).map_err(|_| MalformedId)
}

/// Text that is not an id in its one accepted form (see [`parse_uuid`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedId;

impl fmt::Display for MalformedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an id")
    }
}

impl std::error::Error for MalformedId {}

impl<T> FromStr for Id<T> {
    type Err = MalformedId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_uuid(s).map(Self::from_uuid)
    }
}
impl<T> Serialize for Id<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.uuid.serialize(s)
    }
}
impl<'de, T> Deserialize<'de> for Id<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if !d.is_human_readable() {
            return Uuid::deserialize(d).map(Self::from_uuid);
        }
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_uuid(&text).map(Self::from_uuid).map_err(serde::de::Error::custom)
    }
}

/// Marker types naming what an id points at.
pub mod kinds {
    pub enum Clinic {}
    pub enum User {}
    pub enum Membership {}
    pub enum Invite {}
    pub enum Practitioner {}
    pub enum Patient {}
    pub enum Appointment {}
    pub enum Invoice {}
    pub enum Room {}
    pub enum AppointmentType {}
    pub enum Series {}
    pub enum TimeOff {}
    pub enum WaitlistEntry {}
    pub enum Encounter {}
    pub enum ClinicalNote {}
    pub enum NoteAmendment {}
    pub enum NoteTemplate {}
    pub enum Problem {}
    pub enum HistoryEntry {}
    pub enum Allergy {}
    pub enum Medication {}
    pub enum Immunization {}
    pub enum Referral {}
    pub enum VitalSigns {}
    pub enum LabOrder {}
    pub enum LabResult {}
    pub enum FeeService {}
    pub enum InvoiceLine {}
    pub enum Payment {}
    pub enum Refund {}
    pub enum FeePackage {}
    pub enum PatientPackage {}
    pub enum Payer {}
}

pub type ClinicId = Id<kinds::Clinic>;
pub type UserId = Id<kinds::User>;
pub type MembershipId = Id<kinds::Membership>;
pub type InviteId = Id<kinds::Invite>;
pub type PractitionerId = Id<kinds::Practitioner>;
pub type PatientId = Id<kinds::Patient>;
pub type AppointmentId = Id<kinds::Appointment>;
pub type InvoiceId = Id<kinds::Invoice>;
pub type RoomId = Id<kinds::Room>;
pub type AppointmentTypeId = Id<kinds::AppointmentType>;
pub type SeriesId = Id<kinds::Series>;
pub type TimeOffId = Id<kinds::TimeOff>;
pub type WaitlistEntryId = Id<kinds::WaitlistEntry>;
pub type EncounterId = Id<kinds::Encounter>;
pub type ClinicalNoteId = Id<kinds::ClinicalNote>;
pub type NoteAmendmentId = Id<kinds::NoteAmendment>;
pub type NoteTemplateId = Id<kinds::NoteTemplate>;
pub type ProblemId = Id<kinds::Problem>;
pub type HistoryEntryId = Id<kinds::HistoryEntry>;
pub type AllergyId = Id<kinds::Allergy>;
pub type MedicationId = Id<kinds::Medication>;
pub type ImmunizationId = Id<kinds::Immunization>;
pub type ReferralId = Id<kinds::Referral>;
pub type VitalSignsId = Id<kinds::VitalSigns>;
pub type LabOrderId = Id<kinds::LabOrder>;
pub type LabResultId = Id<kinds::LabResult>;
pub type FeeServiceId = Id<kinds::FeeService>;
pub type InvoiceLineId = Id<kinds::InvoiceLine>;
pub type PaymentId = Id<kinds::Payment>;
pub type RefundId = Id<kinds::Refund>;
pub type FeePackageId = Id<kinds::FeePackage>;
pub type PatientPackageId = Id<kinds::PatientPackage>;
pub type PayerId = Id<kinds::Payer>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id: PatientId = "0190f1b2-7c1e-7a4b-8f00-123456789abc".parse().unwrap();
        assert_eq!(id.to_string(), "0190f1b2-7c1e-7a4b-8f00-123456789abc");
        let json = serde_json_like(&id);
        assert_eq!(json, "\"0190f1b2-7c1e-7a4b-8f00-123456789abc\"");
        assert!("not-a-uuid".parse::<PatientId>().is_err());
    }

    #[test]
    fn only_the_canonical_text_of_an_id_parses() {
        let id = "0190f1b2-7c1e-7a4b-8f00-123456789abc";
        assert_eq!(parse_uuid(&format!(" {id}\n")).map(|u| u.to_string()).as_deref(), Ok(id));
        for bad in [
            format!("{{{id}}}"),
            id.replace('-', ""),
            id.to_uppercase(),
            format!("urn:uuid:{id}"),
            format!("{id}0"),
            String::new(),
            "f".repeat(1000),
            "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz".to_owned(),
            "0190f1b27-c1e-7a4b-8f00-123456789abc".to_owned(),
            "0190f1b2-7c1e-7a4b-8f00-123456789ab\u{e9}".to_owned(),
        ] {
            assert_eq!(parse_uuid(&bad), Err(MalformedId), "{bad:?}");
            assert!(bad.parse::<PatientId>().is_err(), "{bad:?}");
        }
    }

    fn serde_json_like(id: &PatientId) -> String {
        format!("\"{}\"", id.as_uuid().hyphenated())
    }
}
