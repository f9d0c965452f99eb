//! Writes the site without ever leaving it half-done.
//!
//! While rendering, a file whose bytes differ from what is on disk goes to a
//! staging folder inside the output (same file system, so a rename moves it).
//! Nothing in the output changes until `commit`, which is only called once
//! every error has been found: each staged file is then renamed over its
//! target (atomic per file), files the previous build produced and this one
//! did not are removed (the manifest says which), and the staging folder goes.
//! Unchanged files are never rewritten, so an unchanged rebuild writes nothing.

use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Lists the files the last build produced, one per line:
/// `path<TAB>key<TAB>length<TAB>mtime-ns`, where `key` (or `-`) fingerprints
/// the inputs of a rendered page, so an unchanged page need not be rendered again.
pub const MANIFEST: &str = ".ccg-manifest";
const STAGING: &str = ".ccg-staging";

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    /// Files produced by this build.
    pub files: usize,
    /// Files whose bytes changed (created or replaced).
    pub written: usize,
    pub unchanged: usize,
    /// Of the unchanged files, those not even rendered: same inputs as last time.
    pub reused: usize,
    /// Files of the previous build no longer produced.
    pub removed: usize,
}

/// (length, modification time in ns): how a file we wrote is recognised.
type Stamp = (u64, u128);

fn stamp(m: &fs::Metadata) -> Stamp {
    let t = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    (m.len(), t.map_or(0, |d| d.as_nanos()))
}

struct Previous {
    key: Option<u64>,
    stamp: Stamp,
}

struct Produced {
    rel: String,
    key: Option<u64>,
    /// Known when the file was left as it was; read after the rename otherwise.
    stamp: Option<Stamp>,
}

pub struct Writer {
    out: PathBuf,
    staging: PathBuf,
    /// `false` for `check`: compare nothing, write nothing.
    enabled: bool,
    created_out: bool,
    previous: HashMap<String, Previous>,
    old_manifest: String,
    next: AtomicUsize,
    unchanged: AtomicUsize,
    reused: AtomicUsize,
    staged: Mutex<Vec<(String, PathBuf)>>,
    produced: Mutex<Vec<Produced>>,
}

fn parse_manifest(text: &str) -> HashMap<String, Previous> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let rel = f.next().filter(|r| !r.is_empty())?;
            let key = f.next().and_then(|k| u64::from_str_radix(k, 16).ok());
            let len = f.next().and_then(|n| n.parse().ok()).unwrap_or(u64::MAX);
            let mtime = f.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            Some((rel.to_string(), Previous { key, stamp: (len, mtime) }))
        })
        .collect()
}

impl Writer {
    pub fn new(out: &Path, enabled: bool) -> io::Result<Writer> {
        let staging = out.join(STAGING);
        let mut created_out = false;
        let mut old_manifest = String::new();
        if enabled {
            created_out = !out.exists();
            // Left over by a build that was killed: never part of the site.
            if staging.exists() {
                fs::remove_dir_all(&staging)?;
            }
            fs::create_dir_all(&staging)?;
            old_manifest = fs::read_to_string(out.join(MANIFEST)).unwrap_or_default();
        }
        Ok(Writer {
            out: out.to_path_buf(),
            staging,
            enabled,
            created_out,
            previous: parse_manifest(&old_manifest),
            old_manifest,
            next: AtomicUsize::new(0),
            unchanged: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
            staged: Mutex::new(Vec::new()),
            produced: Mutex::new(Vec::new()),
        })
    }

    fn record(&self, rel: &str, key: Option<u64>, stamp: Option<Stamp>) {
        self.produced.lock().expect("no panics while holding").push(Produced { rel: rel.to_string(), key, stamp });
    }

    /// True when the last build made `rel` from inputs with this `key` and the
    /// file is still the one it wrote: it is kept as is, without rendering it.
    pub fn reuse(&self, rel: &str, key: u64) -> bool {
        if !self.enabled {
            return false;
        }
        let Some(prev) = self.previous.get(rel).filter(|p| p.key == Some(key)) else { return false };
        match fs::metadata(self.out.join(rel)) {
            Ok(m) if m.is_file() && stamp(&m) == prev.stamp => {
                self.record(rel, Some(key), Some(prev.stamp));
                self.unchanged.fetch_add(1, Ordering::Relaxed);
                self.reused.fetch_add(1, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Keeps `rel` as the last build wrote it, recorded with a new `key`,
    /// without looking at the file: for a caller that knows its inputs did not
    /// change (`builder::Builder`, which owns the output between builds).
    /// False when the manifest does not list it (then it must be made again).
    pub fn keep(&self, rel: &str, key: u64) -> bool {
        if !self.enabled {
            return false;
        }
        let Some(prev) = self.previous.get(rel) else { return false };
        self.record(rel, Some(key), Some(prev.stamp));
        self.unchanged.fetch_add(1, Ordering::Relaxed);
        self.reused.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Records that `rel` is part of the site with these bytes; stages them if they changed.
    /// Safe to call from many threads.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        self.put_keyed(rel, bytes, None)
    }

    pub fn put_keyed(&self, rel: &str, bytes: &[u8], key: Option<u64>) -> io::Result<()> {
        if !self.enabled {
            self.record(rel, key, None);
            return Ok(());
        }
        let target = self.out.join(rel);
        if let Ok(m) = fs::metadata(&target)
            && m.is_file()
            && m.len() == bytes.len() as u64
            && fs::read(&target).is_ok_and(|old| old == bytes)
        {
            self.record(rel, key, Some(stamp(&m)));
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let tmp = self.staging.join(self.next.fetch_add(1, Ordering::Relaxed).to_string());
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        // The rename keeps the time: read it now from the open file rather than stat it later.
        let st = f.metadata().map(|m| stamp(&m)).ok();
        drop(f);
        self.record(rel, key, st);
        self.staged.lock().expect("no panics while holding").push((rel.to_string(), tmp));
        Ok(())
    }

    /// A build error was found: the output stays exactly as it was.
    pub fn discard(self) {
        if self.enabled {
            let _ = fs::remove_dir_all(&self.staging);
            if self.created_out {
                let _ = fs::remove_dir(&self.out);
            }
        }
    }

    /// Moves every staged file into place, removes stale files, records the manifest.
    pub fn commit(self) -> io::Result<WriteStats> {
        let mut produced = self.produced.into_inner().expect("not poisoned");
        produced.sort_by(|a, b| a.rel.cmp(&b.rel));
        produced.dedup_by(|a, b| a.rel == b.rel);
        let staged = self.staged.into_inner().expect("not poisoned");
        let mut stats =
            WriteStats { files: produced.len(), written: staged.len(), unchanged: self.unchanged.into_inner(), reused: self.reused.into_inner(), removed: 0 };
        if !self.enabled {
            return Ok(stats);
        }
        // Folders first (once each), then the renames, in parallel: on a busy
        // disk each is a wait for the file system, not work for the CPU.
        let dirs: BTreeSet<PathBuf> = staged.iter().filter_map(|(rel, _)| self.out.join(rel).parent().map(Path::to_path_buf)).collect();
        dirs.par_iter().try_for_each(fs::create_dir_all)?;
        staged.par_iter().try_for_each(|(rel, tmp)| fs::rename(tmp, self.out.join(rel)))?;
        let names: HashSet<&str> = produced.iter().map(|p| p.rel.as_str()).collect();
        let mut emptied: BTreeSet<PathBuf> = BTreeSet::new();
        for rel in self.previous.keys().filter(|r| !names.contains(r.as_str())) {
            // Only plain relative paths: a hand-edited manifest must not reach outside.
            if rel.split('/').any(|s| s == ".." || s.is_empty()) || rel.starts_with('/') {
                continue;
            }
            let path = self.out.join(rel);
            match fs::remove_file(&path) {
                Ok(()) => {
                    stats.removed += 1;
                    let mut p = path.parent();
                    while let Some(d) = p {
                        if d == self.out {
                            break;
                        }
                        emptied.insert(d.to_path_buf());
                        p = d.parent();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        // Deepest first, so a folder emptied by removing its children goes too.
        for d in emptied.iter().rev() {
            let _ = fs::remove_dir(d);
        }
        let mut list = String::with_capacity(produced.len() * 64);
        for p in &produced {
            let st = match p.stamp {
                Some(s) => s,
                None => fs::metadata(self.out.join(&p.rel)).map(|m| stamp(&m)).unwrap_or((u64::MAX, 0)),
            };
            let key = p.key.map_or_else(|| "-".to_string(), |k| format!("{k:016x}"));
            list.push_str(&format!("{}\t{key}\t{}\t{}\n", p.rel, st.0, st.1));
        }
        if list != self.old_manifest {
            let tmp = self.staging.join("manifest");
            fs::write(&tmp, &list)?;
            fs::rename(&tmp, self.out.join(MANIFEST))?;
        }
        fs::remove_dir_all(&self.staging)?;
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder, removed when the test ends.
    struct Tmp(PathBuf);

    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    impl std::ops::Deref for Tmp {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    fn tmp(name: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("ccg-write-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }

    #[test]
    fn writes_only_changes_and_removes_stale_files() {
        let out = tmp("a");
        let w = Writer::new(&out, true).unwrap();
        w.put("index.html", b"home").unwrap();
        w.put("a/b/index.html", b"b").unwrap();
        let s = w.commit().unwrap();
        assert_eq!((s.files, s.written, s.unchanged, s.removed), (2, 2, 0, 0));
        assert_eq!(fs::read(out.join("a/b/index.html")).unwrap(), b"b");

        let w = Writer::new(&out, true).unwrap();
        w.put("index.html", b"home").unwrap();
        w.put("c.txt", b"c").unwrap();
        let s = w.commit().unwrap();
        assert_eq!((s.files, s.written, s.unchanged, s.removed), (2, 1, 1, 1));
        assert!(!out.join("a").exists(), "emptied folders go too");
        assert!(!out.join(STAGING).exists());
        let manifest = fs::read_to_string(out.join(MANIFEST)).unwrap();
        let names: Vec<_> = manifest.lines().map(|l| l.split('\t').next().unwrap()).collect();
        assert_eq!(names, ["c.txt", "index.html"]);
    }

    #[test]
    fn discard_leaves_the_output_alone() {
        let out = tmp("b");
        let w = Writer::new(&out, true).unwrap();
        w.put("index.html", b"v1").unwrap();
        w.commit().unwrap();
        let w = Writer::new(&out, true).unwrap();
        w.put("index.html", b"v2").unwrap();
        w.put("new.html", b"n").unwrap();
        w.discard();
        assert_eq!(fs::read(out.join("index.html")).unwrap(), b"v1");
        assert!(!out.join("new.html").exists());
        assert!(!out.join(STAGING).exists());
    }

    #[test]
    fn reuse_needs_the_same_key_and_an_untouched_file() {
        let out = tmp("d");
        let w = Writer::new(&out, true).unwrap();
        w.put_keyed("a.html", b"a", Some(7)).unwrap();
        w.put_keyed("b.html", b"b", Some(8)).unwrap();
        w.commit().unwrap();
        let w = Writer::new(&out, true).unwrap();
        assert!(w.reuse("a.html", 7));
        assert!(!w.reuse("b.html", 9), "other inputs");
        w.put_keyed("b.html", b"b2", Some(9)).unwrap();
        let s = w.commit().unwrap();
        assert_eq!((s.files, s.written, s.reused), (2, 1, 1));
        // Someone edited the output by hand: not reused.
        std::thread::sleep(std::time::Duration::from_millis(10));
        fs::write(out.join("a.html"), b"edited").unwrap();
        let w = Writer::new(&out, true).unwrap();
        assert!(!w.reuse("a.html", 7));
        assert!(w.reuse("b.html", 9));
        w.put_keyed("a.html", b"a", Some(7)).unwrap();
        w.commit().unwrap();
        assert_eq!(fs::read(out.join("a.html")).unwrap(), b"a");
    }

    #[test]
    fn files_not_made_by_us_are_kept() {
        let out = tmp("c");
        fs::write(out.join("keep.txt"), "mine").unwrap();
        let w = Writer::new(&out, true).unwrap();
        w.put("index.html", b"x").unwrap();
        w.commit().unwrap();
        assert!(out.join("keep.txt").exists());
    }
}
