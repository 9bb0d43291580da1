// sqlx::migrate! embeds backend/migrations at compile time; without this a
// new migration file would not rebuild the crate (cargo tracks sources only).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
