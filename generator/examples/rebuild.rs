//! The incremental half of the benchmark (scripts/bench-site.sh): holds one
//! `Builder`, as `serve` does, and times its rebuilds after edits.
//!
//!     cargo run --release -p generator --example rebuild -- ROOT OUT NOW RUNS
//!
//! ROOT is a site from the `synth` example (it edits its page-00001 and
//! bench-event-00001). Prints one line per case: `case best_seconds
//! peak_kb rendered`, where peak_kb is the process's peak resident memory
//! during that case (the builder's memory included), rendered the pages
//! rendered again.

use generator::Builder;
use generator::build::Options;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Peak resident memory since the last reset, in kB (Linux).
fn peak_kb() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

fn reset_peak() {
    // "5" resets the peak resident set size (proc(5), clear_refs).
    let _ = fs::write("/proc/self/clear_refs", "5");
}

fn edit(path: &Path, f: impl Fn(&str) -> String) {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    fs::write(path, f(&text)).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, out, now, runs] = args.as_slice() else {
        eprintln!("usage: rebuild ROOT OUT NOW RUNS");
        std::process::exit(2);
    };
    let root = PathBuf::from(root);
    let runs: usize = runs.parse().expect("RUNS is a number");
    // As `serve` builds (drafts, a local address), with a fixed clock.
    let opts = Options {
        root: root.clone(),
        out: PathBuf::from(out),
        drafts: true,
        now: now.parse().expect("NOW is an RFC 3339 instant"),
        base_url: Some("http://127.0.0.1:4000".into()),
        contact_email: None,
        write: true,
    };
    let _ = fs::remove_dir_all(&opts.out);
    let mut builder = Builder::new();
    let mut case = |name: &str, times: usize, change: &dyn Fn(usize)| {
        reset_peak();
        let (mut best, mut rendered) = (f64::MAX, 0);
        for run in 0..times {
            change(run);
            let t = Instant::now();
            let r = builder.build(&opts).unwrap_or_else(|e| panic!("{name}: {e}"));
            best = best.min(t.elapsed().as_secs_f64());
            rendered = r.rendered.len();
        }
        println!("{name} {best:.4} {} {rendered}", peak_kb());
    };
    case("full", 1, &|_| {});
    case("same", runs, &|_| {});
    let page = root.join("content/pages/section-00/page-00001.md");
    case("page", runs, &|run| edit(&page, |t| format!("{t}\nEdited in run {run}.\n")));
    // The title too: the event's summary changes, so every list of events is rendered again.
    let event = root.join("content/events/bench-event-00001.md");
    case("event", runs, &|run| edit(&event, |t| format!("{}\nEdited in run {run}.\n", t.replacen("title: \"", &format!("title: \"Run {run}: "), 1))));
}
