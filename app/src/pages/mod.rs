pub mod public;
pub mod staff;
pub mod insights;
pub mod calendar_setup;
