//! The stable short run of the fuzz targets (the test command): every file of
//! the committed corpus (fuzz/corpus/<target>/, crashes found included), then
//! a fixed number of cases mutated from it by a seeded generator. A failing
//! input is written to target/fuzz-failures/ and named in the failure.
//!
//!   CCG_FUZZ_CASES=100000 CCG_FUZZ_SEED=7 cargo test -p ccg-fuzz --release   a longer stable run

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// Runs one input; on a panic, keeps the input and fails naming it.
fn run(target: &str, f: fn(&[u8]), input: &[u8], what: &str) {
    if let Err(e) = catch_unwind(AssertUnwindSafe(|| f(input))) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{target}-{:016x}", fnv(input)));
        std::fs::write(&path, input).unwrap();
        let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
        panic!("{target}: {what} failed ({msg}); input kept in {} (copy it into fuzz/corpus/{target}/)", path.display());
    }
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, &x| (h ^ x as u64).wrapping_mul(0x100000001b3))
}

/// xorshift64*: small, seeded, the same on every machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces worth inserting: the formats' own syntax and the characters the text rules are about.
const TOKENS: &[&str] = &[
    "&",
    "=",
    "%",
    "%2",
    "%zz",
    "%C3%A9",
    "%E2%80%8B",
    "%E2%80%A8",
    "%00",
    "+",
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "1e999",
    "-0",
    "\\u0000",
    "\\ud800",
    "\n",
    "\r\n",
    "---\n",
    ": ",
    "- ",
    "#",
    "*",
    "_",
    "`",
    "```",
    "<",
    ">",
    "<script>",
    "</",
    "[x](/a)",
    "![i](/b)",
    "[^1]",
    "|",
    "{#id}",
    "\u{200B}",
    "\u{2028}",
    "\u{202E}",
    "\u{FEFF}",
    "é",
    "日",
    "😀",
    "\u{3164}",
    "name",
    "email",
    "consent",
    "website",
    "event",
    "travel_start",
    "2027-03-16",
    "16/03/2027",
    "412.50",
    "@",
    "a@b.eu",
    "id: x",
    "start: 2027-03-16T09:00",
    "timezone: Europe/Brussels",
    "format: physical",
    "draft: true",
    "  ",
    "\t",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            2 | 3 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                v.splice(at..at, t.iter().copied());
            }
            4 if !v.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            5 if !v.is_empty() => {
                let from = rng.below(v.len());
                let end = (from + 1 + rng.below(32)).min(v.len());
                let piece = v[from..end].to_vec();
                v.splice(at..at, piece);
            }
            _ => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                v.extend_from_slice(&other[from..]);
            }
        }
    }
    v.truncate(20_000);
    v
}

fn short_run(target: &str) {
    let f = ccg_fuzz::TARGETS.iter().find(|(n, _)| *n == target).unwrap().1;
    let seeds = corpus(target);
    assert!(!seeds.is_empty(), "fuzz/corpus/{target}/ is empty");
    for (i, s) in seeds.iter().enumerate() {
        run(target, f, s, &format!("corpus file #{i}"));
    }
    let cases: usize = std::env::var("CCG_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(30_000);
    let seed: u64 = std::env::var("CCG_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed_0012);
    let mut rng = Rng(seed ^ fnv(target.as_bytes()) | 1);
    // A guard for slow machines: the case count is the contract, the time only a ceiling.
    let budget = Duration::from_secs(std::env::var("CCG_FUZZ_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(15));
    let started = Instant::now();
    let mut done = 0;
    while done < cases && started.elapsed() < budget {
        let input = mutate(&mut rng, &seeds);
        run(target, f, &input, &format!("case {done} (seed {seed})"));
        done += 1;
    }
    eprintln!("{target}: {} corpus files, {done} mutated cases in {:.1}s", seeds.len(), started.elapsed().as_secs_f64());
}

#[test]
fn form_body() {
    short_run("form_body");
}

#[test]
fn json_body() {
    short_run("json_body");
}

#[test]
fn event() {
    short_run("event");
}

#[test]
fn markdown() {
    short_run("markdown");
}

#[test]
fn passkey_answer() {
    short_run("passkey_answer");
}

#[test]
fn sign_in_body() {
    short_run("sign_in_body");
}
