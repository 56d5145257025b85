//! Serves the embedded reference API by hand, to try `PERF_BASE_URL` against a separate process:
//!
//! ```sh
//! cargo run --example reference_api -- 8000
//! PERF_BASE_URL=http://127.0.0.1:8000 cargo test --test perf
//! ```

use loadgate::reference_api::ReferenceApi;

fn main() {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        None => 8000,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("usage: reference_api [PORT]   (default 8000)");
            std::process::exit(2);
        }
    };
    match ReferenceApi::new().port(port).start() {
        Ok(api) => {
            println!("reference API listening on {}", api.base_url());
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("cannot start the reference API on port {port}: {e}");
            std::process::exit(1);
        }
    }
}
