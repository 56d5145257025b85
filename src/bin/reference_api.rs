//! The reference API as a process of its own, e.g. the `command` of a suite's managed target:
//!
//! ```sh
//! loadgate-reference-api 8000
//! ```

fn main() {
    loadgate::reference_api::serve_from_args()
}
