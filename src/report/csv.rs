//! `stats.csv` and `stats_history.csv` in Locust's columns, so the spreadsheets and scripts that
//! read Locust's `--csv` output read these too. Response times are in milliseconds.
//!
//! `Type` is the case's kind (Locust puts the HTTP method there), `Name` the case or step id.

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Report;
use crate::record::Series;
use crate::results::CaseResult;
use crate::stats::{self, Latency, Summary};

/// The percentiles Locust reports, as fractions of 100, with their column names.
const PERCENTILES: [(f64, &str); 11] = [
    (50.0, "50%"),
    (66.0, "66%"),
    (75.0, "75%"),
    (80.0, "80%"),
    (90.0, "90%"),
    (95.0, "95%"),
    (98.0, "98%"),
    (99.0, "99%"),
    (99.9, "99.9%"),
    (99.99, "99.99%"),
    (100.0, "100%"),
];

/// What Locust writes where there is no value (no successful request).
const NOT_AVAILABLE: &str = "N/A";

/// `stats.csv`: one row per case and per journey step, then an `Aggregated` row over every
/// case (their series merged, throughput over their summed spans).
#[derive(Debug, Default, Clone, Copy)]
pub struct StatsCsv;

/// `stats_history.csv`: one row per case per timeline slot (a second, wider for long cases).
/// `Timestamp` is the slot's start on the wall clock, in Unix seconds: the case's measured span
/// began at [`CaseResult::started`], and the slot starts its offset later. `User Count` is the
/// mean number of virtual users running in the slot (0 for kinds without virtual users).
#[derive(Debug, Clone, Copy)]
pub struct HistoryCsv {
    /// The run's start: the time of a result that has none of its own (saved by an older
    /// version).
    pub started: SystemTime,
}

impl Report for StatsCsv {
    fn write(&self, results: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()> {
        let mut csv = ::csv::Writer::from_writer(out);
        let mut header = vec![
            "Type",
            "Name",
            "Request Count",
            "Failure Count",
            "Median Response Time",
            "Average Response Time",
            "Min Response Time",
            "Max Response Time",
            "Average Content Size",
            "Requests/s",
            "Failures/s",
        ];
        header.extend(PERCENTILES.iter().map(|(_, name)| *name));
        csv.write_record(&header)?;
        let mut all: Option<Series> = None;
        let mut elapsed = Duration::ZERO;
        for result in results {
            let recorded = result.recorded.as_ref();
            csv.write_record(stats_row(
                &result.kind,
                &result.id,
                result.summary.as_ref(),
                recorded.map(|r| &r.total),
            ))?;
            for (index, step) in result.steps.iter().enumerate() {
                let series = recorded.and_then(|r| r.steps.get(index)).map(|(_, s)| s);
                csv.write_record(stats_row(
                    &result.kind,
                    &step.id,
                    Some(&step.summary),
                    series,
                ))?;
            }
            if let Some(recorded) = recorded {
                elapsed += recorded.elapsed;
                match &mut all {
                    Some(series) => series.merge(&recorded.total),
                    None => all = Some(recorded.total.clone()),
                }
            }
        }
        let all = all.unwrap_or_else(|| Series::new(Duration::ZERO));
        let summary = Summary::of(&all, elapsed);
        csv.write_record(stats_row("", "Aggregated", Some(&summary), Some(&all)))?;
        csv.flush()
    }
}

impl Report for HistoryCsv {
    fn write(&self, results: &[CaseResult], out: &mut dyn io::Write) -> io::Result<()> {
        let mut csv = ::csv::Writer::from_writer(out);
        let mut header = vec![
            "Timestamp",
            "User Count",
            "Type",
            "Name",
            "Requests/s",
            "Failures/s",
        ];
        header.extend(PERCENTILES.iter().map(|(_, name)| *name));
        header.extend([
            "Total Request Count",
            "Total Failure Count",
            "Total Median Response Time",
            "Total Average Response Time",
            "Total Min Response Time",
            "Total Max Response Time",
            "Total Average Content Size",
        ]);
        csv.write_record(&header)?;
        for result in results {
            let (Some(recorded), Some(summary)) = (&result.recorded, &result.summary) else {
                continue;
            };
            let start = result
                .started
                .unwrap_or(self.started)
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            let timeline = recorded.total.timeline();
            let width = timeline.width().as_secs_f64();
            let (mut requests, mut failures, mut bytes) = (0u64, 0u64, 0u64);
            let mut max: Option<Duration> = None;
            for (offset, slot) in timeline.iter() {
                requests += slot.requests();
                failures += slot.errors();
                bytes = bytes.saturating_add(slot.bytes());
                max = max.max(slot.max());
                let mut row = vec![
                    (start + offset).as_secs().to_string(),
                    format!("{:.0}", recorded.users.mean_at(offset)),
                    result.kind.clone(),
                    result.id.clone(),
                    number(slot.requests() as f64 / width),
                    number(slot.errors() as f64 / width),
                ];
                row.extend(PERCENTILES.iter().map(|(p, _)| ms(slot.percentile(*p))));
                // The timeline keeps counts and a maximum per slot, not running sums: the
                // median, average and minimum are the case's whole-run values.
                let latency = summary.latency.as_ref();
                row.extend([
                    requests.to_string(),
                    failures.to_string(),
                    ms(latency.map(|l| l.p50)),
                    ms(latency.map(|l| l.mean)),
                    ms(latency.map(|l| l.min)),
                    ms(max),
                    number(average(bytes, requests)),
                ]);
                csv.write_record(&row)?;
            }
        }
        csv.flush()
    }
}

fn stats_row(
    kind: &str,
    name: &str,
    summary: Option<&Summary>,
    series: Option<&Series>,
) -> Vec<String> {
    let latency = summary.and_then(|s| s.latency.as_ref());
    let rate = |count: u64| {
        summary
            .filter(|s| !s.elapsed.is_zero())
            .map_or(0.0, |s| count as f64 / s.elapsed.as_secs_f64())
    };
    let (requests, errors, bytes) = summary.map_or((0, 0, 0), |s| (s.requests, s.errors, s.bytes));
    let mut row = vec![
        kind.to_string(),
        name.to_string(),
        requests.to_string(),
        errors.to_string(),
        ms(latency.map(|l| l.p50)),
        ms(latency.map(|l| l.mean)),
        ms(latency.map(|l| l.min)),
        ms(latency.map(|l| l.max)),
        number(average(bytes, requests)),
        number(rate(requests)),
        number(rate(errors)),
    ];
    row.extend(
        PERCENTILES
            .iter()
            .map(|(p, _)| ms(latency.and_then(|l| percentile(l, series, *p)))),
    );
    row
}

/// The `p`-th percentile the way [`Summary`] computes its own (exact while every latency is
/// kept, else from the histogram, clamped to the exact extremes); the summary's own value
/// where it has one, so both files agree.
fn percentile(latency: &Latency, series: Option<&Series>, p: f64) -> Option<Duration> {
    let known = match p {
        50.0 => Some(latency.p50),
        90.0 => Some(latency.p90),
        95.0 => Some(latency.p95),
        99.0 => Some(latency.p99),
        100.0 => Some(latency.max),
        _ => None,
    };
    if known.is_some() {
        return known;
    }
    let series = series?;
    let value = match series.exact_nanos() {
        Some(exact) if !exact.is_empty() => {
            let mut values: Vec<f64> = exact.iter().map(|&ns| ns as f64).collect();
            Duration::from_nanos(stats::percentile(&mut values, p)?.round() as u64)
        }
        _ => Duration::from_nanos(series.histogram().value_at_quantile(p / 100.0)),
    };
    Some(value.clamp(latency.min, latency.max))
}

fn average(total: u64, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        total as f64 / count as f64
    }
}

/// Milliseconds with microsecond precision, or `N/A`.
fn ms(value: Option<Duration>) -> String {
    value.map_or_else(
        || NOT_AVAILABLE.to_string(),
        |d| format!("{:.3}", d.as_secs_f64() * 1e3),
    )
}

fn number(value: f64) -> String {
    format!("{value:.3}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_between_the_summary_ones_come_from_the_same_data() {
        let mut series = Series::new(Duration::from_secs(1));
        for i in 1..=100u64 {
            series.record_ok(Duration::ZERO, Duration::from_millis(i), 0);
        }
        let summary = Summary::of(&series, Duration::from_secs(1));
        let latency = summary.latency.unwrap();
        let at = |p| percentile(&latency, Some(&series), p).unwrap();
        assert_eq!(at(50.0), latency.p50);
        assert_eq!(at(100.0), Duration::from_millis(100));
        let p75 = at(75.0).as_secs_f64() * 1e3;
        assert!((75.0..=76.0).contains(&p75), "{p75}");
        assert!(at(66.0) < at(75.0) && at(98.0) < at(99.9));
        assert_eq!(ms(Some(Duration::from_micros(1500))), "1.500");
        assert_eq!(ms(None), "N/A");
    }

    #[test]
    fn history_rows_carry_their_own_case_start_and_user_count() {
        let run_started = UNIX_EPOCH + Duration::from_secs(1_000);
        let case = |id: &str, started: Option<u64>| {
            let mut recorded = crate::record::Recorded::new(Duration::from_secs(1));
            for offset in [0.2, 1.5] {
                let start = Duration::from_secs_f64(offset);
                recorded
                    .total
                    .record_ok(start, Duration::from_millis(5), 10);
            }
            recorded.elapsed = Duration::from_secs(2);
            let mut result = CaseResult::new(id, "load", "", 0);
            recorded
                .users
                .record(Duration::ZERO, Duration::from_millis(1500), 4);
            result.summary = Some(Summary::of(&recorded.total, recorded.elapsed));
            result.recorded = Some(recorded);
            result.started = started.map(|s| UNIX_EPOCH + Duration::from_secs(s));
            result
        };
        let results = [
            case("s::first", Some(2_000)),
            case("s::second", Some(2_060)),
            case("s::older", None),
        ];
        let mut out = Vec::new();
        HistoryCsv {
            started: run_started,
        }
        .write(&results, &mut out)
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<(&str, &str, &str)> = text
            .lines()
            .skip(1)
            .map(|line| {
                let cells: Vec<&str> = line.split(',').collect();
                (cells[3], cells[0], cells[1])
            })
            .collect();
        // Four users for 1.5 s: four in the first second, two on average in the second.
        assert_eq!(
            rows,
            [
                ("s::first", "2000", "4"),
                ("s::first", "2001", "2"),
                ("s::second", "2060", "4"),
                ("s::second", "2061", "2"),
                ("s::older", "1000", "4"),
                ("s::older", "1001", "2"),
            ]
        );
    }
}
