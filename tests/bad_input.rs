//! Malformed suites and thresholds: each fails as its own report with file, line, column and
//! what was expected; none makes the harness panic or send a request.

use loadgate::Harness;

/// The load error of one suite file (and a thresholds file), run against a closed port so
/// that any request sent would show up as a connection error instead.
fn load_error(suite: &str, thresholds: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("suites");
    std::fs::create_dir_all(&suites).unwrap();
    std::fs::write(suites.join("bad.yaml"), suite).unwrap();
    std::fs::write(dir.path().join("thresholds.yaml"), thresholds).unwrap();
    let reports = Harness::new()
        .suites_dir(&suites)
        .thresholds_file(dir.path().join("thresholds.yaml"))
        .base_url("http://127.0.0.1:9")
        .run_cases("");
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert!(
        reports[0].summary.is_none(),
        "nothing may be sent: {reports:#?}"
    );
    reports[0]
        .error_message()
        .map(str::to_string)
        .expect("a load error")
}

fn case(body: &str) -> String {
    format!("suite: s\ncases:\n  - name: c\n{body}")
}

#[test]
fn unknown_key_names_the_place_and_the_nearest_key() {
    let e = load_error(
        &case("    kind: sequential\n    iteration: 5\n    request: { path: / }\n"),
        "",
    );
    assert!(
        e.contains("bad.yaml:5:5: cases[0]: unknown key `iteration`, did you mean `iterations`?"),
        "{e}"
    );
}

#[test]
fn unknown_kind_is_named_with_the_choices() {
    let e = load_error(&case("    kind: soak\n    request: { path: / }\n"), "");
    assert!(e.contains("bad.yaml:4:11:"), "{e}");
    assert!(e.contains("unknown kind `soak`"), "{e}");
    assert!(e.contains("`sequential`, `concurrent`, `burst`"), "{e}");
}

#[test]
fn negative_and_unparseable_durations_say_what_was_expected() {
    let e = load_error(
        &case("    kind: sequential\n    iterations: 1\n    request: { path: /, timeout: -5ms }\n"),
        "",
    );
    assert!(e.contains("bad.yaml:6:"), "{e}");
    assert!(e.contains("must be a finite, non-negative time"), "{e}");
    let e = load_error(
        &case("    kind: burst\n    size: 2\n    interval: soon\n    request: { path: / }\n"),
        "",
    );
    assert!(
        e.contains("invalid duration `soon`: expected a number with a unit"),
        "{e}"
    );
}

#[test]
fn missing_required_setting_of_a_kind_is_named() {
    let e = load_error(
        &case("    kind: concurrent\n    request: { path: / }\n"),
        "",
    );
    assert!(
        e.contains("bad.yaml:3:5: cases[0]: missing key `concurrency`"),
        "{e}"
    );
}

#[test]
fn a_key_of_another_kind_is_refused() {
    let e = load_error(
        &case("    kind: sequential\n    iterations: 3\n    size: 10\n    request: { path: / }\n"),
        "",
    );
    assert!(e.contains("bad.yaml:6:5:"), "{e}");
    assert!(
        e.contains("`size` does not apply to kind `sequential` (it is for burst)"),
        "{e}"
    );
}

#[test]
fn unknown_template_function_is_a_suite_error() {
    let e = load_error(&case("    kind: sequential\n    iterations: 1\n    request: { path: \"/w/{{ random_integer(1, 5) }}\" }\n"), "");
    assert!(e.contains("unknown function `random_integer`"), "{e}");
    assert!(e.contains("did you mean `random_int`?"), "{e}");
}

#[test]
fn unknown_variable_and_fixture_are_suite_errors() {
    let e = load_error(&case("    kind: sequential\n    iterations: 1\n    request: { path: \"/u/{{ user_id }}\" }\n"), "");
    assert!(e.contains("user_id"), "{e}");
    let e = load_error(
        &case(
            "    kind: sequential\n    iterations: 1\n    use: [login]\n    request: { path: / }\n",
        ),
        "",
    );
    assert!(
        e.contains("unknown fixture `login`; the suite declares no `fixtures`"),
        "{e}"
    );
}

#[test]
fn unknown_metric_in_thresholds_suggests_the_nearest() {
    let suite = case("    kind: sequential\n    iterations: 1\n    request: { path: / }\n");
    let e = load_error(&suite, "defaults:\n  p96: 100ms\n");
    assert!(
        e.contains("thresholds.yaml:2:3: unknown metric `p96`, did you mean `p95`?"),
        "{e}"
    );
    let e = load_error(&case("    kind: sequential\n    iterations: 1\n    thresholds: { p95: fast }\n    request: { path: / }\n"), "");
    assert!(e.contains("bad.yaml:"), "{e}");
    assert!(e.contains("invalid duration `fast`"), "{e}");
}

#[test]
fn alias_bombs_and_oversized_files_are_refused() {
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    for (prev, next) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!("{next}: &{next} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    let e = load_error(
        &format!("factories:\n  bomb:\n    {}", bomb.replace('\n', "\n    ")),
        "",
    );
    assert!(e.contains("bad.yaml"), "{e}");
    assert!(e.contains("the file is refused"), "{e}");
    let big = format!("cases: []\n#{}\n", "x".repeat(2 * 1024 * 1024));
    let e = load_error(&big, "");
    assert!(e.contains("larger than the limit of 1048576 bytes"), "{e}");
}

#[test]
fn not_yaml_at_all_has_a_position() {
    let e = load_error("cases:\n  - name: [unclosed\n", "");
    assert!(e.starts_with("cannot load suite: "), "{e}");
    assert!(e.contains("bad.yaml:"), "{e}");
}

#[test]
fn two_files_with_one_suite_name_are_an_error_and_a_named_thresholds_file_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("suites");
    std::fs::create_dir_all(&suites).unwrap();
    let suite = "suite: same\ncases:\n  - name: c\n    kind: sequential\n    iterations: 1\n    request: { path: / }\n";
    std::fs::write(suites.join("a.yaml"), suite).unwrap();
    std::fs::write(suites.join("b.yaml"), suite).unwrap();
    let reports = Harness::new()
        .suites_dir(&suites)
        .thresholds_file(dir.path().join("missing.yaml"))
        .base_url("http://127.0.0.1:9")
        .run_cases("");
    let error = reports[0].error_message().unwrap();
    assert!(error.contains("missing.yaml"), "{error}");

    std::fs::write(dir.path().join("thresholds.yaml"), "").unwrap();
    let reports = Harness::new()
        .suites_dir(&suites)
        .thresholds_file(dir.path().join("thresholds.yaml"))
        .base_url("http://127.0.0.1:9")
        .run_cases("b::");
    let error = reports[0].error_message().unwrap();
    assert!(
        error.contains("suite `same` is already defined in"),
        "{error}"
    );
    assert!(error.contains("a.yaml"), "{error}");
}

#[test]
fn every_error_of_a_suite_is_reported_at_once_each_at_its_place() {
    let suite = "suite: s\ncases:\n  - name: a\n    kind: soak\n    request: { path: / }\n  \
                 - name: b\n    kind: sequential\n    iterations: 3\n    size: 10\n    \
                 request: { path: / }\n  - name: c\n    kind: sequential\n    iterations: 1\n    \
                 use: [login]\n    request: { path: / }\n";
    let e = load_error(suite, "");
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 3, "{e}");
    assert!(
        lines[0].contains("bad.yaml:4:11: cases[0].kind: unknown kind `soak`"),
        "{e}"
    );
    assert!(
        lines[1].contains("bad.yaml:9:5:")
            && lines[1].contains("`size` does not apply to kind `sequential`"),
        "{e}"
    );
    assert!(
        lines[2].contains("bad.yaml:14:11: case `c`: unknown fixture `login`"),
        "{e}"
    );
}
