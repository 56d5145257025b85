//! A series' memory is bounded whatever the number of requests, and recording allocates nothing
//! in steady state. Measured with a counting global allocator, so this binary holds one test:
//! nothing else allocates while it measures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::Duration;

use loadgate::record::{Series, MAX_CAUSES};
use loadgate::sample::ErrorCause;

/// Counts live heap bytes and allocation calls, passing everything to the system allocator.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// Requests recorded: 10 M at 1000 per second, a 2.8 h soak.
const REQUESTS: u64 = 10_000_000;
/// Fixed bound on what the series may hold after them. The timeline dominates: 4096 slots at
/// most, here 2500 slots of 4 s whose latencies span 8 powers of two (2 KiB each): 5.57 MB
/// measured, as `heap_bytes` reports.
const BOUND_BYTES: isize = 8 << 20;

/// A latency of 128 us to 32 ms, spread over 8 powers of two: wider than most real seconds.
fn latency(x: u64) -> Duration {
    let power = 17 + (x % 8);
    Duration::from_nanos((1 << power) + (x >> 20) % (1 << power))
}

fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

#[test]
fn ten_million_requests_stay_within_a_fixed_memory_bound() {
    let before = live_bytes();
    let mut series = Series::new(Duration::from_secs(60));
    let timeout = ErrorCause::Timeout;
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..REQUESTS {
        let r = next(&mut x);
        let start = Duration::from_millis(i);
        if i % 100 == 0 {
            // 1 % errors, each with its own text as a creative target would produce: the cause
            // list stays at its bound (the text is built here, outside the recording).
            let cause = if i % 200 == 0 {
                ErrorCause::Transport(format!("reset after {r} bytes"))
            } else {
                timeout.clone()
            };
            series.record_error(start, latency(r), &cause, 0);
        } else {
            series.record_ok(start, latency(r), r % 4_096);
        }
    }
    let held = live_bytes() - before;
    let reported = series.heap_bytes() as isize;
    println!(
        "{REQUESTS} requests: {held} bytes live ({reported} reported by heap_bytes), \
         {} timeline slots of {:?}",
        series.timeline().len(),
        series.timeline().width()
    );
    assert_eq!(series.requests(), REQUESTS);
    assert_eq!(series.causes().len(), MAX_CAUSES);
    assert!(held < BOUND_BYTES, "{held} bytes live, bound {BOUND_BYTES}");
    // heap_bytes is an estimate from capacities; it must be the right order of magnitude.
    assert!(
        reported <= held && reported * 5 >= held * 4,
        "heap_bytes {reported} vs {held} live"
    );

    // Steady state: more requests in seconds, latencies and causes already seen allocate nothing.
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    for i in 0..100_000u64 {
        let r = next(&mut x);
        let start = Duration::from_millis(i * 100);
        if i % 10 == 0 {
            series.record_error(start, latency(r), &timeout, 10);
        } else {
            series.record_ok(start, latency(r), 10);
        }
    }
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - allocations,
        0,
        "recording allocated in steady state"
    );

    drop(series);
    assert!(live_bytes() - before < 64 * 1024, "memory not returned");
}
