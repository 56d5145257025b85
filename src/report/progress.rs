//! Live progress of long cases on a terminal: elapsed and planned time, requests, errors, the
//! latest second's p95 and rate. Nothing at all when stderr is not a terminal (CI logs).

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::exec::{Live, Watch};
use crate::units::format_duration;

/// A progress bar for one case, drawn on stderr.
pub struct Progress {
    bar: Mutex<Option<ProgressBar>>,
    id: String,
}

impl Progress {
    /// A bar for case `id` when stderr is a terminal; `None` otherwise.
    pub fn for_terminal(id: &str) -> Option<Self> {
        std::io::stderr().is_terminal().then(|| Progress {
            bar: Mutex::new(None),
            id: id.to_string(),
        })
    }

    /// The line shown beside the bar.
    fn message(live: &Live) -> String {
        let p95 = live.p95.map_or("-".into(), format_duration);
        format!(
            "{} requests, {} errors, p95 {p95}, {} req/s",
            live.requests, live.errors, live.rate
        )
    }
}

impl Watch for Progress {
    fn tick(&self, live: &Live) {
        let mut slot = self.bar.lock().unwrap_or_else(|p| p.into_inner());
        let bar = slot.get_or_insert_with(|| {
            let total = live.planned.map_or(0, |p| p.as_millis() as u64);
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("{prefix} [{bar:24}] {elapsed}/{duration} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("=> "));
            bar.set_prefix(self.id.clone());
            bar
        });
        bar.set_position(live.elapsed.as_millis() as u64);
        bar.set_message(Self::message(live));
    }

    fn done(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_line_says_what_a_run_is_doing() {
        let live = Live {
            elapsed: Duration::from_secs(3),
            planned: Some(Duration::from_secs(10)),
            requests: 1200,
            errors: 3,
            p95: Some(Duration::from_micros(12_340)),
            rate: 410,
        };
        assert_eq!(
            Progress::message(&live),
            "1200 requests, 3 errors, p95 12.3ms, 410 req/s"
        );
    }
}
