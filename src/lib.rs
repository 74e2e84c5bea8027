//! kura: turns verified scans of polling-station tally forms and their
//! tallies into a static results website with open data and published hashes.
//!
//! The build is a pipeline of stages, each a module, data flowing one way:
//! [`load`] → [`check`] → [`tally`] → [`site`] (render) → [`publish`].

pub mod check;
pub mod diff;
pub mod error;
pub mod fetch;
pub mod fsx;
pub mod load;
pub mod mirror;
pub mod model;
pub mod opendata;
pub mod publish;
pub mod sample;
pub mod serve;
pub mod site;
pub mod tally;
pub mod term;
pub mod transparency;
pub mod verify;

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

pub use error::{Error, Problem, Result};

/// What `kura build` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub input: PathBuf,
    pub output: PathBuf,
    /// A previously published site this version follows.
    pub previous: Option<PathBuf>,
    /// Fail on findings of severity error.
    pub strict: bool,
    /// Sign SHA256SUMS with this minisign secret key.
    pub sign: Option<PathBuf>,
    /// `SOURCE_DATE_EPOCH`, when set.
    pub source_date_epoch: Option<String>,
    /// A progress bar to drive (on a terminal); none means silence.
    pub progress: Option<indicatif::ProgressBar>,
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The SHA-256 of `SHA256SUMS`.
    pub version_id: String,
    pub files: usize,
    pub findings: Vec<(String, usize)>,
    pub timings: Vec<(&'static str, Duration)>,
    /// Pages rendered, and pages whose fingerprint was unchanged (not rendered).
    pub pages: (usize, usize),
    /// Files written, and files already in place or hard-linked (not written).
    pub written: (usize, usize),
    /// What the user should know although the build succeeded.
    pub warnings: Vec<String>,
}

/// A loaded, checked and tallied election: everything but the output.
pub struct Checked {
    pub election: model::Election,
    pub tally: tally::Tally,
    pub findings: Vec<check::Finding>,
}

/// The first three stages: load, tally, check. Pure apart from reading the input.
pub fn prepare(
    input: &Path,
    options: &load::Options<'_>,
    timings: &mut Vec<(&'static str, Duration)>,
) -> Result<Checked> {
    let t = Instant::now();
    let election = load::read(input).map_err(Error::Input)?;
    timings.push(("load", t.elapsed()));
    prepare_loaded(input, election, options, timings)
}

/// [`prepare`] after the tables are read: hash the scans, tally, check.
fn prepare_loaded(
    input: &Path,
    mut election: model::Election,
    options: &load::Options<'_>,
    timings: &mut Vec<(&'static str, Duration)>,
) -> Result<Checked> {
    let t = Instant::now();
    load::hash_scans(input, &mut election, options).map_err(Error::Input)?;
    timings.push(("hash", t.elapsed()));
    let t = Instant::now();
    let tally =
        tally::tally(&election, &input.join("forms.csv")).map_err(|p| Error::Input(vec![p]))?;
    timings.push(("tally", t.elapsed()));
    let t = Instant::now();
    let findings = check::findings(&election, &tally);
    timings.push(("check", t.elapsed()));
    Ok(Checked {
        election,
        tally,
        findings,
    })
}

/// `kura build`: load → check → tally → render → publish.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let mut opts = opts.clone();
    opts.output = publish::resolve_destination(&opts.output)?;
    publish::check_destination(&opts.output)?;
    // Old sites moved aside by earlier builds are deleted meanwhile.
    let cleaner = publish::clear_aside(&opts.output);
    let result = build_site(&opts);
    let _ = cleaner.join();
    result
}

/// Checks the site given as `--previous` before anything is read from it:
/// every file against its `SHA256SUMS`, nothing unlisted in it, and, when
/// this build signs and the previous version was signed with the same key,
/// its signature. A tampered copy of an earlier version would otherwise
/// make this version's signed changelog state changes that never happened,
/// or carry planted scans into it.
/// One side of `kura diff`, verified and read.
struct Side {
    snapshot: diff::Snapshot,
    /// The local copy of a web site, removed when the diff is done.
    _fetched: Option<tempfile::TempDir>,
}

/// Verifies the copy at `site` (a folder or an http(s) URL) and reads it
/// for a diff. A web copy is fetched with [`mirror::mirror`] into a
/// temporary folder, so every byte is checked as it arrives.
fn diff_side(site: &str, key: Option<&Path>, idle: Duration) -> Result<Side> {
    let shown = term::clean(site).into_owned();
    if fetch::is_url(site) {
        let tmp =
            tempfile::tempdir().map_err(|e| Error::Other(format!("temporary folder: {e}")))?;
        let dir = tmp.path().join("site");
        mirror::mirror(
            site,
            &dir,
            &mirror::Options {
                key,
                idle,
                keep: Vec::new(),
                progress: None,
                state: None,
            },
        )
        .map_err(|e| match e {
            Error::Unreachable(m) => Error::Unreachable(m),
            other => Error::Other(format!("{shown}: {other}")),
        })?;
        let snapshot = diff::Snapshot::read(&dir).map_err(Error::Other)?;
        return Ok(Side {
            snapshot,
            _fetched: Some(tmp),
        });
    }
    let report = verify::verify(
        site,
        &verify::Options {
            key,
            idle: Some(idle),
            ..Default::default()
        },
    )?;
    if !report.intact() {
        let troubles = first_troubles(&report);
        return Err(Error::Other(format!(
            "{shown} does not verify{}: {}; a diff of it would not be of a published version",
            if key.is_some() {
                " against its SHA256SUMS and signature"
            } else {
                " against its own SHA256SUMS"
            },
            troubles.join("; ")
        )));
    }
    let path = Path::new(site)
        .canonicalize()
        .map_err(|e| Error::io(Path::new(site), e))?;
    Ok(Side {
        snapshot: diff::Snapshot::read(&path).map_err(Error::Other)?,
        _fetched: None,
    })
}

/// `kura diff OLD NEW`: verifies both copies (against their signatures
/// when `key` is given), then compares them. Returns the changes and
/// warnings, such as NEW not following OLD.
pub fn diff_versions(
    old: &str,
    new: &str,
    key: Option<&Path>,
    idle: Duration,
) -> Result<(diff::Changes, Vec<String>)> {
    let a = diff_side(old, key, idle)?;
    let b = diff_side(new, key, idle)?;
    let mut warnings = Vec::new();
    if key.is_none() {
        warnings.push(
            "no --key given: each copy matches its own SHA256SUMS, but nothing says who \
             published either"
                .to_string(),
        );
    }
    if let (Some(o), Some(n)) = (&a.snapshot.version, &b.snapshot.version)
        && o != n
        && !b.snapshot.chain.contains(o)
    {
        warnings.push(format!(
            "NEW (version {n}) does not follow OLD (version {o}): its versions.json does not \
             list OLD, so OLD is newer, or the two are forks of one history"
        ));
    }
    Ok((diff::diff(&a.snapshot, &b.snapshot), warnings))
}

/// Checks `--previous` against its own `SHA256SUMS`, and its signature
/// when it claims the signing key; returns a warning when a key is given
/// and the previous version is not signed by it (so only its consistency
/// with itself was checked).
fn verify_previous(dir: &Path, key: Option<&publish::sign::SecretKey>) -> Result<Option<String>> {
    let shown = error::shown(dir);
    if fetch::is_url(&dir.to_string_lossy()) {
        return Err(Error::Other(format!(
            "--previous {shown}: give the previous version's folder (make one with `kura mirror URL DIR --key PUB`)"
        )));
    }
    if !dir.join(publish::SUMS).is_file() {
        return Err(Error::Other(format!(
            "--previous {shown}: no SHA256SUMS: not a published kura site"
        )));
    }
    let public = key.map(publish::sign::SecretKey::public);
    let same_key = public.as_ref().filter(|pk| {
        fsx::read_limited(&dir.join(publish::SUMS_SIG), verify::MAX_SIG)
            .is_ok_and(|sig| publish::sign::claims_key(&String::from_utf8_lossy(&sig), pk))
    });
    // The folder by its absolute path: `http:/host/` names a folder here,
    // and must not be checked as a URL and then read as a folder.
    let real = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    let report = verify::verify(
        &real.to_string_lossy(),
        &verify::Options {
            public: same_key,
            ..Default::default()
        },
    )?;
    if report.intact() {
        return Ok((public.is_some() && same_key.is_none()).then(|| {
            format!(
                "--previous {shown} is not signed by this key: it was checked against its own \
                 SHA256SUMS only, which anyone can rewrite; fetch it with `kura mirror --key`"
            )
        }));
    }
    let troubles = first_troubles(&report);
    Err(Error::Other(format!(
        "--previous {shown} does not verify against its own SHA256SUMS{}: {}; \
         give an intact copy of the previous version",
        if same_key.is_some() {
            " and signature"
        } else {
            ""
        },
        troubles.join("; ")
    )))
}

fn build_site(opts: &BuildOptions) -> Result<BuildReport> {
    let mut timings = Vec::new();
    let published = publish::manifest::publication_time(opts.source_date_epoch.as_deref())?;
    let key = opts
        .sign
        .as_deref()
        .map(publish::sign::read_secret)
        .transpose()?;
    let mut warnings = Vec::new();
    let previous = match &opts.previous {
        Some(p) => {
            warnings.extend(verify_previous(p, key.as_ref())?);
            Some(publish::manifest::read_previous(p)?)
        }
        None => None,
    };
    // The previous version's log (verified with it), which this version's
    // log extends: it must list the versions its versions.json lists.
    let previous_log = match (&opts.previous, &previous) {
        (Some(dir), Some(prev)) => {
            let shown = error::shown(dir);
            let log = transparency::read_folder(dir)
                .map_err(|t| Error::Other(format!("--previous {shown}: {t}")))?;
            let logged = log.entries.iter().map(|e| e.version.as_str());
            if !logged.eq(prev.chain.versions.iter().map(|v| v.id.as_str())) {
                return Err(Error::Other(format!(
                    "--previous {shown}: its log and its versions.json list different versions"
                )));
            }
            Some(log)
        }
        _ => None,
    };
    // The cache is read while the tables are.
    let dest = opts.output.clone();
    let cache_reader = std::thread::spawn(move || publish::cache::read(&dest));
    let t = Instant::now();
    let loaded = load::read(&opts.input).map_err(Error::Input);
    timings.push(("load", t.elapsed()));
    let t = Instant::now();
    let mut cache = cache_reader.join().unwrap_or_default();
    timings.push(("read cache", t.elapsed()));
    let Checked {
        election: el,
        tally,
        findings,
    } = prepare_loaded(
        &opts.input,
        loaded?,
        &load::Options {
            hash_cache: Some(&cache.scans),
        },
        &mut timings,
    )?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == check::Severity::Error)
        .count();
    if opts.strict && errors > 0 {
        return Err(Error::Strict(errors));
    }

    let t = Instant::now();
    let mut target = publish::target(&opts.output, &mut cache)?;
    let reuse = publish::Reuse::new(&opts.output, &mut cache, &mut target);
    let mut out = publish::Output::new(&target, reuse);
    timings.push(("prepare output", t.elapsed()));

    let t = Instant::now();
    let order = opendata::form_order(&el);
    out.stream("data/areas.csv", |w| opendata::areas(&el, w))?;
    out.stream("data/forms.csv", |w| opendata::forms(&el, &order, w))?;
    out.stream("data/results.csv", |w| opendata::results(&el, &order, w))?;
    out.stream("data/races.csv", |w| opendata::races(&el, w))?;
    out.stream("data/candidates.csv", |w| opendata::candidates(&el, w))?;
    out.stream("data/findings.csv", |w| {
        opendata::findings(&el, &findings, w)
    })?;
    {
        // totals.csv and summary.csv come from one walk of the tree.
        let mut totals = out.create("data/totals.csv")?;
        let mut summary = out.create("data/summary.csv")?;
        opendata::totals_and_summary(&el, &tally, &mut totals, &mut summary)
            .map_err(|e| publish::csv_error(totals.path(), e))?;
        out.finish(totals)?;
        out.finish(summary)?;
    }
    timings.push(("open data", t.elapsed()));

    let published_secs = published;
    let published = publish::manifest::rfc3339(published);
    let chain = previous
        .as_ref()
        .map(|p| p.chain.clone())
        .unwrap_or_default();
    let seq = chain.versions.len() + 1;
    let mut history = Vec::new();
    if let (Some(dir), Some(prev)) = (&opts.previous, &previous) {
        let t = Instant::now();
        history = publish::history::carry_changes(dir, &out)?;
        let old = diff::Snapshot::read(dir).map_err(Error::Other)?;
        let mut new = diff::Snapshot::read(out.root()).map_err(Error::Other)?;
        new.published = Some(published.clone());
        let doc = publish::history::VersionChanges {
            seq,
            published: published.clone(),
            previous: Some(prev.id.clone()),
            changes: diff::diff(&old, &new),
        };
        out.write(
            &publish::history::changes_path(seq),
            &publish::manifest::to_json(&doc),
        )?;
        history.push(doc);
        timings.push(("diff", t.elapsed()));
    }

    let t = Instant::now();
    let versions = site::Versions {
        chain: &chain.versions,
        history: &history,
        seq,
        published: &published,
    };
    let bar = opts
        .progress
        .clone()
        .unwrap_or_else(indicatif::ProgressBar::hidden);
    for (i, lang) in el.meta.languages.iter().enumerate() {
        let site = site::Site::new(&el, &tally, &findings, lang, versions).map_err(Error::Other)?;
        if i == 0 {
            for asset in site.assets() {
                out.write(&asset.path, &asset.bytes)?;
            }
        }
        let jobs = site.jobs();
        bar.set_message(format!("pages {lang}"));
        bar.set_position(0);
        bar.set_length(jobs.len() as u64);
        let global = site::fingerprint::global(&site);
        jobs.par_iter().try_for_each(|&job| -> Result<()> {
            let render = || {
                site.render(job)
                    .map_err(|e| Error::Other(format!("rendering {job:?}: {e}")))
            };
            bar.inc(1);
            match site::fingerprint::page(&site, job, &global) {
                Some((path, fingerprint)) => {
                    out.page(&path, fingerprint, || render().map(|(_, b)| b))
                }
                None => {
                    let (path, bytes) = render()?;
                    out.write(&path, &bytes)
                }
            }
        })?;
    }
    for (path, bytes) in site::search::index(&el) {
        out.write(&path, &bytes)?;
    }
    let pages: Vec<String> = out
        .files()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.ends_with(".html") && p != "404.html")
        .collect();
    for (path, bytes) in site::sitemap::files(&el.meta, &pages) {
        out.write(&path, &bytes)?;
    }
    timings.push(("render", t.elapsed()));

    let t = Instant::now();
    let mut scans: Vec<&model::Scan> = el.forms.iter().filter_map(|f| f.scan.as_ref()).collect();
    scans.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    scans.dedup_by(|a, b| a.sha256 == b.sha256);
    bar.set_message("scans");
    bar.set_position(0);
    bar.set_length(scans.len() as u64);
    scans.par_iter().try_for_each(|s| {
        bar.inc(1);
        out.copy_scan(&s.site_path(), &s.source, &s.sha256)
    })?;
    bar.finish_and_clear();
    if let Some(dir) = &opts.previous {
        let have = scans.iter().map(|s| s.site_path()).collect();
        publish::history::carry_scans(dir, &out, &have)?;
    }
    timings.push(("write scans", t.elapsed()));

    let manifest = publish::manifest::Manifest {
        generator: publish::manifest::Generator {
            name: "kura".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        title: el.meta.title.clone(),
        election_date: el.meta.date.clone(),
        published: published.clone(),
        previous: previous.as_ref().map(|p| p.id.clone()),
        counts: publish::manifest::Counts {
            areas: el.areas.len() as u64,
            stations: el.areas.iter().filter(|a| a.is_station()).count() as u64,
            races: el.races.len() as u64,
            candidates: el.candidates.len() as u64,
            forms: el.forms.len() as u64,
            scans: scans.len() as u64,
            findings: findings.len() as u64,
            pages: el.pages.len() as u64,
        },
    };
    out.write("manifest.json", &publish::manifest::to_json(&manifest))?;
    out.write("versions.json", &publish::manifest::to_json(&chain))?;

    let t = Instant::now();
    let sums = out.seal(|sums| {
        key.as_ref().map(|key| {
            let comment = format!(
                "kura version {} published {}",
                publish::version_id(sums),
                manifest.published
            );
            publish::sign::sign(key, sums.as_bytes(), &comment).into_bytes()
        })
    })?;
    let version_id = publish::version_id(&sums);
    let files = out.take_entries();
    timings.push(("seal", t.elapsed()));

    // The log: the previous version's entries and one for this version,
    // under the previous log's origin (so it only ever grows).
    let t = Instant::now();
    let (origin, mut entries) = match previous_log {
        Some(log) => (log.checkpoint.origin, log.entries),
        None => (publish::tlog::origin_for(&el.meta), Vec::new()),
    };
    entries.push(publish::tlog::Entry {
        origin: origin.clone(),
        seq: entries.len() as u64 + 1,
        version: version_id.clone(),
        published: manifest.published.clone(),
        previous: manifest.previous.clone(),
    });
    out.write_log(&transparency::log_files(
        &origin,
        &entries,
        key.as_ref(),
        u64::try_from(published_secs).unwrap_or(0),
    ))?;
    timings.push(("log", t.elapsed()));

    let t = Instant::now();
    let replaced = out.take_live();
    let kept_spare = publish::publish(target, &opts.output)?;
    timings.push(("swap", t.elapsed()));

    // The cache only speeds up the next build; failing to write it is no failure.
    let t = Instant::now();
    let scans = el.forms.iter().filter_map(|f| f.scan.as_ref());
    let live_dirs = publish::folder_times(&opts.output, files.iter().map(|(p, _)| p.as_str()));
    let (spare, spare_dirs) = if kept_spare {
        (replaced, std::mem::take(&mut cache.live_dirs))
    } else {
        Default::default()
    };
    let _ = publish::cache::write(
        &opts.output,
        publish::cache::Contents {
            scans: &mut scans.map(|s| (s.source.as_path(), s.stamp, s.sha256.as_str())),
            live: &files,
            live_sums: &version_id,
            live_dirs: &live_dirs,
            spare: &spare,
            spare_dirs: &spare_dirs,
            fingerprints: &out.fingerprints(),
        },
    );
    timings.push(("write cache", t.elapsed()));
    let file_count = files.len() + 1;
    let (pages, written) = out.counts();
    let finding_counts = check::counts(&findings)
        .into_iter()
        .map(|(c, n)| (c.id.to_string(), n))
        .collect();
    // Freeing hundreds of thousands of small allocations takes a while and
    // nothing waits for it.
    std::thread::spawn(move || drop((el, tally, findings, out, cache, files, spare)));
    Ok(BuildReport {
        version_id,
        files: file_count,
        findings: finding_counts,
        timings,
        pages,
        written,
        warnings,
    })
}

/// The first five troubles of a verification, and how many more there are.
fn first_troubles(report: &verify::Report) -> Vec<String> {
    let mut troubles: Vec<String> = report
        .troubles
        .iter()
        .take(5)
        .map(|t| t.to_string())
        .collect();
    if report.troubles.len() > 5 {
        troubles.push(format!("and {} more", report.troubles.len() - 5));
    }
    troubles
}
