pub mod public;
pub mod staff;
pub mod insights;
