//! Synthetic site for the benchmark (scripts/bench-site.sh):
//!
//!     cargo run --release -p generator --example synth -- N OUT
//!
//! writes OUT/site (content/ + templates/ for `generator`) and OUT/hugo (the
//! same pages and events with minimal equivalent Hugo templates): N pages of
//! 600-1,200 words of varied markdown and N/10 events. Deterministic: the
//! same N gives the same bytes.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
// The tests' helpers: the synthesiser uses a part of them.
#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;
use common::copy_dir;

const WORDS: &[&str] = &[
    "city",
    "cities",
    "energy",
    "mobility",
    "district",
    "heating",
    "data",
    "platform",
    "citizens",
    "project",
    "lighthouse",
    "fellow",
    "replication",
    "budget",
    "procurement",
    "network",
    "grid",
    "solar",
    "retrofit",
    "building",
    "housing",
    "transport",
    "bus",
    "bicycle",
    "charging",
    "station",
    "sensor",
    "open",
    "shared",
    "public",
    "private",
    "partner",
    "partnership",
    "municipality",
    "council",
    "mayor",
    "plan",
    "strategy",
    "pilot",
    "scale",
    "measure",
    "result",
    "impact",
    "emission",
    "carbon",
    "neutral",
    "climate",
    "adaptation",
    "water",
    "waste",
    "circular",
    "economy",
    "local",
    "regional",
    "national",
    "european",
    "funding",
    "grant",
    "call",
    "proposal",
    "workshop",
    "meeting",
    "visit",
    "study",
    "report",
    "guideline",
    "standard",
    "model",
    "tool",
    "method",
    "approach",
    "lesson",
    "learned",
    "challenge",
    "barrier",
    "solution",
    "need",
    "priority",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "for",
    "with",
    "on",
    "by",
    "from",
    "that",
    "this",
    "these",
    "their",
    "its",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "will",
    "can",
    "should",
    "could",
    "more",
    "most",
    "less",
    "new",
    "old",
    "small",
    "large",
    "first",
    "next",
    "last",
    "each",
    "every",
    "some",
    "many",
    "few",
    "other",
    "team",
    "staff",
    "officer",
    "coordinator",
    "engineer",
    "planner",
    "resident",
    "business",
    "university",
    "school",
    "hospital",
    "street",
    "square",
    "park",
    "tree",
    "light",
    "lamp",
    "traffic",
    "parking",
    "space",
    "digital",
    "twin",
    "dashboard",
    "indicator",
    "monitoring",
    "evaluation",
    "survey",
    "interview",
    "feedback",
    "cost",
    "saving",
    "price",
    "tariff",
    "contract",
    "tender",
    "supplier",
    "market",
    "demand",
    "supply",
    "storage",
    "battery",
    "heat",
    "pump",
    "insulation",
    "window",
    "roof",
    "facade",
    "renovation",
    "owner",
    "tenant",
    "cooperative",
    "association",
    "community",
    "neighbourhood",
    "quarter",
    "centre",
    "suburb",
    "year",
    "month",
    "week",
    "day",
    "phase",
    "stage",
    "step",
    "goal",
    "target",
    "objective",
    "milestone",
    "works",
    "worked",
    "helps",
    "helped",
    "shows",
    "showed",
    "needs",
    "needed",
    "allows",
    "allowed",
    "brings",
    "together",
    "across",
    "between",
    "within",
    "without",
    "before",
    "after",
    "during",
    "while",
    "because",
    "quickly",
    "slowly",
    "clearly",
    "often",
    "rarely",
    "again",
    "already",
    "still",
    "only",
    "also",
    "even",
];

const ZONES: &[&str] = &[
    "Europe/Brussels",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Istanbul",
    "America/New_York",
    "Asia/Tokyo",
    "UTC",
    "Europe/Madrid",
    "Europe/Warsaw",
];
const PLACES: &[(&str, &str)] = &[
    ("Brussels", "BE"),
    ("Porto", "PT"),
    ("Espoo", "FI"),
    ("Thessaloniki", "GR"),
    ("Valladolid", "ES"),
    ("Milan", "IT"),
    ("Eindhoven", "NL"),
    ("Vilnius", "LT"),
    ("Lyon", "FR"),
    ("Cologne", "DE"),
];

/// xorshift64*: small, deterministic, good enough for filler text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn words(rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| rng.word()).collect::<Vec<_>>().join(" ")
}

fn page_url(i: usize) -> String {
    format!("/section-{:02}/page-{i:05}/", i / 100)
}

/// One paragraph with inline markup; returns its word count.
fn paragraph(rng: &mut Rng, out: &mut String, n_pages: usize, words_wanted: usize) -> usize {
    let mut count = 0;
    let mut sentence_start = true;
    while count < words_wanted {
        let w = rng.word();
        let w = if sentence_start { capitalize(w) } else { w.to_string() };
        sentence_start = false;
        match rng.below(40) {
            0 => write!(out, "*{w}*").unwrap(),
            1 => write!(out, "**{w}**").unwrap(),
            2 => write!(out, "`{w}`").unwrap(),
            3 => {
                let t = rng.below(n_pages);
                let more = words(rng, 2);
                write!(out, "[{w} {more}]({})", page_url(t)).unwrap();
                count += 2;
            }
            4 => write!(out, "[{w}](https://example.org/{w}/{})", rng.below(1000)).unwrap(),
            _ => out.push_str(&w),
        }
        count += 1;
        if rng.below(12) == 0 {
            out.push_str(". ");
            sentence_start = true;
        } else if rng.below(15) == 0 {
            out.push_str(", ");
        } else {
            out.push(' ');
        }
        if rng.below(14) == 0 {
            out.push('\n');
        }
    }
    while out.ends_with(' ') || out.ends_with('\n') || out.ends_with(',') {
        out.pop();
    }
    out.push_str(".\n\n");
    count
}

fn body(rng: &mut Rng, n_pages: usize, target: usize) -> String {
    let mut out = String::with_capacity(target * 8);
    let mut count = {
        let k = rng.range(50, 110);
        paragraph(rng, &mut out, n_pages, k)
    };
    let mut section = 0;
    while count < target {
        section += 1;
        let level = if section > 1 && rng.below(3) == 0 { "###" } else { "##" };
        let title = {
            let k = rng.range(2, 6);
            words(rng, k)
        };
        writeln!(out, "{level} {}\n", capitalize(&title)).unwrap();
        count += {
            let k = rng.range(40, 120);
            paragraph(rng, &mut out, n_pages, k)
        };
        match rng.below(6) {
            0 => {
                for _ in 0..rng.range(3, 6) {
                    let item = {
                        let k = rng.range(4, 12);
                        words(rng, k)
                    };
                    writeln!(out, "- {}", capitalize(&item)).unwrap();
                    count += item.split(' ').count();
                }
                out.push('\n');
            }
            1 => {
                for k in 1..=rng.range(3, 5) {
                    let item = {
                        let k = rng.range(5, 14);
                        words(rng, k)
                    };
                    writeln!(out, "{k}. {}", capitalize(&item)).unwrap();
                    count += item.split(' ').count();
                }
                out.push('\n');
            }
            2 => {
                out.push_str("| Measure | City | Result |\n|---|---|---:|\n");
                for _ in 0..rng.range(3, 6) {
                    let (a, b) = (words(rng, 2), words(rng, 1));
                    writeln!(out, "| {} | {} | {} % |", capitalize(&a), capitalize(&b), rng.below(100)).unwrap();
                    count += 4;
                }
                out.push('\n');
            }
            3 => {
                out.push_str("```text\n");
                for _ in 0..rng.range(3, 6) {
                    writeln!(out, "{} = {}", rng.word(), rng.below(10_000)).unwrap();
                }
                out.push_str("```\n\n");
            }
            4 => {
                let q = {
                    let k = rng.range(10, 25);
                    words(rng, k)
                };
                writeln!(out, "> {}.\n", capitalize(&q)).unwrap();
                count += q.split(' ').count();
            }
            _ => {}
        }
        if rng.below(2) == 0 {
            count += {
                let k = rng.range(30, 90);
                paragraph(rng, &mut out, n_pages, k)
            };
        }
    }
    out
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

struct EventData {
    front: String,
    body: String,
    hugo_front: String,
}

fn event(rng: &mut Rng, i: usize, n_pages: usize) -> EventData {
    let id = format!("bench-event-{i:05}");
    let title = capitalize(&{
        let k = rng.range(3, 8);
        words(rng, k)
    });
    let zone = ZONES[rng.below(ZONES.len())];
    let (y, m, d) = (2020 + rng.below(10), rng.range(1, 12), rng.range(1, 28));
    let (start, end) = if rng.below(10) == 0 {
        let (d, days) = (d.min(26), rng.below(3));
        (format!("{y}-{m:02}-{d:02}"), format!("{y}-{m:02}-{:02}", d + days))
    } else {
        let h = rng.range(8, 15);
        (format!("{y}-{m:02}-{d:02}T{h:02}:00"), format!("{y}-{m:02}-{d:02}T{:02}:30", h + rng.range(1, 7)))
    };
    let format = ["physical", "virtual", "hybrid"][rng.below(3)];
    let kind = ["networking", "co-creation", "advocacy"][rng.below(3)];
    let mut extra = String::new();
    if format != "virtual" {
        let (city, country) = PLACES[rng.below(PLACES.len())];
        write!(extra, "location:\n  venue: \"{} hall\"\n  city: {city}\n  country: {country}\n", capitalize(rng.word())).unwrap();
    }
    if rng.below(3) == 0 {
        write!(extra, "part_of:\n  name: \"{}\"\n  url: https://example.org/conference\n", capitalize(&words(rng, 3))).unwrap();
    }
    if format == "physical" && rng.below(10) < 7 {
        writeln!(extra, "announced: {}-{m:02}-01", y - 1).unwrap();
    }
    if rng.below(20) == 0 {
        extra.push_str("status: cancelled\n");
    }
    let summary = capitalize(&{
        let k = rng.range(12, 25);
        words(rng, k)
    });
    let common =
        format!("title: \"{title}\"\nstart: \"{start}\"\nend: \"{end}\"\ntimezone: {zone}\nformat: {format}\nkind: {kind}\n{extra}summary: \"{summary}.\"\n");
    let front = format!("---\nid: {id}\n{common}---\n");
    // Hugo reads the same front matter; `id` is renamed because it is reserved there.
    let hugo_front = format!("---\nevent_id: {id}\n{common}---\n");
    let target = rng.range(100, 300);
    EventData { front, body: body(rng, n_pages, target), hugo_front }
}

const HUGO_CONFIG: &str = r#"baseURL = "https://ccg.scalable-cities.example/"
languageCode = "en"
title = "City Coordinators Group"
disableKinds = ["taxonomy", "term", "RSS", "section"]
enableRobotsTXT = true
[markup.goldmark.renderer]
unsafe = true
[markup.highlight]
codeFences = false
"#;

const HUGO_BASEOF: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} | {{ .Site.Title }}</title>
<meta name="description" content="{{ .Params.description }}">
<link rel="canonical" href="{{ .Permalink }}">
<link rel="stylesheet" href="/style.css">
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="site-header"><div class="wrap"><a class="brand" href="/">{{ .Site.Title }}</a>
<nav aria-label="Main"><ul>
<li><a href="/"{{ if .IsHome }} aria-current="page"{{ end }}>Home</a></li>
<li><a href="/how-it-works/">How it works</a></li>
<li><a href="/calendar/">Calendar</a></li>
<li><a href="/join/">Join</a></li>
<li><a href="/financial-support/">Travel support</a></li>
<li><a href="/projects/">SCC projects</a></li>
</ul></nav></div></header>
<main id="main" class="wrap">
{{ block "main" . }}{{ end }}
</main>
<footer class="site-footer"><div class="wrap"><p>{{ .Site.Title }}</p>
<ul class="footer-links"><li><a href="/privacy/">Privacy notice</a></li><li><a href="/calendar.ics">Calendar feed (iCal)</a></li></ul></div></footer>
</body>
</html>
"##;

const HUGO_SINGLE: &str = r#"{{ define "main" }}
<h1>{{ .Title }}</h1>
<div class="prose">
{{ .Content }}
</div>
{{ end }}
"#;

const HUGO_EVENT: &str = r#"{{ define "main" }}
<p class="breadcrumb"><a href="/">Calendar</a></p>
<h1>{{ .Title }}</h1>
<p class="lead">{{ .Params.summary }}</p>
<dl class="facts">
<dt>When</dt><dd><time datetime="{{ .Params.start }}">{{ .Params.start }}</time> to <time datetime="{{ .Params.end }}">{{ .Params.end }}</time>, {{ .Params.timezone }}</dd>
<dt>Format</dt><dd>{{ .Params.format }}</dd>
<dt>Kind</dt><dd>{{ .Params.kind }}</dd>
<dt>Place</dt><dd>{{ with .Params.location }}{{ .venue }}, {{ .city }}, {{ .country }}{{ else }}Online{{ end }}</dd>
{{ with .Params.part_of }}<dt>Part of</dt><dd><a href="{{ .url }}">{{ .name }}</a></dd>{{ end }}
</dl>
<div class="prose">
{{ .Content }}
</div>
{{ end }}
"#;

/// The home page doubles as the calendar: every event, sorted, with its facts.
const HUGO_HOME: &str = r#"{{ define "main" }}
<h1>{{ .Site.Title }}</h1>
<h2>Meetings</h2>
<ol class="events">
{{ range sort (where .Site.RegularPages "Section" "events") "Params.start" }}
<li class="event"><h3 class="event-title"><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>
<p class="when"><time datetime="{{ .Params.start }}">{{ .Params.start }}</time>, {{ .Params.timezone }}</p>
<dl class="facts"><dt>Format</dt><dd>{{ .Params.format }}</dd><dt>Kind</dt><dd>{{ .Params.kind }}</dd>
<dt>Place</dt><dd>{{ with .Params.location }}{{ .city }}{{ else }}Online{{ end }}</dd></dl></li>
{{ end }}
</ol>
{{ end }}
"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(out)) = (args.first().and_then(|n| n.parse::<usize>().ok()), args.get(1)) else {
        eprintln!("usage: synth N OUT");
        std::process::exit(2);
    };
    let out = PathBuf::from(out);
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let site = out.join("site");
    let hugo = out.join("hugo");
    let _ = fs::remove_dir_all(&site);
    let _ = fs::remove_dir_all(&hugo);

    // The real site around the synthetic pages: config, data, its pages and templates.
    copy_dir(&ws.join("templates"), &site.join("templates"));
    copy_dir(&ws.join("content/data"), &site.join("content/data"));
    copy_dir(&ws.join("content/pages"), &site.join("content/pages"));
    fs::copy(ws.join("content/config.yaml"), site.join("content/config.yaml")).unwrap();
    fs::create_dir_all(site.join("content/events")).unwrap();

    write(&hugo.join("hugo.toml"), HUGO_CONFIG);
    write(&hugo.join("layouts/_default/baseof.html"), HUGO_BASEOF);
    write(&hugo.join("layouts/_default/single.html"), HUGO_SINGLE);
    write(&hugo.join("layouts/events/single.html"), HUGO_EVENT);
    write(&hugo.join("layouts/index.html"), HUGO_HOME);
    write(&hugo.join("content/_index.md"), "---\ntitle: Home\n---\n");
    fs::copy(ws.join("templates/static/style.css"), {
        fs::create_dir_all(hugo.join("static")).unwrap();
        hugo.join("static/style.css")
    })
    .unwrap();

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut total_words = 0;
    for i in 0..n {
        let title = capitalize(&{
            let k = rng.range(3, 8);
            words(&mut rng, k)
        });
        let description = capitalize(&{
            let k = rng.range(10, 20);
            words(&mut rng, k)
        });
        let target = rng.range(600, 1200);
        let text = body(&mut rng, n, target);
        total_words += target;
        let page = format!("---\ntitle: \"{title}\"\ndescription: \"{description}.\"\n---\n{text}");
        let rel = format!("section-{:02}/page-{i:05}.md", i / 100);
        write(&site.join("content/pages").join(&rel), &page);
        write(&hugo.join("content").join(&rel), &page);
    }
    for i in 0..n / 10 {
        let e = event(&mut rng, i, n);
        let name = format!("bench-event-{i:05}.md");
        write(&site.join("content/events").join(&name), &format!("{}{}", e.front, e.body));
        write(&hugo.join("content/events").join(&name), &format!("{}{}", e.hugo_front, e.body));
    }
    eprintln!("{n} pages (~{total_words} words) and {} events in {}", n / 10, out.display());
}
