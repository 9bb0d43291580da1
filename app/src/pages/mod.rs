pub mod calendar;
pub mod public;
pub mod staff;
pub mod insights;
