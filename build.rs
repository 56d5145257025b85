//! Tells the harness how it was compiled, so it can say so when it measures unoptimised.

fn main() {
    let level = std::env::var("OPT_LEVEL").unwrap_or_default();
    println!("cargo:rustc-env=LOADGATE_OPT_LEVEL={level}");
    println!("cargo:rerun-if-changed=build.rs");
}
