fn main() {
    loadgate::run_harness()
}
