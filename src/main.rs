//! The `kura` command line: parse, call the library, print, pick the exit code.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kura::error::shown;
use kura::term::clean;
use kura::{BuildOptions, Error};

#[derive(Parser)]
#[command(
    name = "kura",
    version,
    about = "Build a verifiable static election results site from tally forms"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site from an input folder.
    Build {
        /// The input folder.
        #[arg(default_value = "data")]
        data: PathBuf,
        /// The output folder; replaced whole, only when the build succeeds.
        #[arg(short, long, default_value = "site")]
        output: PathBuf,
        /// The previously published site this version follows.
        #[arg(long, value_name = "OLD_SITE")]
        previous: Option<PathBuf>,
        /// Fail (exit 1) when there are findings of severity error.
        #[arg(long)]
        strict: bool,
        /// Sign SHA256SUMS with this minisign secret key (unencrypted).
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<PathBuf>,
        /// Print how long each stage took.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Validate an input folder: print every error and finding, write nothing.
    Check {
        #[arg(default_value = "data")]
        data: PathBuf,
    },
    /// Check a copy of a site (a folder or an http(s) URL) against its SHA256SUMS.
    Verify {
        /// The site's folder (or a symbolic link to it), or the URL of a mirror.
        site: String,
        /// Also check SHA256SUMS.minisig with this minisign public key,
        /// before any other file is read.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<PathBuf>,
        /// The version id the copy must have (learned elsewhere: a
        /// newspaper, a QR code, a friend).
        #[arg(long, value_name = "VERSION_ID")]
        expect: Option<String>,
        /// Refuse a copy older than this version (a version id its chain
        /// must contain) or published before this UTC time.
        #[arg(long, value_name = "ID|TIME", value_parser = kura::verify::NotBefore::parse)]
        not_before: Option<kura::verify::NotBefore>,
        /// A file of a folder copy that is the mirror's own, not the site's
        /// (a relative path, or a file name such as .htaccess); repeatable.
        #[arg(long, value_name = "PATH")]
        ignore: Vec<String>,
        /// Give up a read after this many seconds without a byte.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
        /// Where the last log checkpoint seen for each site is kept, so a
        /// rollback or a fork is refused [default: ~/.local/state/kura].
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        /// A witness's public key (minisign format); repeatable. The
        /// checkpoint must carry the co-signatures of --quorum of them.
        #[arg(long, value_name = "PUB")]
        witness: Vec<PathBuf>,
        /// How many of the --witness keys must have co-signed [default: all].
        #[arg(long, value_name = "N")]
        quorum: Option<usize>,
        /// Refuse a copy whose newest signed time (the publisher's, with
        /// --key, or a witness's) is older than this: 90s, 30m, 1h, 2d.
        #[arg(long, value_name = "DURATION", value_parser = kura::transparency::parse_age)]
        max_age: Option<std::time::Duration>,
    },
    /// Co-sign a site's log checkpoint as a witness, if it extends the last
    /// one this witness co-signed; a fork is refused and its evidence kept.
    Witness {
        /// The site's folder or URL.
        site: String,
        /// The witness's secret key (from kura keygen).
        #[arg(long, value_name = "WITNESS.key")]
        key: PathBuf,
        /// The publisher's public key: the checkpoint must be signed by it.
        #[arg(long, value_name = "PUBKEY")]
        log_key: Option<PathBuf>,
        /// Where the last checkpoint co-signed for each site is kept
        /// [default: ~/.local/state/kura].
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        /// Write the co-signature to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Give up a read after this many seconds without a byte.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
    },
    /// Sign a published site's log checkpoint again with the current time,
    /// adding witnesses' co-signatures; only log/checkpoint changes.
    Checkpoint {
        /// The published site's folder.
        site: PathBuf,
        /// The publisher's secret key, the one the site was signed with.
        #[arg(long, value_name = "KEYFILE")]
        sign: PathBuf,
        /// A file of co-signatures written by kura witness; repeatable.
        #[arg(long, value_name = "FILE")]
        cosignature: Vec<PathBuf>,
        /// The public key of a witness whose co-signatures are added;
        /// repeatable. Each co-signature is checked against its key.
        #[arg(long, value_name = "PUBKEY")]
        witness: Vec<PathBuf>,
    },
    /// Make or update a verified copy of a published site.
    Mirror {
        /// The URL of the site (the publisher's, or another mirror's).
        url: String,
        /// The folder of the copy, made or brought up to date.
        dir: PathBuf,
        /// The publisher's minisign public key: the signature is checked
        /// before anything else is downloaded.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<PathBuf>,
        /// Give up a read after this many seconds without a byte.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
        /// A file of DIR that is the mirror's own, not the site's (a
        /// relative path, or a file name such as .htaccess): allowed in DIR
        /// and kept across updates; repeatable.
        #[arg(long, value_name = "PATH")]
        keep: Vec<String>,
        /// Where the last log checkpoint seen for each site is kept
        /// [default: ~/.local/state/kura].
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
    },
    /// Show what changed between two published versions of a site.
    Diff {
        /// The older version: a site folder (or a symbolic link to one) or a URL.
        old: String,
        /// The newer version: a site folder or a URL.
        new: String,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// Check both copies' signatures with this minisign public key.
        #[arg(long, value_name = "PUBKEY")]
        key: Option<PathBuf>,
        /// Give up a read after this many seconds without a byte.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
    },
    /// Serve a built site on 127.0.0.1 for previewing (not for production).
    Serve {
        #[arg(default_value = "site")]
        site: PathBuf,
        /// The port; 0 picks a free one.
        #[arg(long, default_value_t = 8000)]
        port: u16,
    },
    /// Write a minisign-compatible key pair: PREFIX.pub and PREFIX.key.
    Keygen {
        #[arg(short, long, value_name = "PREFIX")]
        output: PathBuf,
    },
    /// Write a synthetic, Kenya-shaped input folder.
    Sample {
        #[arg(short, long, default_value = "sample")]
        output: PathBuf,
        /// Number of polling stations.
        #[arg(long, default_value_t = 2000)]
        stations: usize,
        /// Seed of the generator: same seed, same folder.
        #[arg(long, default_value_t = 2022)]
        seed: u64,
        /// Write no scan files (forms get no scan): for memory benchmarks.
        #[arg(long)]
        no_scans: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

fn run(command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Build {
            data,
            output,
            previous,
            strict,
            sign,
            verbose,
        } => {
            let opts = BuildOptions {
                input: data,
                output: output.clone(),
                previous,
                strict,
                sign,
                source_date_epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
                progress: progress_bar(),
            };
            let report = kura::build(&opts)?;
            let mut err = std::io::stderr().lock();
            for w in &report.warnings {
                let _ = writeln!(err, "warning: {}", clean(w));
            }
            for (check, n) in &report.findings {
                let _ = writeln!(err, "finding {check}: {n}");
            }
            if verbose {
                for (stage, d) in &report.timings {
                    let _ = writeln!(err, "{stage:>10}: {:>8.3} s", d.as_secs_f64());
                }
                let (rendered, reused) = report.pages;
                let _ = writeln!(
                    err,
                    "fingerprinted pages: {rendered} rendered, {reused} unchanged; files: {} written, {} kept or linked",
                    report.written.0, report.written.1
                );
            }
            let _ = writeln!(err, "built {} ({} files)", shown(&output), report.files);
            let _ = writeln!(std::io::stdout(), "version {}", report.version_id);
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { data } => {
            let mut timings = Vec::new();
            let checked = kura::prepare(&data, &kura::load::Options::default(), &mut timings)?;
            let el = &checked.election;
            let mut out = std::io::stdout().lock();
            for f in &checked.findings {
                let form = f.form.map(|x| el.forms[x].id.as_str()).unwrap_or("-");
                let line = format!(
                    "{} {} {} {} {}: {}",
                    f.severity.as_str(),
                    f.check,
                    el.areas[f.area].code,
                    el.races[f.race].id,
                    form,
                    f.detail
                );
                let _ = writeln!(out, "{}", clean(&line));
            }
            let _ = writeln!(
                std::io::stderr(),
                "{}: no errors; {} areas, {} forms, {} findings",
                shown(&data),
                el.areas.len(),
                el.forms.len(),
                checked.findings.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            site,
            key,
            expect,
            not_before,
            ignore,
            timeout,
            state,
            witness,
            quorum,
            max_age,
        } => {
            if let Some(n) = quorum
                && (n == 0 || n > witness.len())
            {
                return usage(&format!(
                    "--quorum {n}: give between 1 and the number of --witness keys ({})",
                    witness.len()
                ));
            }
            if max_age.is_some() && key.is_none() && witness.is_empty() {
                return usage("--max-age needs --key or --witness: only a signed time counts");
            }
            let public = key
                .as_deref()
                .map(kura::publish::sign::read_public)
                .transpose()?;
            let witnesses = match read_witnesses(&witness, public.as_ref())? {
                Ok(w) => w,
                Err(why) => return usage(&why),
            };
            let options = kura::verify::Options {
                key: key.as_deref(),
                public: None,
                expect,
                not_before,
                ignore,
                idle: Some(std::time::Duration::from_secs(timeout.max(1))),
                progress: progress_bar(),
                state: state.or_else(kura::transparency::default_state_dir),
                witnesses,
                quorum,
                max_age,
            };
            let report = kura::verify::verify(&site, &options)?;
            let mut out = std::io::stdout().lock();
            for t in &report.troubles {
                let _ = writeln!(out, "{}", clean(&t.to_string()));
            }
            let _ = writeln!(out, "version {}", report.version_id);
            match &report.signed {
                Some(comment) => {
                    let _ = writeln!(out, "signature: good ({})", clean(comment));
                }
                None if key.is_none() => {
                    let _ = writeln!(
                        out,
                        "WARNING: no --key given: the signature was NOT checked, so nothing says \
                         who published this copy; it is only consistent with itself"
                    );
                }
                None => {}
            }
            if let Some((origin, size)) = &report.log {
                let _ = writeln!(out, "log: {}, {size} version(s)", clean(origin));
            }
            if !options.witnesses.is_empty() {
                let _ = writeln!(
                    out,
                    "witnesses: {} of {} co-signed",
                    report.cosigned,
                    options.witnesses.len()
                );
            }
            if let Some(t) = report.signed_at {
                let _ = writeln!(
                    out,
                    "signed time: {}",
                    kura::publish::manifest::rfc3339(t as i64)
                );
            }
            if let Some((requests, bytes)) = report.fetched {
                let _ = writeln!(out, "fetched: {requests} requests, {bytes} bytes");
            }
            let code = report.exit_code();
            match code {
                0 => {
                    let _ = writeln!(out, "intact: {} files match SHA256SUMS", report.listed);
                }
                3 => {
                    let _ = writeln!(
                        out,
                        "NOT checked: {} file(s) could not be fetched (network or server); try again",
                        report.troubles.len()
                    );
                }
                _ => {
                    let _ = writeln!(out, "NOT intact: {} problem(s)", report.troubles.len());
                }
            }
            Ok(ExitCode::from(code))
        }
        Command::Mirror {
            url,
            dir,
            key,
            timeout,
            keep,
            state,
        } => {
            let mut err = std::io::stderr().lock();
            if key.is_none() {
                let _ = writeln!(
                    err,
                    "WARNING: no --key given: authenticity is NOT checked. The copy will match the \
                     server's SHA256SUMS, but nothing says who published it."
                );
            }
            drop(err);
            let report = kura::mirror::mirror(
                &url,
                &dir,
                &kura::mirror::Options {
                    key: key.as_deref(),
                    idle: std::time::Duration::from_secs(timeout.max(1)),
                    keep,
                    progress: progress_bar(),
                    state: state.or_else(kura::transparency::default_state_dir),
                },
            )?;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "version {}", report.version_id);
            if report.current {
                let _ = writeln!(out, "already current: {}", shown(&dir));
            } else {
                let _ = writeln!(
                    out,
                    "updated {}: {} files downloaded, {} kept or linked; {} requests, {} bytes",
                    shown(&dir),
                    report.downloaded,
                    report.reused,
                    report.requests,
                    report.bytes
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff {
            old,
            new,
            json,
            key,
            timeout,
        } => {
            let idle = std::time::Duration::from_secs(timeout.max(1));
            let (changes, warnings) = match kura::diff_versions(&old, &new, key.as_deref(), idle) {
                Ok(x) => x,
                Err(e) => {
                    let _ = writeln!(std::io::stderr(), "kura diff: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let mut err = std::io::stderr().lock();
            for w in &warnings {
                let _ = writeln!(err, "warning: {}", clean(w));
            }
            drop(err);
            let mut out = std::io::stdout().lock();
            if json {
                let _ = out.write_all(&kura::publish::manifest::to_json(&changes));
            } else {
                let _ = out.write_all(kura::diff::to_text(&changes).as_bytes());
            }
            Ok(ExitCode::from(if changes.is_empty() { 0 } else { 1 }))
        }
        Command::Serve { site, port } => {
            kura::serve::ready(&site)?;
            let (listener, url) = kura::serve::bind(port)?;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "serving {} at {url} (Ctrl-C to stop)", shown(&site));
            let _ = out.flush();
            drop(out);
            kura::serve::serve(&site, listener)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { output } => {
            let (public, secret, id) = kura::publish::sign::write_keypair(&output)?;
            let _ = writeln!(
                std::io::stderr(),
                "wrote {} (share it) and {} (keep it secret) for key {id}; \
                 the same key's signed-note verifier key (for log checkpoints):",
                shown(&public),
                shown(&secret)
            );
            let pk = kura::publish::sign::read_public(&public)?;
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                kura::publish::sign::note::verifier_key(&pk)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Witness {
            site,
            key,
            log_key,
            state,
            output,
            timeout,
        } => {
            let Some(state) = state.or_else(kura::transparency::default_state_dir) else {
                return usage(
                    "no home folder: give --state DIR, where this witness remembers what it co-signed",
                );
            };
            let sk = kura::publish::sign::read_secret(&key)?;
            let pk = log_key
                .as_deref()
                .map(kura::publish::sign::read_public)
                .transpose()?;
            let mut err = std::io::stderr().lock();
            if pk.is_none() {
                let _ = writeln!(
                    err,
                    "WARNING: no --log-key given: the publisher's signature on the checkpoint is \
                     NOT checked; only the log's consistency with what this witness co-signed is"
                );
            }
            let done = kura::transparency::witness(
                &site,
                &sk,
                pk.as_ref(),
                &kura::transparency::State::new(state),
                std::time::Duration::from_secs(timeout.max(1)),
            )?;
            match &output {
                Some(path) => kura::transparency::write_output(path, done.line.as_bytes())?,
                None => {
                    let _ = std::io::stdout().write_all(done.line.as_bytes());
                }
            }
            let _ = writeln!(
                err,
                "co-signed {} at {} version(s), the last {}{}",
                clean(&done.origin),
                done.size,
                done.last_version,
                match done.before {
                    Some(n) => format!(" (co-signed before at {n})"),
                    None => " (the first time)".into(),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Checkpoint {
            site,
            sign,
            cosignature,
            witness,
        } => {
            if !cosignature.is_empty() && witness.is_empty() {
                return usage(
                    "--cosignature needs --witness PUBKEY for each witness: a co-signature is \
                     checked against its key before it is published",
                );
            }
            let witnesses = match read_witnesses(&witness, None)? {
                Ok(w) => w,
                Err(why) => return usage(&why),
            };
            let sk = kura::publish::sign::read_secret(&sign)?;
            let time = kura::publish::manifest::publication_time(
                std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
            )?;
            let done = kura::transparency::refresh(
                &site,
                &sk,
                &cosignature,
                &witnesses,
                u64::try_from(time).unwrap_or(0),
            )?;
            for why in &done.skipped {
                let _ = writeln!(std::io::stderr(), "warning: not taken: {}", clean(why));
            }
            let _ = writeln!(
                std::io::stderr(),
                "signed the checkpoint of {} ({} version(s)) at {}; {} witness co-signature(s)",
                clean(&done.origin),
                done.size,
                kura::publish::manifest::rfc3339(done.time as i64),
                done.cosignatures
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample {
            output,
            stations,
            seed,
            no_scans,
        } => {
            let summary = kura::sample::write(&output, stations, seed, !no_scans)?;
            let _ = writeln!(std::io::stderr(), "{summary}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The `--witness` keys: each a different key, and none the publisher's
/// (`publisher`), so that no witness counts twice toward a quorum. The
/// inner error is a usage error.
fn read_witnesses(
    files: &[PathBuf],
    publisher: Option<&kura::publish::sign::PublicKey>,
) -> Result<Result<Vec<kura::publish::sign::PublicKey>, String>, Error> {
    let mut keys: Vec<kura::publish::sign::PublicKey> = Vec::new();
    for f in files {
        let pk = kura::publish::sign::read_public(f)?;
        if publisher.is_some_and(|p| p.same_key(&pk)) {
            return Ok(Err(format!(
                "--witness {}: the publisher's own key (--key) is no witness",
                shown(f)
            )));
        }
        if let Some(j) = keys.iter().position(|k| k.same_key(&pk)) {
            return Ok(Err(format!(
                "--witness {}: the same key as --witness {}; each witness counts once",
                shown(f),
                shown(&files[j])
            )));
        }
        keys.push(pk);
    }
    Ok(Ok(keys))
}

/// A usage error: the message and exit 2, as clap does.
fn usage(message: &str) -> Result<ExitCode, Error> {
    let _ = writeln!(std::io::stderr(), "kura: {}", clean(message));
    Ok(ExitCode::from(2))
}

/// A progress bar on a terminal; nothing otherwise.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let style =
        indicatif::ProgressStyle::with_template("{msg:>6} [{bar:40}] {pos}/{len} {elapsed}")
            .ok()?
            .progress_chars("=> ");
    Some(indicatif::ProgressBar::new(0).with_style(style))
}

/// Prints an error and picks the exit code: 1 for every failure (2 is
/// clap's, for usage).
fn report(e: &Error) -> ExitCode {
    let mut err = std::io::stderr().lock();
    match e {
        Error::Input(problems) => {
            for p in problems {
                let _ = writeln!(err, "{p}");
            }
            let _ = writeln!(
                err,
                "kura: {} error(s); nothing was written",
                problems.len()
            );
        }
        Error::Unreachable(_) => {
            let _ = writeln!(err, "kura: {e}");
            return ExitCode::from(3);
        }
        other => {
            let _ = writeln!(err, "kura: {other}");
        }
    }
    ExitCode::from(1)
}
