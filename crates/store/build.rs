//! Rebuilds the crate when a migration is added or changed: refinery embeds
//! the files at compile time, and cargo does not watch that folder itself.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
