fn main() {
    loadgate::Harness::new().with_reference_api().run()
}
