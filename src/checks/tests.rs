use std::collections::HashMap;

use reqwest::header::{HeaderMap, HeaderValue};

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;

fn registry() -> HashMap<String, CustomCheck> {
    let mut map: HashMap<String, CustomCheck> = HashMap::new();
    map.insert(
        "has_worker".into(),
        Arc::new(|e: &Exchange| {
            if e.body().starts_with(b"{") {
                Ok(())
            } else {
                Err("no worker".into())
            }
        }),
    );
    map.insert("boom".into(), Arc::new(|_: &Exchange| panic!("bad state")));
    map
}

fn compile(yaml: &str) -> Result<Check, String> {
    let spec: CheckSpec =
        crate::suite::yaml::parse(yaml, "test.yaml").map_err(|e| e.to_string())?;
    Check::compile(&spec, &registry())
}

fn eval(yaml: &str, status: u16, body: &str) -> Result<(), String> {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert("x-version", HeaderValue::from_static("2"));
    headers.insert("set-cookie", HeaderValue::from_static("sid=s3cr3t"));
    compile(yaml)
        .unwrap()
        .evaluate(&Exchange::new(status, &headers, body.as_bytes()))
}

const BODY: &str = r#"{"data":{"token":"t1"},"status":"pending","name":"worker-3","calories":12,"ratio":1.0,"tags":["a"]}"#;

#[test]
fn status_checks() {
    assert_eq!(eval("status: 201", 201, ""), Ok(()));
    assert_eq!(
        eval("status: 201", 500, "").unwrap_err(),
        "expected status 201, got 500"
    );
    assert_eq!(eval("status: [200, 201]", 201, ""), Ok(()));
    assert_eq!(
        eval("status: [200, 201]", 404, "").unwrap_err(),
        "expected status 200 or 201, got 404"
    );
    assert_eq!(eval("status: 2xx", 204, ""), Ok(()));
    assert_eq!(
        eval("status: 2xx", 302, "").unwrap_err(),
        "expected status 2xx, got 302"
    );
}

#[test]
fn header_checks() {
    assert_eq!(eval("header: content-type", 200, ""), Ok(()));
    assert_eq!(
        eval("header: x-missing", 200, "").unwrap_err(),
        "header `x-missing` missing"
    );
    assert_eq!(
        eval("{ header: Content-Type, contains: json }", 200, ""),
        Ok(())
    );
    assert_eq!(
        eval("{ header: content-type, contains: xml }", 200, "").unwrap_err(),
        "header `content-type` is `application/json; charset=utf-8`, expected it to contain \"xml\""
    );
    assert_eq!(eval("{ header: x-version, equals: '2' }", 200, ""), Ok(()));
    assert_eq!(eval("{ header: x-version, equals: 2 }", 200, ""), Ok(()));
    assert_eq!(
        eval("{ header: x-version, equals: '3' }", 200, "").unwrap_err(),
        "header `x-version` is `2`, expected \"3\""
    );
    assert_eq!(
        eval("{ header: x-version, matches: '^\\d$' }", 200, ""),
        Ok(())
    );
    assert_eq!(
        eval("{ header: x-version, matches: '^v' }", 200, "").unwrap_err(),
        "header `x-version` is `2`, expected a match for `^v`"
    );
    assert_eq!(
        eval("{ header: x-missing, exists: false }", 200, ""),
        Ok(())
    );
    assert_eq!(
        eval("{ header: x-version, exists: false }", 200, "").unwrap_err(),
        "header `x-version` is present, expected it absent"
    );
    assert_eq!(
        eval("{ header: set-cookie, contains: other }", 200, "").unwrap_err(),
        "header `set-cookie` is `[REDACTED]`, expected it to contain \"other\""
    );
}

#[test]
fn json_checks() {
    assert_eq!(
        eval("{ json: /data/token, exists: true }", 200, BODY),
        Ok(())
    );
    assert_eq!(eval("json: $.data.token", 200, BODY), Ok(()));
    assert_eq!(
        eval("{ json: /data/nope, exists: true }", 200, BODY).unwrap_err(),
        "`/data/nope` not found in the JSON body"
    );
    assert_eq!(
        eval("json: /data/token", 200, "oops").unwrap_err(),
        "body is not JSON"
    );
    assert_eq!(eval("{ json: /debug, exists: false }", 200, BODY), Ok(()));
    assert_eq!(
        eval("{ json: /name, exists: false }", 200, BODY).unwrap_err(),
        "`/name` = \"worker-3\", expected it absent"
    );
    assert_eq!(
        eval("{ json: /debug, exists: false }", 200, "oops").unwrap_err(),
        "body is not JSON"
    );
    assert_eq!(
        eval("{ json: $.status, equals: pending }", 200, BODY),
        Ok(())
    );
    assert_eq!(
        eval("{ json: $.status, equals: done }", 200, BODY).unwrap_err(),
        "`$.status` = \"pending\", expected \"done\""
    );
    assert_eq!(eval("{ json: /calories, equals: 12.0 }", 200, BODY), Ok(()));
    assert_eq!(eval("{ json: /ratio, equals: 1 }", 200, BODY), Ok(()));
    assert_eq!(
        eval("{ json: /calories, equals: '12' }", 200, BODY).unwrap_err(),
        "`/calories` = 12, expected \"12\""
    );
    assert_eq!(eval("{ json: /tags, equals: [a] }", 200, BODY), Ok(()));
    assert_eq!(
        eval("{ json: /name, matches: '^worker-' }", 200, BODY),
        Ok(())
    );
    assert_eq!(
        eval("{ json: /name, matches: '^boss' }", 200, BODY).unwrap_err(),
        "`/name` = \"worker-3\", expected a match for `^boss`"
    );
    assert_eq!(
        eval("{ json: /calories, matches: '1' }", 200, BODY).unwrap_err(),
        "`/calories` = 12, expected a string matching `1`"
    );
    assert_eq!(eval("{ json: /name, contains: worker }", 200, BODY), Ok(()));
    assert_eq!(
        eval("{ json: /tags, contains: a }", 200, BODY).unwrap_err(),
        "`/tags` = [\"a\"], expected a string"
    );
    assert_eq!(
        eval("{ json: /calories, min: 10, max: 4000 }", 200, BODY),
        Ok(())
    );
    assert_eq!(
        eval("{ json: /calories, min: 1000, max: 4000 }", 200, BODY).unwrap_err(),
        "`/calories` = 12, expected >= 1000"
    );
    assert_eq!(
        eval("{ json: /calories, max: 10.5 }", 200, BODY).unwrap_err(),
        "`/calories` = 12, expected <= 10.5"
    );
    assert_eq!(
        eval("{ json: /name, min: 1 }", 200, BODY).unwrap_err(),
        "`/name` = \"worker-3\", expected a number"
    );
}

#[test]
fn body_and_rust_checks() {
    assert_eq!(eval("body_contains: pending", 200, BODY), Ok(()));
    assert_eq!(
        eval("body_contains: done", 200, BODY).unwrap_err(),
        "body does not contain \"done\""
    );
    assert_eq!(eval("rust: has_worker", 200, BODY), Ok(()));
    assert_eq!(eval("rust: has_worker", 200, "x").unwrap_err(), "no worker");
    assert_eq!(
        eval("rust: boom", 200, "").unwrap_err(),
        "check panicked: bad state"
    );
}

#[test]
fn labels_default_from_the_check() {
    let label = |yaml: &str| compile(yaml).unwrap().label().to_owned();
    assert_eq!(label("status: 201"), "status is 201");
    assert_eq!(label("status: [200, '4xx']"), "status is 200 or 4xx");
    assert_eq!(label("header: content-type"), "header content-type exists");
    assert_eq!(
        label("{ header: content-type, contains: json }"),
        "header content-type contains json"
    );
    assert_eq!(
        label("{ header: x-version, equals: '2' }"),
        "header x-version equals 2"
    );
    assert_eq!(
        label("{ json: /calories, exists: true }"),
        "json /calories exists"
    );
    assert_eq!(
        label("{ json: /debug, exists: false }"),
        "json /debug is absent"
    );
    assert_eq!(
        label("{ json: $.status, equals: pending }"),
        "json $.status equals pending"
    );
    assert_eq!(
        label("{ json: /tags, equals: [a] }"),
        "json /tags equals [\"a\"]"
    );
    assert_eq!(
        label("{ json: /name, matches: '^w' }"),
        "json /name matches ^w"
    );
    assert_eq!(
        label("{ json: /calories, min: 1000, max: 4000 }"),
        "json /calories between 1000 and 4000"
    );
    assert_eq!(
        label("{ json: /calories, min: 1000 }"),
        "json /calories >= 1000"
    );
    assert_eq!(
        label("{ json: /calories, max: 4000.5 }"),
        "json /calories <= 4000.5"
    );
    assert_eq!(label("body_contains: ok"), "body contains ok");
    assert_eq!(label("rust: has_worker"), "has_worker");
    assert_eq!(
        label("{ name: diet plan has calories, json: /calories, exists: true }"),
        "diet plan has calories"
    );
}

#[test]
fn compile_errors_say_what_is_wrong() {
    let err = |yaml: &str| compile(yaml).unwrap_err();
    assert_eq!(
        err("{ name: x }"),
        "check: give exactly one of status, header, json, body_contains, rust"
    );
    assert_eq!(
        err("{ status: 200, json: /a }"),
        "check: give exactly one of status, header, json, body_contains, rust"
    );
    assert_eq!(
        err("{ status: 200, equals: 1 }"),
        "check on status: `equals` does not apply; status takes no operator"
    );
    assert_eq!(
        err("{ body_contains: a, min: 1 }"),
        "check on body_contains: `min` does not apply; body_contains takes no operator"
    );
    assert_eq!(
        err("{ header: a, max: 1 }"),
        "check on header: `max` does not apply; use exists, equals, contains, matches"
    );
    assert_eq!(
        err("{ rust: boom, exists: true }"),
        "check on rust: `exists` does not apply; rust takes no operator"
    );
    assert_eq!(
        err("status: 2yy"),
        "check: status: `2yy` is not a status; use a code like `201`, a class like `2xx`, or a list"
    );
    assert_eq!(
        err("json: data"),
        "check: `data` is not a JSON pointer (start with `/`, e.g. `/data/token`) or a JSONPath (start with `$`)"
    );
    assert!(err("json: '$['").starts_with("check: `$[` is not a valid JSONPath: at position"));
    assert!(err("{ json: /a, matches: '(' }")
        .starts_with("check: invalid regex `(`: regex parse error"));
    assert_eq!(
        err("{ json: /a, exists: false, equals: 1 }"),
        "check: `exists: false` cannot be combined with other operators"
    );
    assert_eq!(
        err("{ json: /a, min: 5, max: 1 }"),
        "check: min 5 is greater than max 1"
    );
    assert_eq!(
        err("{ header: x, equals: [1] }"),
        "check: a header `equals` takes a string, number or boolean"
    );
    assert_eq!(
        err("header: 'a b'"),
        "check: `a b` is not a valid header name"
    );
    assert!(err("{ json: /a, length: 2 }").contains("unknown key `length`"));
}

#[test]
fn unknown_rust_checks_suggest_the_nearest_name() {
    let err = |yaml: &str| compile(yaml).unwrap_err();
    assert_eq!(
        err("rust: has_wroker"),
        "check: unknown rust check `has_wroker`; did you mean `has_worker`?"
    );
    assert_eq!(
        err("rust: zzzzzzzzzzzz"),
        "check: unknown rust check `zzzzzzzzzzzz`; registered: boom, has_worker"
    );
    let none: BTreeMap<String, CustomCheck> = BTreeMap::new();
    let spec = CheckSpec {
        rust: Some("x".into()),
        ..CheckSpec::default()
    };
    assert_eq!(
        Check::compile(&spec, &none).unwrap_err(),
        "check: unknown rust check `x`; no rust checks are registered"
    );
}
