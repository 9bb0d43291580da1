//! An appointment's life cycle. The allowed moves are written down here
//! once, so the front desk's buttons and the server's checks cannot drift.

use crate::errors::ParseError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    Confirmed,
    Arrived,
    InConsultation,
    Completed,
    Cancelled,
    /// Cancelled too close to the time (the clinic's policy may charge).
    LateCancelled,
    NoShow,
}

use AppointmentStatus::*;

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 8] =
        [Booked, Confirmed, Arrived, InConsultation, Completed, Cancelled, LateCancelled, NoShow];

    pub fn as_str(self) -> &'static str {
        match self {
            Booked => "booked",
            Confirmed => "confirmed",
            Arrived => "arrived",
            InConsultation => "in_consultation",
            Completed => "completed",
            Cancelled => "cancelled",
            LateCancelled => "late_cancelled",
            NoShow => "no_show",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| ParseError::new("Choose a status from the list."))
    }

    pub fn label(self) -> &'static str {
        match self {
            Booked => "Booked",
            Confirmed => "Confirmed",
            Arrived => "Arrived",
            InConsultation => "In consultation",
            Completed => "Completed",
            Cancelled => "Cancelled",
            LateCancelled => "Late cancellation",
            NoShow => "No-show",
        }
    }

    /// Shown beside the colour and the label, so the status reads without
    /// colour vision and in a greyscale print-out. Distinct shapes, not
    /// just variants of one glyph.
    pub fn icon(self) -> &'static str {
        match self {
            Booked => "○",
            Confirmed => "✓",
            Arrived => "→",
            InConsultation => "◐",
            Completed => "●",
            Cancelled => "✕",
            LateCancelled => "⏱",
            NoShow => "⊘",
        }
    }

    /// Whether the appointment holds its time against new bookings. A
    /// no-show did occupy the slot, but the slot is in the past or free
    /// again, so it no longer blocks anyone.
    pub fn is_active(self) -> bool {
        !matches!(self, Cancelled | LateCancelled | NoShow)
    }

    /// Where the front desk can go from here. Arrived patients are seen or
    /// finished, not marked absent; finished states are final, so history
    /// is corrected with a new appointment rather than rewritten.
    pub fn next_steps(self) -> &'static [AppointmentStatus] {
        match self {
            Booked => &[Confirmed, Arrived, Cancelled, LateCancelled, NoShow],
            Confirmed => &[Arrived, Cancelled, LateCancelled, NoShow],
            Arrived => &[InConsultation, Completed],
            InConsultation => &[Completed],
            Completed | Cancelled | LateCancelled | NoShow => &[],
        }
    }

    pub fn can_move_to(self, next: AppointmentStatus) -> bool {
        self.next_steps().contains(&next)
    }

    pub fn is_final(self) -> bool {
        self.next_steps().is_empty()
    }

    /// Cancellations are asked for a reason: it feeds the no-show and
    /// cancellation reports, and a late one may be charged.
    pub fn requires_reason(self) -> bool {
        matches!(self, Cancelled | LateCancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::{value::Error, IntoDeserializer};

    #[test]
    fn names_round_trip_and_match_serde() {
        for status in AppointmentStatus::ALL {
            assert_eq!(AppointmentStatus::parse(status.as_str()).unwrap(), status);
            let from_serde = AppointmentStatus::deserialize(status.as_str().into_deserializer());
            assert_eq!(from_serde, Ok::<_, Error>(status));
        }
        assert_eq!(InConsultation.as_str(), "in_consultation");
        assert_eq!(LateCancelled.label(), "Late cancellation");
        assert_eq!(NoShow.label(), "No-show");
        assert!(AppointmentStatus::parse("InConsultation").is_err());
        assert!(AppointmentStatus::parse("").is_err());
    }

    #[test]
    fn icons_are_distinct_so_colour_is_never_the_only_signal() {
        let mut icons: Vec<&str> = AppointmentStatus::ALL.iter().map(|s| s.icon()).collect();
        icons.sort_unstable();
        icons.dedup();
        assert_eq!(icons.len(), AppointmentStatus::ALL.len());
    }

    #[test]
    fn transitions() {
        assert!(Booked.can_move_to(Confirmed) && Booked.can_move_to(NoShow) && Booked.can_move_to(Arrived));
        assert!(Confirmed.can_move_to(LateCancelled) && !Confirmed.can_move_to(Booked));
        assert!(Arrived.can_move_to(InConsultation) && Arrived.can_move_to(Completed));
        assert!(!Arrived.can_move_to(NoShow) && !Arrived.can_move_to(Cancelled));
        assert_eq!(InConsultation.next_steps(), &[Completed]);
        for status in AppointmentStatus::ALL {
            assert!(!status.can_move_to(status), "{status:?}");
            assert!(!status.can_move_to(Booked), "{status:?}");
        }
        for done in [Completed, Cancelled, LateCancelled, NoShow] {
            assert!(done.is_final());
        }
    }

    #[test]
    fn only_live_appointments_block_time_and_cancellations_need_reasons() {
        let blocking: Vec<_> = AppointmentStatus::ALL.into_iter().filter(|s| s.is_active()).collect();
        assert_eq!(blocking, [Booked, Confirmed, Arrived, InConsultation, Completed]);
        let with_reason: Vec<_> = AppointmentStatus::ALL.into_iter().filter(|s| s.requires_reason()).collect();
        assert_eq!(with_reason, [Cancelled, LateCancelled]);
    }
}
