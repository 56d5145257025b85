//! Serves the embedded reference API by hand, to try `PERF_BASE_URL` against a separate process:
//!
//! ```sh
//! cargo run --example reference_api -- 8000
//! PERF_BASE_URL=http://127.0.0.1:8000 cargo test --test perf
//! ```

fn main() {
    loadgate::reference_api::serve_from_args()
}
