//! Fixtures, journeys, checks, feeders, Rust fixtures and redaction against the embedded API.

use std::sync::{Arc, Mutex};

mod common;

use common::{get_json, harness, only};
use loadgate::reference_api::ReferenceApi;
use loadgate::report::{failure_message, Console, Report};
use loadgate::sample::ErrorCause;
use loadgate::template::Variables;

/// A per-user fixture that registers and logs in, as the users' Locust `on_start` does.
const ACCOUNT: &str = r#"
fixtures:
  account:
    scope: per_user
    vars: { username: "{{ username() }}", password: "{{ random_string(12) }}" }
    setup:
      - name: register
        request: { method: POST, path: /api/v1/auth/register, json: { username: "{{ username }}", password: "{{ password }}" }, expect: { status: 201 } }
      - name: login
        request: { method: POST, path: /api/v1/auth/login, json: { username: "{{ username }}", password: "{{ password }}" } }
        extract: { token: { json: /data/token } }
"#;

#[test]
fn journey_steps_get_metrics_of_their_own_and_pass_variables_along() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "suite: flow\n{ACCOUNT}cases:\n  - name: journey\n    kind: sequential\n    iterations: 5\n    use: [account]\n    steps:\n\
         \x20     - name: create\n        request: {{ method: POST, path: /api/v1/me/tasks, headers: {{ authorization: \"Bearer {{{{ token }}}}\" }}, json: {{ title: t }}, expect: {{ status: 201 }} }}\n\
         \x20       extract: {{ task: {{ json: /task_id }} }}\n\
         \x20     - name: read\n        request: {{ path: \"/api/v1/tasks/{{{{ task }}}}\" }}\n\
         \x20       checks: [ {{ json: /task_id, equals: \"{{{{ task }}}}\" }} ]\n"
    );
    let report = only(
        harness(
            dir.path(),
            "flow",
            &suite,
            "cases:\n  \"flow::journey/read\": { p95: 2s }\n",
        )
        .base_url(api.base_url())
        .run_cases(""),
    );
    assert!(report.passed(), "{}", failure_message(&report));
    let ids: Vec<&str> = report.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["flow::journey/create", "flow::journey/read"]);
    assert_eq!(report.summary.as_ref().unwrap().requests, 5);
    assert!(report.steps.iter().all(|s| s.summary.ok == 5));
    let p95 = report.steps[1].verdict.misses().count();
    assert_eq!(p95, 0);
    let (label, passed, failed) = report.checks.entries().next().unwrap();
    assert_eq!(
        (label, passed, failed),
        ("json /task_id equals {{ task }}", 5, 0)
    );
}

#[test]
fn a_wrong_extraction_path_fails_naming_the_step() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = ACCOUNT.replace("json: /data/token", "json: /data/access_token");
    let suite = format!("suite: flow\n{suite}cases:\n  - name: me\n    kind: sequential\n    iterations: 3\n    use: [account]\n    request: {{ path: /api/v1/users/me, headers: {{ authorization: \"Bearer {{{{ token }}}}\" }} }}\n");
    let report = only(
        harness(dir.path(), "flow", &suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(!report.passed());
    let error = report.error_message().expect("set-up failure");
    assert!(
        error.contains("set-up of fixture `account`, step `login`"),
        "{error}"
    );
    assert!(
        error.contains("extract `token` (json /data/access_token)"),
        "{error}"
    );
    assert!(error.contains("body: "), "{error}");
}

#[test]
fn requests_without_a_token_are_errors_counted_as_401() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = "suite: flow\ncases:\n  - name: anonymous\n    kind: sequential\n    iterations: 8\n    request: { path: /api/v1/users/me }\n";
    let report = only(
        harness(dir.path(), "flow", suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(!report.passed());
    let summary = report.summary.as_ref().unwrap();
    assert!(summary.error_causes.contains(&(ErrorCause::Status(401), 8)));
    assert!(
        failure_message(&report).contains("status 401 x8"),
        "{}",
        failure_message(&report)
    );
}

#[test]
fn twenty_concurrent_users_each_use_their_own_token() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "suite: flow\n{ACCOUNT}cases:\n  - name: mine\n    kind: concurrent\n    concurrency: 20\n    use: [account]\n\
         \x20   request: {{ path: /api/v1/users/me, headers: {{ authorization: \"Bearer {{{{ token }}}}\" }} }}\n\
         \x20   checks: [ {{ name: my own profile, json: /username, equals: \"{{{{ username }}}}\" }} ]\n"
    );
    let report = only(
        harness(dir.path(), "flow", &suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(report.passed(), "{}", failure_message(&report));
    let stats = get_json(&format!("{}/api/v1/admin/stats", api.base_url()));
    assert_eq!(stats["users"], 20, "{stats}");
    assert_eq!(stats["distinct_token_users"], 20, "{stats}");
}

#[test]
fn an_expired_token_is_refreshed_once_with_refresh_on_401() {
    // Every token answers 401 after two authenticated uses.
    let api = ReferenceApi::new().token_max_uses(2).start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let account = ACCOUNT.replace(
        "        extract: { token: { json: /data/token } }\n",
        "        extract: { token: { json: /data/token } }\n    refresh_on: 401\n",
    );
    let suite = format!("suite: flow\n{account}cases:\n  - name: me\n    kind: sequential\n    iterations: 6\n    use: [account]\n    request: {{ path: /api/v1/users/me, headers: {{ authorization: \"Bearer {{{{ token }}}}\" }} }}\n");
    let report = only(
        harness(dir.path(), "flow", &suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(report.passed(), "{}", failure_message(&report));
    // Uses 1-2 pass, use 3 is refused and retried with a fresh token, and so on.
    assert_eq!(report.refreshes, 2);
    assert_eq!(report.summary.as_ref().unwrap().errors, 0);

    // Without refresh_on the same expiry is an error.
    let dir = tempfile::tempdir().unwrap();
    let plain = format!("suite: flow\n{ACCOUNT}cases:\n  - name: me\n    kind: sequential\n    iterations: 6\n    use: [account]\n    request: {{ path: /api/v1/users/me, headers: {{ authorization: \"Bearer {{{{ token }}}}\" }} }}\n");
    let report = only(
        harness(dir.path(), "flow", &plain, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(report
        .summary
        .as_ref()
        .unwrap()
        .error_causes
        .contains(&(ErrorCause::Status(401), 4)));
}

#[test]
fn checks_pass_and_fail_as_written() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = r#"
suite: flow
cases:
  - name: health
    kind: sequential
    iterations: 4
    request: { path: /health }
    checks:
      - { name: status ok, json: /status, equals: ok }
      - { name: has a version, json: /version, exists: true }
      - { name: status is done, json: /status, equals: done }
"#;
    let report = only(
        harness(dir.path(), "flow", suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(!report.passed());
    let entries: Vec<_> = report.checks.entries().collect();
    assert_eq!(
        entries,
        [
            ("status ok", 4, 0),
            ("has a version", 0, 4),
            ("status is done", 0, 4)
        ]
    );
    let message = failure_message(&report);
    assert!(
        message.contains("check failed: has a version x4"),
        "{message}"
    );
    assert!(message.contains("✗ has a version"), "{message}");
    assert!(message.contains("✓ status ok"), "{message}");
    // A failed check says what came, not only its label.
    assert!(
        message.contains(r#"e.g. `/status` = "ok", expected "done""#),
        "{message}"
    );
}

#[test]
fn a_feeder_running_out_of_unique_rows_fails_clearly() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("suites")).unwrap();
    std::fs::write(
        dir.path().join("suites/users.csv"),
        "name\nana\nben\nchen\n",
    )
    .unwrap();
    let suite = r#"
suite: flow
data:
  users: { file: users.csv, order: unique }
cases:
  - name: register
    kind: sequential
    iterations: 5
    request: { method: POST, path: /api/v1/auth/register, json: { username: "{{ data.users.name }}", password: pw }, expect: { status: 201 } }
"#;
    let report = only(
        harness(dir.path(), "flow", suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(!report.passed());
    let summary = report.summary.as_ref().unwrap();
    assert_eq!(summary.ok, 3);
    let exhausted = ErrorCause::Data("data `users` ran out of unique rows (3 rows)".into());
    assert!(
        summary.error_causes.contains(&(exhausted, 2)),
        "{summary:?}"
    );
}

#[test]
fn rust_fixtures_work_from_yaml() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = r#"
suite: flow
fixtures:
  idp:
    scope: once
    rust: identity_provider
cases:
  - name: custom
    kind: sequential
    iterations: 3
    use: [idp]
    request:
      method: POST
      path: /api/v1/tasks
      json: { title: "{{ sku('T') }}", description: "{{ issuer }}" }
      expect: { status: 201 }
    checks:
      - { rust: title_has_sku }
"#;
    let report = only(
        harness(dir.path(), "flow", suite, "")
            .base_url(api.base_url())
            .function("sku", |args, rng| {
                let prefix = args.first().and_then(|a| a.as_str()).unwrap_or("X");
                serde_json::json!(format!("{prefix}-{:05}", rng.next_u32() % 100_000))
            })
            .setup("identity_provider", &["issuer"], |cx| async move {
                // A real fixture would fetch a token from an identity provider with cx.client.
                let health = cx
                    .client
                    .get(format!("{}/health", cx.base_url))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let mut vars = Variables::new();
                vars.insert(
                    "issuer".into(),
                    serde_json::json!(format!("idp-{}", health.status().as_u16())),
                );
                Ok(vars)
            })
            .check("title_has_sku", |exchange| {
                let title = exchange
                    .json()
                    .and_then(|j| j["title"].as_str())
                    .unwrap_or_default();
                let described =
                    exchange.json().and_then(|j| j["description"].as_str()) == Some("idp-200");
                match title.starts_with("T-") && described {
                    true => Ok(()),
                    false => Err(format!("title `{title}` has no SKU")),
                }
            })
            .run_cases(""),
    );
    assert!(report.passed(), "{}", failure_message(&report));
    assert_eq!(
        report.checks.entries().next(),
        Some(("title_has_sku", 3, 0))
    );
}

#[test]
fn an_unregistered_rust_fixture_is_a_suite_error_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let suite = "suite: flow\nfixtures:\n  idp: { rust: identity_provider }\ncases:\n  - name: x\n    kind: sequential\n    iterations: 1\n    use: [idp]\n    request: { path: / }\n";
    // No base URL is reachable here: the error must come from planning, not from a request.
    let report = only(
        harness(dir.path(), "flow", suite, "")
            .base_url("http://127.0.0.1:9")
            .run_cases(""),
    );
    let error = report.error_message().unwrap();
    assert!(
        error.contains("no Rust set-up fixture named `identity_provider`"),
        "{error}"
    );
    assert!(error.contains("flow.yaml:3:"), "{error}");
}

#[test]
fn secrets_never_appear_in_any_output() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = Arc::clone(&seen);
    // The task endpoint echoes the description, so a failure's body snippet would show the token.
    let suite = r#"
suite: flow
fixtures:
  login:
    scope: case
    rust: login
  leaky:
    scope: case
    setup:
      - name: echo
        request: { method: POST, path: /api/v1/tasks, json: { title: t, description: "token={{ api_token }}" }, expect: { status: 200 } }
cases:
  - name: leak
    kind: sequential
    iterations: 2
    use: [login, leaky]
    request: { path: /health, headers: { authorization: "Bearer {{ api_token }}" } }
"#;
    let harness = harness(dir.path(), "flow", suite, "")
        .base_url(api.base_url())
        .setup("login", &["api_token"], move |cx| {
            let record = Arc::clone(&record);
            async move {
                let (user, password) = ("redact-me", "correct horse battery staple");
                let body = serde_json::json!({ "username": user, "password": password });
                let url = format!("{}/api/v1/auth", cx.base_url);
                cx.client
                    .post(format!("{url}/register"))
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let login: serde_json::Value = cx
                    .client
                    .post(format!("{url}/login"))
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .json()
                    .await
                    .map_err(|e| e.to_string())?;
                let token = login["data"]["token"]
                    .as_str()
                    .ok_or("no token")?
                    .to_string();
                record.lock().unwrap().push(token.clone());
                let mut vars = Variables::new();
                vars.insert("api_token".into(), serde_json::json!(token));
                Ok(vars)
            }
        });
    let reports = harness.run_cases("");
    let report = reports.first().unwrap();
    assert!(!report.passed());
    let mut output = String::new();
    for r in &reports {
        output.push_str(&failure_message(r));
        output.push_str(r.error_message().unwrap_or_default());
    }
    let mut table = Vec::new();
    Console.write(&reports, &mut table).unwrap();
    output.push_str(&String::from_utf8(table).unwrap());
    let tokens = seen.lock().unwrap().clone();
    assert_eq!(tokens.len(), 1);
    assert!(
        output.contains("status 201"),
        "the leaky step failed on its status: {output}"
    );
    assert!(output.contains("[REDACTED]"), "{output}");
    assert!(!output.contains(&tokens[0]), "token leaked: {output}");
}

#[test]
fn a_login_fixture_of_its_own_refreshes_without_registering_again() {
    let api = ReferenceApi::new().token_max_uses(2).start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = r#"
suite: flow
fixtures:
  account:
    scope: per_user
    vars: { username: "{{ username() }}", password: "{{ random_string(12) }}" }
    setup:
      - request: { method: POST, path: /api/v1/auth/register, json: { username: "{{ username }}", password: "{{ password }}" }, expect: { status: 201 } }
  login:
    scope: per_user
    refresh_on: 401
    setup:
      - request: { method: POST, path: /api/v1/auth/login, json: { username: "{{ username }}", password: "{{ password }}" } }
        extract: { token: { json: /data/token } }
cases:
  - name: me
    kind: sequential
    iterations: 6
    use: [account, login]
    request: { path: /api/v1/users/me, headers: { authorization: "Bearer {{ token }}" } }
"#;
    let report = only(
        harness(dir.path(), "flow", suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(report.passed(), "{}", failure_message(&report));
    assert_eq!(report.refreshes, 2);
    let stats = get_json(&format!("{}/api/v1/admin/stats", api.base_url()));
    assert_eq!(stats["users"], 1, "{stats}");
    assert_eq!(stats["logins"], 3, "{stats}");
}

#[test]
fn warm_up_leaves_unique_rows_to_the_measured_requests() {
    let api = ReferenceApi::new().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("suites")).unwrap();
    std::fs::write(
        dir.path().join("suites/rows.csv"),
        "name\nann\nbob\ncy\ndee\n",
    )
    .unwrap();
    let suite = r#"
suite: warm
data:
  rows: { file: rows.csv, order: unique }
cases:
  - name: four
    kind: sequential
    iterations: 4
    warmup: 2
    request: { path: /health, query: { who: "{{ data.rows.name }}" } }
"#;
    let report = only(
        harness(dir.path(), "warm", suite, "")
            .base_url(api.base_url())
            .run_cases(""),
    );
    assert!(report.passed(), "{}", failure_message(&report));
    assert_eq!(report.summary.as_ref().unwrap().ok, 4);
}
