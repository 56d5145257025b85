//! Secrets stay secret: a server that echoes everything it receives gets tokens, cookies and
//! passwords sent in every way a suite can send them, and nothing the harness prints (failure
//! messages, errors, the summary table) may contain any of them, in any spelling.

mod common;

use base64::Engine;
use common::hostile::Hostile;
use loadgate::report::{failure_message, Console, Report};
use loadgate::Harness;

const SUITE: &str = r#"suite: secrets
data:
  members: { file: members.csv }
fixtures:
  login:
    setup:
      - name: login
        request: { method: POST, path: /login }
        extract:
          access: { json: /access }
          jwt: { json: /jwt }
  echo_bearer:
    setup:
      - name: echo
        request: { method: GET, path: /echo, headers: { authorization: "Bearer {{ access }}" }, expect: { status: 200 } }
  echo_long_in_url:
    setup:
      - name: echo
        request: { method: GET, path: "/echo?t={{ jwt }}", expect: { status: 200 } }
  echo_url_encoded:
    setup:
      - name: echo
        request: { method: GET, path: /echo, query: { q: "{{ access }}" }, expect: { status: 200 } }
  echo_base64:
    setup:
      - name: echo
        request: { method: POST, path: /echo64, body: "{{ access }}", expect: { status: 200 } }
  echo_cookie:
    setup:
      - name: echo
        request: { method: GET, path: /echo, expect: { status: 200 } }
cases:
  - { name: bearer, kind: sequential, iterations: 1, use: [login, echo_bearer], request: { path: /echo } }
  - { name: long_token_in_url, kind: sequential, iterations: 1, use: [login, echo_long_in_url], request: { path: /echo } }
  - { name: url_encoded, kind: sequential, iterations: 1, use: [login, echo_url_encoded], request: { path: /echo } }
  - { name: base64, kind: sequential, iterations: 1, use: [login, echo_base64], request: { path: /echo } }
  - { name: cookie, kind: sequential, iterations: 1, cookies: true, use: [login, echo_cookie], request: { path: /echo } }
  - name: data_file_password
    kind: sequential
    iterations: 1
    request: { method: POST, path: /echo, json: { user: "{{ data.members.user }}", pass: "{{ data.members.password }}" } }
  - name: literal_password
    kind: sequential
    iterations: 1
    request: { method: POST, path: /echo, json: { user: ann, password: "hunter2-literal-pw" } }
"#;

#[test]
fn nothing_printed_contains_a_secret_in_any_form() {
    let server = Hostile::start();
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("suites");
    std::fs::create_dir_all(&suites).unwrap();
    std::fs::write(suites.join("secrets.yaml"), SUITE).unwrap();
    std::fs::write(
        suites.join("members.csv"),
        "user,password\nann,data-file-pw-0001\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("thresholds.yaml"), "").unwrap();
    let results = Harness::new()
        .suites_dir(&suites)
        .thresholds_file(dir.path().join("thresholds.yaml"))
        .base_url(&server.base_url)
        .run_cases("");
    assert_eq!(results.len(), 7, "{results:#?}");
    let mut output = String::new();
    for result in &results {
        assert!(!result.passed(), "{} should fail on the echo", result.id);
        output.push_str(&failure_message(result));
        output.push('\n');
    }
    let mut table = Vec::new();
    Console.write(&results, &mut table).unwrap();
    output.push_str(&String::from_utf8_lossy(&table));

    let secrets = &server.secrets;
    let b64 = base64::engine::general_purpose::STANDARD;
    let forbidden = [
        secrets.access.clone(),
        secrets.jwt.clone(),
        secrets.jwt[..100].to_string(),
        secrets.cookie.clone(),
        "acc%2F".to_string() + &secrets.access[4..12],
        b64.encode(&secrets.access),
        "data-file-pw-0001".to_string(),
        "hunter2-literal-pw".to_string(),
    ];
    for secret in &forbidden {
        assert!(
            !output.contains(secret.as_str()),
            "`{secret}` leaked into the output:\n{output}"
        );
    }
    // The echoes were printed, redacted: the test saw the messages it guards.
    assert!(output.contains("[REDACTED]"), "{output}");
    assert!(output.contains("body:"), "{output}");
}
