pub mod account;
pub mod auth_steps;
pub mod patients;
pub mod public;
pub mod security;
pub mod session_ui;
pub mod staff;
