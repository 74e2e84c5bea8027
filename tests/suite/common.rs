//! Helpers shared by the integration tests: run the real binary, copy
//! fixtures, read what a build wrote.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The path of a fixture folder under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs `kura` with `args` in `dir`, with a fixed SOURCE_DATE_EPOCH
/// unless `env` sets another, and `env` set.
pub fn kura_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    // Each run remembers log checkpoints in a state folder of its own
    // (tests that test remembering give --state).
    let state = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kura"));
    cmd.args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("XDG_STATE_HOME", state.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the kura binary runs")
}

/// Runs `kura` with `args` in `dir`, with a fixed SOURCE_DATE_EPOCH.
pub fn kura_in(dir: &Path, args: &[&str]) -> Output {
    kura_with(dir, args, &[])
}

pub fn kura(args: &[&str]) -> Output {
    kura_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Copies a folder tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Writes `kura sample --stations N` into `<tmp>/in` and returns its path.
pub fn sample_input(tmp: &Path, stations: &str) -> PathBuf {
    let input = tmp.join("in");
    let out = kura(&[
        "sample",
        "-o",
        input.to_str().unwrap(),
        "--stations",
        stations,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    input
}

/// A temporary copy of a fixture, to change.
pub fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    copy_tree(&fixture(name), &dir);
    (tmp, dir)
}

/// Every file under `root` with its bytes, keyed by relative path.
pub fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    out
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The real election in data/, built once per run of the tests (at 30,000
/// stations, the slowest build they make) into the target folder's
/// scratch space; tests only read it.
pub fn real_site() -> &'static Path {
    static SITE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    SITE.get_or_init(|| {
        // One folder per test process (a runner may start one per test);
        // those of processes that have ended are cleared.
        let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
        for e in std::fs::read_dir(scratch).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("real-site-")
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let tmp = scratch.join(format!("real-site-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        build(&data, &tmp)
    })
}

/// A copy of the awkward fixture at `<tmp>/<name>` built in English and
/// Kiswahili; returns the input folder.
pub fn awkward_in_two_languages(tmp: &Path, name: &str) -> PathBuf {
    let input = tmp.join(name);
    copy_tree(&fixture("awkward"), &input);
    let toml = read(&input.join("election.toml"))
        .replace("[site]", "[site]\nlanguages = [\"en\", \"sw\"]");
    std::fs::write(input.join("election.toml"), toml).unwrap();
    input
}

/// Builds `input` into `<tmp>/site` and returns the site's path.
pub fn build(input: &Path, tmp: &Path) -> PathBuf {
    let site = tmp.join("site");
    let out = kura(&[
        "build",
        input.to_str().unwrap(),
        "-o",
        site.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "build failed: {}", stderr(&out));
    site
}

/// Every value of `attr="…"` in an HTML text.
pub fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        let end = after.find('"').unwrap_or(after.len());
        out.push(&after[..end]);
        rest = &after[end..];
    }
    out
}

/// Checks every href and src of every HTML page under `site`: relative,
/// pointing at a file that exists, and at an id that exists for `#anchors`.
/// Returns the problems found.
pub fn broken_links(site: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let pages: Vec<PathBuf> = walkdir::WalkDir::new(site)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.into_path())
        .collect();
    let mut ids: BTreeMap<PathBuf, String> = BTreeMap::new();
    for page in &pages {
        let html = read(page);
        for (attr, url) in attr_values(&html, "href")
            .into_iter()
            .map(|u| ("href", u))
            .chain(attr_values(&html, "src").into_iter().map(|u| ("src", u)))
            .chain(attr_values(&html, "data").into_iter().map(|u| ("data", u)))
        {
            let url = url.replace("&amp;", "&");
            if url.starts_with("https://")
                || url.starts_with("http://")
                || url.starts_with("mailto:")
            {
                if attr != "href" {
                    problems.push(format!("{}: loads {url} from another host", page.display()));
                }
                continue;
            }
            if url.starts_with('/') {
                problems.push(format!("{}: absolute link {url}", page.display()));
                continue;
            }
            let (path, anchor) = match url.split_once('#') {
                Some((p, a)) => (p.to_string(), Some(a.to_string())),
                None => (url.clone(), None),
            };
            let target = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(&path)
            };
            let Ok(target) = target.canonicalize() else {
                problems.push(format!("{}: broken link {url}", page.display()));
                continue;
            };
            if let Some(anchor) = anchor.filter(|a| !a.is_empty()) {
                let text = ids.entry(target.clone()).or_insert_with(|| read(&target));
                if !text.contains(&format!("id=\"{anchor}\"")) {
                    problems.push(format!("{}: broken anchor {url}", page.display()));
                }
            }
        }
    }
    problems
}

/// How the test web server behaves.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Every file as it is.
    Normal,
    /// The file at this path trickles out: `chunk` bytes, then a pause.
    Slow {
        path: String,
        chunk: usize,
        pause: std::time::Duration,
    },
    /// Every body trickles out (to interrupt a run part-way).
    AllSlow(std::time::Duration),
    /// `503 Service Unavailable` for everything.
    Down,
}

struct ServerState {
    root: PathBuf,
    mode: Mode,
    log: Vec<String>,
}

/// A real HTTP/1.1 server on 127.0.0.1 serving a folder, that logs every
/// request's path: for `kura verify`, `kura mirror` and `kura diff` of URLs.
pub struct Server {
    pub url: String,
    state: std::sync::Arc<std::sync::Mutex<ServerState>>,
}

impl Server {
    pub fn start(root: &Path) -> Server {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = std::sync::Arc::new(std::sync::Mutex::new(ServerState {
            root: root.to_path_buf(),
            mode: Mode::Normal,
            log: Vec::new(),
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let state = shared.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    // A request line cut short (a client killed while
                    // sending it) is no request: it is not logged.
                    if reader.read_line(&mut line).is_err() || !line.ends_with("\r\n") {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    let path = line
                        .split(' ')
                        .nth(1)
                        .unwrap_or("/")
                        .trim_start_matches('/')
                        .to_string();
                    let (root, mode) = {
                        let mut s = state.lock().unwrap();
                        s.log.push(path.clone());
                        (s.root.clone(), s.mode.clone())
                    };
                    if mode == Mode::Down {
                        let _ = stream.write_all(
                            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                        return;
                    }
                    let body = match std::fs::read(root.join(&path)) {
                        Ok(body) if !path.contains("..") => body,
                        _ => {
                            let _ = stream.write_all(
                                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                            );
                            return;
                        }
                    };
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    if stream.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                    let (chunk, pause) = match &mode {
                        Mode::Slow {
                            path: p,
                            chunk,
                            pause,
                        } if *p == path => (*chunk, *pause),
                        Mode::AllSlow(pause) => (1024, *pause),
                        _ => (body.len().max(1), std::time::Duration::ZERO),
                    };
                    for piece in body.chunks(chunk) {
                        if stream
                            .write_all(piece)
                            .and_then(|_| stream.flush())
                            .is_err()
                        {
                            return;
                        }
                        if !pause.is_zero() {
                            std::thread::sleep(pause);
                        }
                    }
                });
            }
        });
        Server {
            url: format!("http://{addr}/"),
            state,
        }
    }

    /// Serves another folder from now on.
    pub fn set_root(&self, root: &Path) {
        self.state.lock().unwrap().root = root.to_path_buf();
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    /// The paths requested since the last call, in the order they came.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut self.state.lock().unwrap().log)
    }
}

/// The paths and hashes a site's SHA256SUMS lists.
pub fn sums_of(site: &Path) -> BTreeMap<String, String> {
    read(&site.join("SHA256SUMS"))
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(sha, path)| (path.to_string(), sha.to_string()))
        .collect()
}

/// The SHA-256 of a site's SHA256SUMS: its version id.
pub fn version_id(site: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(site.join("SHA256SUMS")).unwrap();
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// v1 from the awkward fixture; v2 with one form's votes changed, one scan
/// replaced, one form added; both built with --previous.
pub fn two_versions_signed(tmp: &Path, key: Option<&Path>) -> (PathBuf, PathBuf, PathBuf) {
    let input = tmp.join("in");
    copy_tree(&fixture("awkward"), &input);
    let v1 = tmp.join("v1");
    let v2 = tmp.join("v2");
    let build_to = |out: &Path, previous: Option<&Path>, epoch: &str| {
        let mut args = vec![
            "build",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        if let Some(p) = previous {
            args.extend(["--previous", p.to_str().unwrap()]);
        }
        if let Some(k) = key {
            args.extend(["--sign", k.to_str().unwrap()]);
        }
        let o = kura_with(tmp, &args, &[("SOURCE_DATE_EPOCH", epoch)]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    build_to(&v1, None, "1700000000");
    let results = read(&input.join("results.csv")).replace("100,F-S1-pres,a", "110,F-S1-pres,a")
        + "30,F-S4-pres,a\r\n20,F-S4-pres,b\r\n";
    std::fs::write(input.join("results.csv"), results).unwrap();
    let forms = read(&input.join("forms.csv")).replace(",s1-pres.png,", ",s1-rescan.png,");
    let forms = forms
        .lines()
        .map(|l| {
            if l.contains("F-S1-pres") {
                l.replace(&l.split(',').nth(5).unwrap().to_string(), "")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n,F-S4-pres,S4,pres,,,,,,\r\n";
    std::fs::write(input.join("forms.csv"), forms).unwrap();
    std::fs::write(
        input.join("scans/s1-rescan.png"),
        b"\x89PNG\r\n\x1a\n a clearer rescan",
    )
    .unwrap();
    build_to(&v2, Some(&v1), "1700003600");
    (input, v1, v2)
}

/// [`two_versions_signed`] without a signature.
pub fn two_versions(tmp: &Path) -> (PathBuf, PathBuf, PathBuf) {
    two_versions_signed(tmp, None)
}

/// Writes a key pair `<dir>/key.key`, `<dir>/key.pub`.
pub fn keygen(dir: &Path) -> (PathBuf, PathBuf) {
    let out = kura(&["keygen", "-o", dir.join("key").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    (dir.join("key.key"), dir.join("key.pub"))
}

/// The arguments of `kura build INPUT -o SITE EXTRA...`.
pub fn build_args<'a>(input: &'a Path, site: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "build",
        input.to_str().unwrap(),
        "-o",
        site.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

/// Builds `input` into `site` published `epoch` seconds after the tests'
/// usual time (`SOURCE_DATE_EPOCH` 1,700,000,000: each build at its own
/// time finds nothing unchanged), with `extra` arguments, in the folder
/// holding `site`.
pub fn build_at_time(input: &Path, site: &Path, epoch: u64, extra: &[&str]) -> Output {
    let args = build_args(input, site, extra);
    let epoch = (1_700_000_000 + epoch).to_string();
    kura_with(
        site.parent().unwrap(),
        &args,
        &[("SOURCE_DATE_EPOCH", &epoch)],
    )
}

/// [`build_at_time`], asserting it succeeded; returns what it printed on
/// stderr.
pub fn build_at(input: &Path, site: &Path, epoch: u64, extra: &[&str]) -> String {
    let out = build_at_time(input, site, epoch, extra);
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}
