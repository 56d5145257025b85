//! The `loadgate` command line: `loadgate run`, `check`, `report`, `probe`, `schema` and
//! `serve`; `loadgate --help` lists them.

fn main() {
    loadgate::cli::main()
}
