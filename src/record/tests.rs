//! Series and Recorded as a whole: exact merges, serde round trips, bounds.

use std::time::Duration;

use super::*;
use crate::sample::ErrorCause;

/// One synthetic request.
struct Request {
    start: Duration,
    latency: Duration,
    cause: Option<ErrorCause>,
    bytes: u64,
}

/// `n` deterministic requests spread over `span_secs` seconds from `from_secs` on, in a
/// shuffled start order like concurrent tasks; every `error_every`-th fails (0: none).
fn requests(n: u64, from_secs: u64, span_secs: u64, error_every: u64) -> Vec<Request> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ n ^ from_secs;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let offset = (i * span_secs * 1_000_000 / n.max(1)) as i64 + (x % 3_000_000) as i64;
            let micros = (from_secs * 1_000_000) as i64 + offset - 1_500_000;
            let cause = (error_every > 0 && i % error_every == 0).then(|| match x % 4 {
                0 => ErrorCause::Status(500),
                1 => ErrorCause::Timeout,
                2 => ErrorCause::Transport("connection reset".into()),
                _ => ErrorCause::Step("login".into(), Box::new(ErrorCause::Status(401))),
            });
            Request {
                start: Duration::from_micros(micros.max(from_secs as i64 * 1_000_000) as u64),
                latency: Duration::from_nanos(200_000 + (x >> 20) % 80_000_000),
                cause,
                bytes: x % 2_048,
            }
        })
        .collect()
}

fn record(series: &mut Series, requests: &[Request]) {
    for (i, r) in requests.iter().enumerate() {
        match &r.cause {
            None => series.record_ok(r.start, r.latency, r.bytes),
            Some(cause) => series.record_error(r.start, r.latency, cause, r.bytes),
        }
        if i % 100 == 99 {
            series.record_round(r.latency * 3, r.latency / 4);
        }
    }
}

fn series_of(requests: &[Request]) -> Series {
    let mut series = Series::new(Duration::from_secs(30));
    record(&mut series, requests);
    series
}

/// Records `first` and `second` apart and together; asserts the merge equals the whole.
fn assert_merge_is_exact(first: &[Request], second: &[Request]) -> Series {
    let mut whole = Series::new(Duration::from_secs(30));
    record(&mut whole, first);
    record(&mut whole, second);
    let mut merged = series_of(first);
    merged.merge(&series_of(second));
    assert_eq!(merged.requests(), whole.requests());
    assert_eq!(merged.causes(), whole.causes());
    assert_eq!(merged.histogram(), whole.histogram());
    assert_eq!(
        (merged.sum_nanos(), merged.sum_squared_nanos()),
        (whole.sum_nanos(), whole.sum_squared_nanos())
    );
    assert_eq!(merged.timeline(), whole.timeline());
    assert_eq!(merged.exact_nanos(), whole.exact_nanos());
    assert_eq!(merged, whole);
    whole
}

#[test]
fn merging_two_halves_equals_recording_the_whole() {
    let all = requests(20_000, 0, 120, 33);
    let whole = assert_merge_is_exact(&all[..12_345], &all[12_345..]);
    assert_eq!(whole.requests(), 20_000);
    assert_eq!(whole.errors(), 20_000 / 33 + 1);
    assert_eq!(whole.causes().len(), 4);
    assert_eq!(
        whole.exact_nanos().map(<[u64]>::len),
        Some(whole.ok() as usize)
    );
    assert_eq!(whole.rounds(), 123 + 76);
    assert!(whole.slowest_round().is_some());
    assert!(whole.min() < whole.max());
    assert!(whole.timeline().len() >= 120);
}

#[test]
fn merging_across_the_exact_limit() {
    // Each half keeps its values, the whole does not.
    let all = requests(EXACT_LIMIT + 20_000, 0, 600, 0);
    let half = all.len() / 2;
    let whole = assert_merge_is_exact(&all[..half], &all[half..]);
    assert_eq!(whole.exact_nanos(), None);
    // One half already past the limit.
    assert_merge_is_exact(
        &all[..EXACT_LIMIT as usize + 1],
        &all[EXACT_LIMIT as usize + 1..],
    );
    // Together exactly at the limit: the values are kept.
    let at_limit = &all[..EXACT_LIMIT as usize];
    let whole = assert_merge_is_exact(&at_limit[..70_000], &at_limit[70_000..]);
    assert_eq!(
        whole.exact_nanos().map(<[u64]>::len),
        Some(EXACT_LIMIT as usize)
    );
}

#[test]
fn merging_across_different_timeline_widths() {
    let early = requests(3_000, 0, 3_000, 10);
    let late = requests(6_000, 3_000, 6_000, 10);
    assert_eq!(series_of(&early).timeline().width(), Duration::from_secs(1));
    assert_eq!(series_of(&late).timeline().width(), Duration::from_secs(4));
    let whole = assert_merge_is_exact(&early, &late);
    assert_eq!(whole.timeline().width(), Duration::from_secs(4));
    // The other way round, too.
    let mut merged = series_of(&late);
    merged.merge(&series_of(&early));
    assert_eq!(merged.timeline(), whole.timeline());
}

#[test]
fn past_the_exact_limit_the_values_are_freed() {
    let mut series = Series::new(Duration::from_secs(30));
    for _ in 0..EXACT_LIMIT {
        series.record_ok(Duration::ZERO, Duration::from_millis(5), 0);
    }
    let holding = series.heap_bytes();
    assert!(holding > EXACT_LIMIT as usize * 8, "{holding} bytes");
    series.record_ok(Duration::ZERO, Duration::from_millis(5), 0);
    assert_eq!(series.exact_nanos(), None);
    assert!(series.heap_bytes() < holding - EXACT_LIMIT as usize * 8);
}

#[test]
fn latencies_above_the_maximum_clamp_in_the_histogram_only() {
    let mut series = Series::new(Duration::from_secs(1));
    series.record_ok(Duration::ZERO, Duration::from_secs(5), 0);
    assert_eq!(series.max(), Some(Duration::from_secs(5)));
    assert!(series.histogram().max() <= 1_001_000_000);
    assert_eq!(series.sum_nanos(), 5_000_000_000);
    assert_eq!(series.max_latency(), Duration::from_secs(1));
}

#[test]
fn errors_count_apart_from_latency() {
    let mut series = Series::new(Duration::from_secs(1));
    series.record_error(
        Duration::ZERO,
        Duration::from_secs(1),
        &ErrorCause::Timeout,
        0,
    );
    series.record_error(
        Duration::ZERO,
        Duration::from_secs(2),
        &ErrorCause::Timeout,
        7,
    );
    assert_eq!((series.requests(), series.ok(), series.errors()), (2, 0, 2));
    assert_eq!((series.min(), series.max()), (None, None));
    assert_eq!(series.error_time(), Duration::from_secs(3));
    assert_eq!(series.causes(), [(&ErrorCause::Timeout, 2)]);
    assert_eq!(series.bytes(), 7);
    assert_eq!(series.slowest_round(), None);
}

#[test]
fn distinct_causes_are_bounded_in_a_series() {
    let mut series = Series::new(Duration::from_secs(1));
    for i in 0..10_000 {
        let cause = ErrorCause::Check(format!("body contains token {i}"));
        series.record_error(Duration::ZERO, Duration::from_millis(1), &cause, 0);
    }
    assert_eq!(series.causes().len(), MAX_CAUSES);
    assert_eq!(series.other_causes(), 10_000 - MAX_CAUSES as u64);
    assert!(series.heap_bytes() < 256 * 1024, "{}", series.heap_bytes());
}

#[test]
fn series_round_trips_through_json() {
    for (n, exact) in [(5_000, true), (EXACT_LIMIT + 10_000, false)] {
        let series = series_of(&requests(n, 0, 300, 17));
        assert_eq!(series.exact_nanos().is_some(), exact);
        let json = serde_json::to_string(&series).unwrap();
        // HdrHistogram's V2 compressed cookie 0x1c849314 is "HIST" in base64.
        assert!(json.contains(r#""histogram":"HISTF"#), "{}", &json[..200]);
        let back: Series = serde_json::from_str(&json).unwrap();
        assert_eq!(back, series);
    }
    let empty = Series::new(Duration::from_secs(1));
    let back: Series = serde_json::from_str(&serde_json::to_string(&empty).unwrap()).unwrap();
    assert_eq!(back, empty);
}

#[test]
fn inconsistent_series_are_refused_on_reading() {
    let series = series_of(&requests(1_000, 0, 10, 10));
    let mut json: serde_json::Value = serde_json::to_value(&series).unwrap();
    json["counts"]["ok"] = serde_json::json!(5);
    let err = serde_json::from_value::<Series>(json)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("recorded series is inconsistent: requests 1000 != ok 5 + errors 100"),
        "{err}"
    );
    assert!(
        err.contains("histogram holds 900 latencies, expected ok = 5"),
        "{err}"
    );
}

fn recorded(requests: &[Request], elapsed: Duration) -> Recorded {
    let mut r = Recorded::new(Duration::from_secs(30));
    r.elapsed = elapsed;
    r.steps = vec![
        ("login".to_string(), series_of(&requests[..10])),
        ("list".to_string(), series_of(&requests[10..])),
    ];
    record(&mut r.total, requests);
    record(r.name_mut("GET /tasks/{id}"), &requests[10..]);
    r
}

#[test]
fn recorded_round_trips_and_refuses_other_schemas() {
    let r = recorded(&requests(500, 0, 5, 20), Duration::from_secs(5));
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        json.starts_with(r#"{"schema":1,"elapsed_ns":5000000000,"#),
        "{}",
        &json[..80]
    );
    let back: Recorded = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    assert_eq!(back.schema(), SCHEMA_VERSION);

    let future = json.replacen(r#""schema":1"#, r#""schema":2"#, 1);
    let err = serde_json::from_str::<Recorded>(&future)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("recorded results have schema version 2, expected 1"),
        "{err}"
    );
}

#[test]
fn recorded_merges_shards_of_one_case() {
    let all = requests(1_000, 0, 20, 25);
    let mut a = recorded(&all[..400], Duration::from_secs(20));
    let b = recorded(&all[400..], Duration::from_secs(19));
    a.merge(&b).unwrap();
    assert_eq!(a.elapsed, Duration::from_secs(20));
    assert_eq!(a.total.requests(), 1_000);
    assert_eq!(a.steps[0].1.requests(), 20);
    assert_eq!(a.names["GET /tasks/{id}"].requests(), 980);
    assert!(a.heap_bytes() > a.total.heap_bytes());

    let mut other_case = recorded(&all, Duration::from_secs(1));
    other_case.steps[1].0 = "create".to_string();
    let before = a.clone();
    let err = a.merge(&other_case).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot merge results of different cases: step 2 is 'list' here but 'create' in the other"
    );
    assert_eq!(a, before, "a refused merge changes nothing");
}

#[test]
fn a_later_part_shifted_equals_recording_it_that_much_later() {
    let part = requests(300, 0, 3, 10);
    let later: Vec<Request> = part
        .iter()
        .map(|r| Request {
            start: r.start + Duration::from_secs(7),
            latency: r.latency,
            cause: r.cause.clone(),
            bytes: r.bytes,
        })
        .collect();
    let mut shifted = recorded(&part, Duration::from_secs(3));
    shifted.shift(Duration::from_secs(7));
    assert_eq!(shifted, recorded(&later, Duration::from_secs(3)));

    // Merged after the first part, its seconds follow that part's instead of overlaying them.
    let mut whole = recorded(&part, Duration::from_secs(3));
    whole.merge(&shifted).unwrap();
    let busy: Vec<u64> = whole
        .total
        .timeline()
        .iter()
        .filter(|(_, slot)| slot.requests() > 0)
        .map(|(at, _)| at.as_secs())
        .collect();
    assert!(busy.contains(&0) && busy.contains(&7), "{busy:?}");
    assert!(!busy.contains(&5) && !busy.contains(&6), "{busy:?}");
    let span = whole.total.active_span().unwrap();
    assert!(span > Duration::from_secs(7), "{span:?}");
}
