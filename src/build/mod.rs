//! `kura build`: the pipeline's stages in order, each a method of
//! [`Build`] timed by one helper. Data flows one way, from the input
//! folder (load → hash → tally → check) to the output (open data →
//! changes → render → scans → seal → log → swap), each stage taking what
//! the ones before it produced.

mod history;
mod unchanged;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::error::{self, Error, Result};
use crate::publish::{self, Output, cache::Cache, manifest, sign::SecretKey, tlog};
use crate::{check, diff, fetch, fsx, load, model, opendata, paths, site, sums, tally};
use crate::{transparency, verify};

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
    /// Files listed in `SHA256SUMS`, with `SHA256SUMS` itself (and its
    /// signature, when signed); the log is not counted.
    pub files: usize,
    pub findings: Vec<(String, usize)>,
    pub timings: Vec<(&'static str, Duration)>,
    /// Pages rendered, pages whose fingerprint was unchanged (not
    /// rendered), and how many of those were known unchanged by their basis
    /// alone, without making their view ([`site::basis`]).
    pub pages: (usize, usize, usize),
    /// Files written, and files already in place or hard-linked (not written).
    pub written: (usize, usize),
    /// What the user should know although the build succeeded.
    pub warnings: Vec<String>,
    /// The input had not changed since the build that published the live
    /// site, which was left as it was (nothing written).
    pub unchanged: bool,
}

/// A loaded, checked and tallied election: everything but the output.
pub struct Checked {
    pub election: model::Election,
    pub tally: tally::Tally,
    pub findings: Vec<check::Finding>,
}

/// The first stages: load, hash the scans, tally, check. Pure apart from
/// reading the input.
pub fn prepare(
    input: &Path,
    options: &load::Options<'_>,
    timings: &mut Vec<(&'static str, Duration)>,
) -> Result<Checked> {
    let stages = Stages {
        timings: RefCell::new(std::mem::take(timings)),
    };
    let election = stages.time("load", || load::read(input).map_err(Error::Input))?;
    let checked = stages.checked(input, election, options);
    *timings = stages.timings.into_inner();
    checked
}

/// `kura build`: load → check → tally → render → publish.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    let mut opts = opts.clone();
    opts.output = publish::resolve_destination(&opts.output)?;
    // Old sites moved aside by earlier builds are deleted meanwhile.
    let cleaner = publish::clear_aside(&opts.output);
    let result = Build::new(&opts).and_then(Build::run);
    let _ = cleaner.join();
    result
}

/// How long each stage took, in the order they ran.
#[derive(Default)]
struct Stages {
    timings: RefCell<Vec<(&'static str, Duration)>>,
}

impl Stages {
    /// Runs one stage and records its time under `name`.
    fn time<T>(&self, name: &'static str, stage: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = stage();
        self.timings.borrow_mut().push((name, t.elapsed()));
        out
    }

    /// Hash the scans (with what the cache remembers), tally, check.
    fn checked(
        &self,
        input: &Path,
        mut election: model::Election,
        options: &load::Options<'_>,
    ) -> Result<Checked> {
        self.time("hash", || load::hash_scans(input, &mut election, options))
            .map_err(Error::Input)?;
        let tally = self
            .time("tally", || {
                tally::tally(&election, &input.join(load::schema::FORMS.file))
            })
            .map_err(|p| Error::Input(vec![p]))?;
        let findings = self.time("check", || check::findings(&election, &tally));
        Ok(Checked {
            election,
            tally,
            findings,
        })
    }
}

/// The version this one follows, verified: its id, chain and log.
struct Previous {
    dir: PathBuf,
    manifest: manifest::Previous,
    log: tlog::Log,
}

/// One build: its options, the publication time and key, and what it has
/// learnt so far that the report carries.
struct Build<'a> {
    opts: &'a BuildOptions,
    /// Seconds since the epoch, and the same as RFC 3339.
    published: (i64, String),
    key: Option<SecretKey>,
    stages: Stages,
    warnings: Vec<String>,
    bar: indicatif::ProgressBar,
    /// When the build began, in nanoseconds since 1970: the scans changed
    /// within [`unchanged::RACY_NS`] of it are not trusted by their stamp
    /// next time (see [`write_cache`]).
    started: i128,
    /// The same moment by the clock of the file system beside the output,
    /// which dates the scans instead when they are on it.
    clock: Option<fsx::Clock>,
}

impl<'a> Build<'a> {
    fn new(opts: &'a BuildOptions) -> Result<Build<'a>> {
        let stages = Stages::default();
        let secs = manifest::publication_time(opts.source_date_epoch.as_deref())?;
        let key = stages.time("read key", || {
            opts.sign
                .as_deref()
                .map(publish::sign::read_secret)
                .transpose()
        })?;
        Ok(Build {
            started: unchanged::now_ns(),
            clock: opts
                .output
                .parent()
                .and_then(|beside| fsx::clock(beside, publish::BUILD_PREFIX)),
            opts,
            published: (secs, manifest::rfc3339(secs)),
            key,
            stages,
            warnings: Vec::new(),
            bar: opts
                .progress
                .clone()
                .unwrap_or_else(indicatif::ProgressBar::hidden),
        })
    }

    /// The key the cache is authenticated with: a signed build's own.
    fn cache_key(&self) -> Option<[u8; 32]> {
        self.key.as_ref().map(SecretKey::cache_key)
    }

    /// The stages, in order.
    fn run(mut self) -> Result<BuildReport> {
        let previous = self.previous()?;
        let cache_text = self.stages.time("read cache", || {
            publish::cache::read_text(&self.opts.output, self.cache_key().as_ref())
        });
        // What the cache says of the live site is read while the input is
        // walked (mostly waiting on the kernel).
        let (live, (digest, walked)) = std::thread::scope(|s| {
            let live = s.spawn(|| publish::cache::live(&cache_text));
            let digest = self.stages.time("input digest", || {
                unchanged::digest(
                    &self.opts.input,
                    &unchanged::Settings {
                        epoch: self.published.0,
                        strict: self.opts.strict,
                        signer: self.key.as_ref().map(|k| k.public().bytes()),
                        output: self.opts.output.clone(),
                    },
                )
            });
            (live.join().unwrap_or_default(), digest)
        });
        // A version following another is never the same as the live one;
        // without SOURCE_DATE_EPOCH each build has its own time.
        let epoch_set = self
            .opts
            .source_date_epoch
            .as_ref()
            .is_some_and(|e| !e.trim().is_empty());
        let input_digest = digest.filter(|_| previous.is_none() && epoch_set);
        let dest = &self.opts.output;
        if let Some(digest) = &input_digest
            && live.input == digest.as_str()
            && self.stages.time("check live site", || {
                unchanged::holds(dest, &live)
                    && unchanged::racy_scans_hold(&live, &walked.listing, &self.opts.input)
            })
        {
            return Ok(self.unchanged_report(&live));
        }
        // The output must be empty or a site kura built holding only what
        // its SHA256SUMS lists: known without a walk of every file when
        // its folders are as the last build left them.
        self.stages.time("check output", || {
            if !unchanged::tree_holds(dest, &live) {
                publish::check_destination(dest)?;
            }
            Ok::<_, Error>(())
        })?;
        drop(live);
        // The cache is parsed while the input loads.
        let cache = std::thread::spawn(move || publish::cache::parse(&cache_text));
        let (checked, mut cache) = self.load(cache, &walked.listing)?;
        // The digest says what the site is made from only if the load read
        // the very bytes the walk hashed.
        let input_digest =
            input_digest.filter(|_| walked.read_as_walked(&checked.election.sources));
        drop(walked);
        let errors = checked
            .findings
            .iter()
            .filter(|f| f.severity == check::Severity::Error)
            .count();
        if self.opts.strict && errors > 0 {
            return Err(Error::Strict(errors));
        }
        let dest = &self.opts.output;
        let (target, mut out) = self.stages.time("prepare output", || {
            let mut target = publish::target(dest, &mut cache)?;
            let reuse = publish::Reuse::new(dest, &mut cache, &mut target);
            let out = Output::new(&target, reuse);
            Ok::<_, Error>((target, out))
        })?;
        let bases = self.stages.time("bases", || {
            site::basis::Bases::new(&checked.election, &checked.findings)
        });
        self.stages.time("open data", || {
            open_data(&out, &checked, &bases, &self.published.1)
        })?;
        let chain = previous
            .as_ref()
            .map(|p| p.manifest.chain.clone())
            .unwrap_or_default();
        let history = match &previous {
            Some(p) => self
                .stages
                .time("diff", || self.changes(p, &out, &checked))?,
            None => Vec::new(),
        };
        let versions = site::Versions {
            chain: &chain.versions,
            history: &history,
            seq: chain.versions.len() + 1,
            published: &self.published.1,
        };
        self.stages.time("render", || {
            render(&out, (&checked, &bases), versions, &self.bar)
        })?;
        let el = &checked.election;
        // The search index is made from the areas alone: kept whole while
        // nothing it is made from changes.
        self.stages.time("search index", || {
            out.derived_folder("search/", bases.of_context(b"search"), |emit| {
                site::search::index(el, emit)
            })
        })?;
        self.stages.time("sitemap", || {
            let mut pages = out.paths_ending(".html");
            pages.retain(|p| p != paths::NOT_FOUND);
            site::sitemap::files(&el.meta, &pages)
                .iter()
                .try_for_each(|(path, bytes)| out.write(path, bytes))
        })?;
        let scans = self
            .stages
            .time("write scans", || self.scans(&out, &checked))?;
        let manifest = self.manifest(&checked, previous.as_ref(), scans);
        out.write("manifest.json", &manifest::to_json(&manifest))?;
        out.write("versions.json", &manifest::to_json(&chain))?;
        let version_id = self.stages.time("seal", || self.seal(&out))?;
        let files = out.take_entries();
        self.stages.time("log", || {
            let meta = &checked.election.meta;
            self.log(&out, previous.map(|p| p.log), &version_id, &manifest, meta)
        })?;
        let replaced = out.take_live();
        let kept_spare = self
            .stages
            .time("swap", || publish::publish(target, &self.opts.output))?;
        // The cache only speeds up the next build; failing to write it is no failure.
        self.stages.time("write cache", || {
            let spare = if kept_spare {
                (replaced, std::mem::take(&mut cache.live_dirs))
            } else {
                Default::default()
            };
            write_cache(
                &self.opts.output,
                (&checked, (self.started, self.clock)),
                (&files, &version_id),
                &mut out,
                spare,
                (input_digest.as_deref(), self.cache_key().as_ref()),
            )
        });
        let (pages, written) = out.counts();
        let report = BuildReport {
            version_id,
            // SHA256SUMS itself (and its signature) are not among the entries.
            files: files.len() + 1 + usize::from(self.key.is_some()),
            findings: check::counts(&checked.findings)
                .into_iter()
                .map(|(c, n)| (c.id.to_string(), n))
                .collect(),
            timings: self.stages.timings.into_inner(),
            pages,
            written,
            warnings: self.warnings,
            unchanged: false,
        };
        // Freeing hundreds of thousands of small allocations takes a while and
        // nothing waits for it.
        std::thread::spawn(move || drop((checked, out, cache, files)));
        Ok(report)
    }

    /// The report of a build that found the live site already built from
    /// this very input: what the build that wrote it reported.
    fn unchanged_report(self, live: &publish::cache::Live<'_>) -> BuildReport {
        let files = live.files.len() + 1 + usize::from(self.key.is_some());
        BuildReport {
            version_id: live.sums.to_string(),
            files,
            findings: live.findings.clone(),
            timings: self.stages.timings.into_inner(),
            pages: (0, 0, 0),
            written: (0, files),
            warnings: self.warnings,
            unchanged: true,
        }
    }

    /// Checks `--previous` and reads what this version carries on from
    /// it: its id and chain of versions, and its log, which must list the
    /// versions its versions.json lists.
    fn previous(&mut self) -> Result<Option<Previous>> {
        let Some(dir) = &self.opts.previous else {
            return Ok(None);
        };
        let key = self.key.as_ref();
        let (warning, manifest, log) = self.stages.time("check previous", || {
            let warning = verify_previous(dir, key)?;
            let manifest = manifest::read_previous(dir)?;
            let shown = error::shown(dir);
            let log = transparency::read_folder(dir)
                .map_err(|t| Error::Other(format!("--previous {shown}: {t}")))?;
            let logged = log.entries.iter().map(|e| e.version.as_str());
            if !logged.eq(manifest.chain.versions.iter().map(|v| v.id.as_str())) {
                return Err(Error::Other(format!(
                    "--previous {shown}: its log and its versions.json list different versions"
                )));
            }
            Ok((warning, manifest, log))
        })?;
        self.warnings.extend(warning);
        Ok(Some(Previous {
            dir: dir.clone(),
            manifest,
            log,
        }))
    }

    /// Reads the input, then hashes (with what the cache of the last build
    /// into this destination knows), tallies and checks it.
    fn load(
        &mut self,
        cache: std::thread::JoinHandle<Cache>,
        listing: &load::scans::Listing,
    ) -> Result<(Checked, Cache)> {
        let input = &self.opts.input;
        let loaded = self
            .stages
            .time("load", || load::read(input).map_err(Error::Input));
        let cache = self
            .stages
            .time("parse cache", || cache.join().unwrap_or_default());
        let options = load::Options {
            hash_cache: Some(&cache.scans),
            listing: Some(listing),
        };
        let checked = self.stages.checked(input, loaded?, &options)?;
        Ok((checked, cache))
    }

    /// Carries the earlier versions' changes and adds this version's: what
    /// changed between the previous site and this version's open data (made
    /// from the rows its CSV files were written from, not read back).
    fn changes(
        &self,
        previous: &Previous,
        out: &Output,
        checked: &Checked,
    ) -> Result<Vec<diff::VersionChanges>> {
        let mut history = history::carry_changes(&previous.dir, out)?;
        let old = diff::Snapshot::read(&previous.dir).map_err(Error::Other)?;
        let mut new = diff::Snapshot::of(&checked.election, &checked.tally, &checked.findings);
        new.published = Some(self.published.1.clone());
        let seq = previous.manifest.chain.versions.len() + 1;
        let doc = diff::VersionChanges {
            seq,
            published: self.published.1.clone(),
            previous: Some(previous.manifest.id.clone()),
            changes: diff::diff(&old, &new),
        };
        out.write(&paths::changes_data(seq), &manifest::to_json(&doc))?;
        history.push(doc);
        Ok(history)
    }

    /// Copies each scan once (by content), and every scan of the previous
    /// version that this one no longer shows. Returns how many this
    /// version shows.
    fn scans(&self, out: &Output, checked: &Checked) -> Result<usize> {
        let el = &checked.election;
        let mut scans: Vec<&model::Scan> =
            el.forms.iter().filter_map(|f| f.scan.as_deref()).collect();
        // Of the scans with the same bytes, the one first by its path is
        // copied (named if it changes meanwhile).
        scans.par_sort_unstable_by(|a, b| (&a.sha256, &a.source).cmp(&(&b.sha256, &b.source)));
        scans.dedup_by(|a, b| a.sha256 == b.sha256);
        self.bar.set_message("scans");
        self.bar.set_position(0);
        self.bar.set_length(scans.len() as u64);
        let bar = &self.bar;
        // Opened beneath the input's scans/, itself opened beneath the
        // input (a scan that no longer lies under it, because a folder on
        // the way was swapped for a link since, is an error).
        let input = &self.opts.input;
        let beneath =
            fsx::Beneath::scans(input).unwrap_or_else(|| fsx::Beneath::new(&input.join("scans")));
        scans.par_iter().try_for_each(|s| {
            bar.inc(1);
            out.copy_scan(&s.site_path(), (&beneath, &s.source), &s.sha256)
        })?;
        self.bar.finish_and_clear();
        if let Some(dir) = &self.opts.previous {
            let have = scans.iter().map(|s| s.site_path()).collect();
            history::carry_scans(dir, out, &have)?;
        }
        Ok(scans.len())
    }

    /// What `manifest.json` says of this version.
    fn manifest(
        &self,
        checked: &Checked,
        previous: Option<&Previous>,
        scans: usize,
    ) -> manifest::Manifest {
        let el = &checked.election;
        manifest::Manifest {
            generator: manifest::Generator {
                name: "kura".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            title: el.meta.title.clone(),
            election_date: el.meta.date.clone(),
            published: self.published.1.clone(),
            previous: previous.map(|p| p.manifest.id.clone()),
            counts: manifest::Counts {
                areas: el.areas.len() as u64,
                stations: el.areas.iter().filter(|a| a.is_station()).count() as u64,
                races: el.races.len() as u64,
                candidates: el.candidates.len() as u64,
                forms: el.forms.len() as u64,
                scans: scans as u64,
                findings: checked.findings.len() as u64,
                pages: el.pages.len() as u64,
            },
        }
    }

    /// Writes `SHA256SUMS` (signed when a key is given); returns the version id.
    fn seal(&self, out: &Output) -> Result<String> {
        let published = &self.published.1;
        let sums = out.seal(|sums| {
            self.key.as_ref().map(|key| {
                let comment = format!(
                    "kura version {} published {published}",
                    sums::version_id(sums)
                );
                publish::sign::sign(key, sums.as_bytes(), &comment).into_bytes()
            })
        })?;
        Ok(sums::version_id(&sums))
    }

    /// The log: the previous version's entries and one for this version,
    /// under the previous log's origin (so it only ever grows).
    fn log(
        &self,
        out: &Output,
        previous: Option<tlog::Log>,
        version_id: &str,
        manifest: &manifest::Manifest,
        meta: &model::Meta,
    ) -> Result<()> {
        let (origin, mut entries) = match previous {
            Some(log) => (log.checkpoint.origin, log.entries),
            None => (tlog::origin_for(meta), Vec::new()),
        };
        entries.push(tlog::Entry {
            origin: origin.clone(),
            seq: entries.len() as u64 + 1,
            version: version_id.to_string(),
            published: manifest.published.clone(),
            previous: manifest.previous.clone(),
        });
        out.write_log(&transparency::log_files(
            &origin,
            &entries,
            self.key.as_ref(),
            u64::try_from(self.published.0).unwrap_or(0),
        ))
    }
}

/// Writes the open data: one CSV per table, from the election as loaded.
fn open_data(
    out: &Output,
    checked: &Checked,
    bases: &site::basis::Bases,
    published: &str,
) -> Result<()> {
    let Checked {
        election: el,
        tally,
        findings,
    } = checked;
    let order = opendata::form_order(el);
    let order = &order;
    // totals.csv and summary.csv come from one walk of the tree.
    let totals = || -> Result<()> {
        let mut totals = out.create("data/totals.csv")?;
        let mut summary = out.create("data/summary.csv")?;
        opendata::totals_and_summary(el, tally, &mut totals, &mut summary)
            .map_err(|e| publish::csv_error(totals.path(), e))?;
        out.finish(totals)?;
        out.finish(summary)
    };
    // The NIST report is large (111 MB at Kenya's scale) and changes with
    // any count: made once, streamed aside while hashed, and kept only if
    // no file there has its bytes.
    let nist = || -> Result<()> {
        let report = opendata::nist::Report {
            el,
            tally,
            generated: published,
        };
        let mut w = out.create(opendata::nist::PATH)?;
        opendata::nist::write(&report, &mut w)
            .map_err(|e| Error::io(w.path(), std::io::Error::other(e)))?;
        out.finish(w)
    };
    // Each area's downloads: small files, made in memory and written only
    // where they changed; not made at all where nothing they are made of
    // changed (their basis). A race's files are cut from its rows, made
    // once for all of them when one must be made, a race at a time (at a
    // million stations a race's rows are about 90 MB).
    let per_area = || -> Result<()> {
        let files = opendata::per_area::files(el, tally);
        let mut by_race: Vec<Vec<(model::AreaIx, String, crate::digest::Hash16)>> =
            vec![Vec::new(); el.races.len()];
        for (a, r) in files {
            let path = opendata::per_area::path(el, a, r);
            let basis = bases.of(a, &[b"download", el.races[r].id.as_bytes()], ());
            by_race[r].push((a, path, basis));
        }
        for (r, files) in by_race.iter().enumerate() {
            let needed =
                cfg!(debug_assertions) || files.iter().any(|(_, p, b)| !out.reusable(p, *b));
            let rows = match needed {
                true => {
                    let folder = format!("data/races/{}", el.races[r].id);
                    let rows = opendata::per_area::Rows::new(el, r)
                        .map_err(|e| publish::csv_error(Path::new(&folder), e))?;
                    Some(rows)
                }
                false => None,
            };
            files.par_iter().try_for_each(|(a, path, basis)| {
                out.derived(path, *basis, || {
                    let bytes = match &rows {
                        Some(rows) => rows.file(el, *a),
                        None => {
                            let mut bytes = Vec::new();
                            opendata::per_area::write(el, *a, r, &mut bytes).map(|()| bytes)
                        }
                    };
                    bytes.map_err(|e| publish::csv_error(Path::new(path), e))
                })
            })?;
        }
        Ok(())
    };
    // Independent files, made side by side (the largest first, so that
    // none is left to run alone at the end); errors are reported in this
    // order whatever the schedule.
    let files: [&(dyn Fn() -> Result<()> + Sync); 9] = [
        &nist,
        &|| out.stream("data/results.csv", |w| opendata::results(el, order, w)),
        &|| out.stream("data/forms.csv", |w| opendata::forms(el, order, w)),
        &per_area,
        &totals,
        &|| out.stream("data/areas.csv", |w| opendata::areas(el, w)),
        &|| out.stream("data/findings.csv", |w| opendata::findings(el, findings, w)),
        &|| out.stream("data/races.csv", |w| opendata::races(el, w)),
        &|| out.stream("data/candidates.csv", |w| opendata::candidates(el, w)),
    ];
    let done: Vec<Result<()>> = files.par_iter().with_max_len(1).map(|f| f()).collect();
    done.into_iter().collect()
}

/// Renders every page in every language (a page whose fingerprint is
/// unchanged is not rendered again) and the assets.
fn render(
    out: &Output,
    (checked, bases): (&Checked, &site::basis::Bases),
    versions: site::Versions<'_>,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    let el = &checked.election;
    for (i, lang) in el.meta.languages.iter().enumerate() {
        let site = site::Site::new(el, &checked.tally, &checked.findings, lang, versions)
            .map_err(Error::Other)?;
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
            let failed = |e: askama::Error| Error::Other(format!("rendering {job:?}: {e}"));
            bar.inc(1);
            // A page whose basis is unchanged is the live one: no view is
            // made of it unless the live file must be written again.
            let basis = site.basis(job, &global, bases);
            if let Some((path, basis)) = &basis
                && let Some(fingerprint) = out.known(path, *basis)
            {
                if cfg!(debug_assertions) {
                    let made = site.prepare(job, &global).map_err(failed)?.fingerprint;
                    if made != Some(fingerprint) {
                        return Err(Error::Other(format!(
                            "{path}: its basis is unchanged but its view changed"
                        )));
                    }
                }
                // The live file cannot be reused: the page is made whole,
                // and its own fingerprint recorded.
                let reused = out.page(path, fingerprint, || {
                    let page = site.prepare(job, &global).map_err(failed)?;
                    let made = page.fingerprint.unwrap_or(fingerprint);
                    Ok((page.render().map_err(failed)?, made))
                })?;
                if reused {
                    out.count_unmade_view();
                }
                out.note_basis(path, *basis);
                return Ok(());
            }
            let page = site.prepare(job, &global).map_err(failed)?;
            if let Some((path, basis)) = &basis {
                // The path known without the view is the view's own.
                debug_assert_eq!(path, &page.path);
                out.note_basis(path, *basis);
            }
            match page.fingerprint {
                Some(fingerprint) => {
                    let path = page.path.clone();
                    let render = || Ok((page.render().map_err(failed)?, fingerprint));
                    out.page(&path, fingerprint, render).map(drop)
                }
                None => {
                    let path = page.path.clone();
                    out.write(&path, &page.render().map_err(failed)?)
                }
            }
        })?;
    }
    Ok(())
}

/// Writes what the next build into this destination may reuse: scan
/// hashes, the live files and the spare copy kept beside them.
fn write_cache(
    dest: &Path,
    (checked, (started, clock)): (&Checked, (i128, Option<fsx::Clock>)),
    (files, version_id): (&[(String, fsx::CachedHash)], &str),
    out: &mut Output,
    (spare, spare_dirs): (publish::Record, foldhash::HashMap<String, i128>),
    (input, key): (Option<&str>, Option<&[u8; 32]>),
) {
    // A scan changed so shortly before the build began that it may change
    // again within the same tick of the file system's clock, after it was
    // read, without its stamp moving ("racily clean", as git calls it):
    // its hash is not cached by stamp but kept to be checked against its
    // content by the next build that finds the input unchanged. A scan on
    // the file system beside the output (by its stamp's device) is dated
    // by that file system's own time at the start (`clock`): one changed
    // before it changed in an earlier tick, and any later change moves its
    // stamp, so only scans changed in that very tick are racy (not every
    // scan of a batch copied in during the two seconds before the build).
    // A scan on another file system keeps the two-second rule.
    let (mut racy, mut scans) = (Vec::new(), Vec::new());
    for s in checked
        .election
        .forms
        .iter()
        .filter_map(|f| f.scan.as_ref())
    {
        if unchanged::racy_scan(&s.stamp, started, clock) {
            racy.push((s.path.as_str(), s.sha256.as_str()));
        } else {
            scans.push((s.source.as_path(), s.stamp, s.sha256.as_str()));
        }
    }
    racy.sort_unstable();
    racy.dedup();
    // The folders of every file, the log's too (it is not in `files`).
    let log: Vec<String> = walkdir::WalkDir::new(dest.join(publish::LOG))
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dest).ok()?;
            Some(rel.to_string_lossy().into_owned())
        })
        .collect();
    // The site's file system's own time, read after the build's last
    // change to the site and before its folders' times (see `settle`).
    let clock_now = dest
        .parent()
        .and_then(|beside| fsx::clock(beside, publish::BUILD_PREFIX));
    let live_dirs = unchanged::settle(
        publish::folder_times(
            dest,
            files
                .iter()
                .map(|(p, _)| p.as_str())
                .chain(log.iter().map(String::as_str)),
        ),
        clock_now,
    );
    let _ = publish::cache::write(
        dest,
        publish::cache::Contents {
            scans: &scans,
            racy: &racy,
            live: files,
            live_sums: version_id,
            live_dirs: &live_dirs,
            spare: &spare,
            spare_dirs: &spare_dirs,
            made: &out.take_made(),
            input: input.unwrap_or(""),
            extras: &input.map(|_| unchanged::extras(dest)).unwrap_or_default(),
            findings: &check::counts(&checked.findings)
                .into_iter()
                .map(|(c, n)| (c.id.to_string(), n))
                .collect::<Vec<_>>(),
        },
        key,
    );
}

/// Checks the site given as `--previous` before anything is read from it:
/// every file against its own `SHA256SUMS`, nothing unlisted in it, and
/// its signature when it claims the signing key. A tampered copy of an
/// earlier version would otherwise make this version's signed changelog
/// state changes that never happened, or carry planted scans into it.
/// Returns a warning when a key is given and the previous version is not
/// signed by it (so only its consistency with itself was checked).
fn verify_previous(dir: &Path, key: Option<&publish::sign::SecretKey>) -> Result<Option<String>> {
    let shown = error::shown(dir);
    if fetch::is_url(&dir.to_string_lossy()) {
        return Err(Error::Other(format!(
            "--previous {shown}: give the previous version's folder (make one with `kura mirror URL DIR --key PUB`)"
        )));
    }
    if !dir.join(sums::SUMS).is_file() {
        return Err(Error::Other(format!(
            "--previous {shown}: no SHA256SUMS: not a published kura site"
        )));
    }
    let public = key.map(publish::sign::SecretKey::public);
    let same_key = public.as_ref().filter(|pk| {
        fsx::read_limited(&dir.join(sums::SUMS_SIG), verify::MAX_SIG)
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
    let troubles = report.first_troubles();
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
