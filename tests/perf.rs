fn main() {
    perfgate::run_harness()
}
