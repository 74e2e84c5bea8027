//! The `kura` command line: parse, call the library, print, pick the exit code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kura::error::shown;
use kura::term::clean;
use kura::{BuildOptions, Error};

/// mimalloc instead of the system's allocator: a third less time and 7 %
/// less memory for a rebuild at a million stations (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    Build(BuildArgs),
    /// Validate an input folder: print every error and finding, write nothing.
    Check {
        #[arg(default_value = "data")]
        data: PathBuf,
    },
    /// Check a copy of a site (a folder or an http(s) URL) against its SHA256SUMS.
    Verify(VerifyArgs),
    /// Co-sign a site's log checkpoint as a witness, if it extends the last
    /// one this witness co-signed; a fork is refused and its evidence kept.
    Witness(WitnessArgs),
    /// Sign a published site's log checkpoint again with the current time,
    /// adding witnesses' co-signatures; only log/checkpoint changes.
    Checkpoint(CheckpointArgs),
    /// Make or update a verified copy of a published site.
    Mirror(MirrorArgs),
    /// Show what changed between two published versions of a site.
    Diff(DiffArgs),
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
    Sample(SampleArgs),
}

/// The options of `kura build`.
#[derive(clap::Args)]
struct BuildArgs {
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
}

/// The options of `kura verify`.
#[derive(clap::Args)]
struct VerifyArgs {
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
}

/// The options of `kura witness`.
#[derive(clap::Args)]
struct WitnessArgs {
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
}

/// The options of `kura checkpoint`.
#[derive(clap::Args)]
struct CheckpointArgs {
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
}

/// The options of `kura mirror`.
#[derive(clap::Args)]
struct MirrorArgs {
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
}

/// The options of `kura diff`.
#[derive(clap::Args)]
struct DiffArgs {
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
}

/// The options of `kura sample`.
#[derive(clap::Args)]
struct SampleArgs {
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
}

fn main() -> ExitCode {
    small_pages();
    let cli = Cli::parse();
    share_out();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

/// No transparent huge pages for kura's memory. mimalloc gives freed
/// memory back to the kernel and takes it again many times in a build;
/// with huge pages each time costs a fault that zeroes 2 MiB, however
/// little of it is then used. In a Kenya-sized 1 % rebuild that zeroing
/// was 29 % of the CPU samples (`perf`); without huge pages the rebuild
/// took 8.6–9.3 s instead of 9.5–15.9 s, while a full build, whose memory
/// only grows, is 15–20 % slower (docs/performance.md). Nothing else
/// changes: a failure is ignored.
fn small_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

/// Two threads a core for the work kura shares out (rayon's global pool):
/// a build waits on the file system as much as it computes (a `stat`, a
/// link or a write for each of hundreds of thousands of files), and a
/// thread blocked on the disk leaves its core idle. On a disk, a rebuild
/// at 200,000 stations renders in 7.7–9.2 s instead of 11.8–14.5 s; on
/// tmpfs it makes no difference (docs/performance.md). `RAYON_NUM_THREADS`
/// decides instead when it is set.
fn share_out() {
    if std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Fails only if the pool is already made: then it is used as it is.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(cores.saturating_mul(2).min(64))
        .build_global();
}

/// Runs one command; each has its own function below.
fn run(command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Build(args) => build(args),
        Command::Check { data } => check(&data),
        Command::Verify(args) => verify(args),
        Command::Mirror(args) => mirror(args),
        Command::Diff(args) => diff(args),
        Command::Serve { site, port } => serve(&site, port),
        Command::Keygen { output } => keygen(&output),
        Command::Witness(args) => witness(args),
        Command::Checkpoint(args) => checkpoint(args),
        Command::Sample(args) => sample(&args),
    }
}

/// `kura build`: builds the site, then prints its warnings, findings and
/// (with --verbose) timings to standard error and its version id to
/// standard output.
fn build(args: BuildArgs) -> Result<ExitCode, Error> {
    let opts = BuildOptions {
        input: args.data,
        output: args.output.clone(),
        previous: args.previous,
        strict: args.strict,
        sign: args.sign,
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
    if args.verbose {
        for (stage, d) in &report.timings {
            let _ = writeln!(err, "{stage:>10}: {:>8.3} s", d.as_secs_f64());
        }
        let (rendered, reused, unmade) = report.pages;
        let _ = writeln!(
            err,
            "fingerprinted pages: {rendered} rendered, {reused} unchanged; files: {} written, {} kept or linked; views made of {} pages",
            report.written.0,
            report.written.1,
            rendered + reused - unmade
        );
    }
    if report.unchanged {
        let _ = writeln!(
            err,
            "{} is up to date: the input has not changed since it was built ({} files)",
            shown(&args.output),
            report.files
        );
    } else {
        let _ = writeln!(
            err,
            "built {} ({} files)",
            shown(&args.output),
            report.files
        );
    }
    let _ = writeln!(std::io::stdout(), "version {}", report.version_id);
    Ok(ExitCode::SUCCESS)
}

/// `kura check`: prints every finding of the input folder `data`, one a
/// line, and a summary to standard error.
fn check(data: &Path) -> Result<ExitCode, Error> {
    let mut timings = Vec::new();
    let checked = kura::prepare(data, &kura::load::Options::default(), &mut timings)?;
    let el = &checked.election;
    let mut out = std::io::stdout().lock();
    for f in &checked.findings {
        let form = f.form().map(|x| el.forms[x].id()).unwrap_or("-");
        let line = format!(
            "{} {} {} {} {}: {}",
            f.severity.as_str(),
            f.check,
            el.areas[f.area].code,
            el.races[f.race].id,
            form,
            f.detail()
        );
        let _ = writeln!(out, "{}", clean(&line));
    }
    let _ = writeln!(
        std::io::stderr(),
        "{}: no errors; {} areas, {} forms, {} findings",
        shown(data),
        el.areas.len(),
        el.forms.len(),
        checked.findings.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `kura verify`: checks the options against each other, verifies the
/// copy, and prints its report; the exit code is the report's.
fn verify(args: VerifyArgs) -> Result<ExitCode, Error> {
    if let Some(n) = args.quorum
        && (n == 0 || n > args.witness.len())
    {
        return usage(&format!(
            "--quorum {n}: give between 1 and the number of --witness keys ({})",
            args.witness.len()
        ));
    }
    if args.max_age.is_some() && args.key.is_none() && args.witness.is_empty() {
        return usage("--max-age needs --key or --witness: only a signed time counts");
    }
    let public = args
        .key
        .as_deref()
        .map(kura::publish::sign::read_public)
        .transpose()?;
    let witnesses = match read_witnesses(&args.witness, public.as_ref())? {
        Ok(w) => w,
        Err(why) => return usage(&why),
    };
    let options = kura::verify::Options {
        key: args.key.as_deref(),
        public: None,
        expect: args.expect,
        not_before: args.not_before,
        ignore: args.ignore,
        idle: Some(std::time::Duration::from_secs(args.timeout.max(1))),
        progress: progress_bar(),
        state: args.state.or_else(kura::transparency::default_state_dir),
        witnesses,
        quorum: args.quorum,
        max_age: args.max_age,
    };
    let report = kura::verify::verify(&args.site, &options)?;
    print_verified(&report, &options);
    Ok(ExitCode::from(report.exit_code()))
}

/// Prints what `kura verify` found, to standard output: each trouble, then
/// the version, signature, log, witnesses, times, and the verdict.
fn print_verified(report: &kura::verify::Report, options: &kura::verify::Options<'_>) {
    let mut out = std::io::stdout().lock();
    for t in &report.troubles {
        let _ = writeln!(out, "{}", clean(&t.to_string()));
    }
    let _ = writeln!(out, "version {}", report.version_id);
    match &report.signed {
        Some(comment) => {
            let _ = writeln!(out, "signature: good ({})", clean(comment));
        }
        None if options.key.is_none() => {
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
    match report.exit_code() {
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
}

/// `kura mirror`: makes or updates a verified copy of a published site.
fn mirror(args: MirrorArgs) -> Result<ExitCode, Error> {
    let mut err = std::io::stderr().lock();
    if args.key.is_none() {
        let _ = writeln!(
            err,
            "WARNING: no --key given: authenticity is NOT checked. The copy will match the \
             server's SHA256SUMS, but nothing says who published it."
        );
    }
    drop(err);
    let report = kura::mirror::mirror(
        &args.url,
        &args.dir,
        &kura::mirror::Options {
            key: args.key.as_deref(),
            idle: std::time::Duration::from_secs(args.timeout.max(1)),
            keep: args.keep,
            progress: progress_bar(),
            state: args.state.or_else(kura::transparency::default_state_dir),
        },
    )?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "version {}", report.version_id);
    if report.current {
        let _ = writeln!(out, "already current: {}", shown(&args.dir));
    } else {
        let _ = writeln!(
            out,
            "updated {}: {} files downloaded, {} kept or linked; {} requests, {} bytes",
            shown(&args.dir),
            report.downloaded,
            report.reused,
            report.requests,
            report.bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `kura diff`: prints the changes from one version to the next; exits 0 when there
/// are none, 1 when there are, 2 when the versions cannot be compared.
fn diff(args: DiffArgs) -> Result<ExitCode, Error> {
    let idle = std::time::Duration::from_secs(args.timeout.max(1));
    let (changes, warnings) =
        match kura::diff_versions(&args.old, &args.new, args.key.as_deref(), idle) {
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
    if args.json {
        let _ = out.write_all(&kura::publish::manifest::to_json(&changes));
    } else {
        let _ = out.write_all(kura::diff::to_text(&changes).as_bytes());
    }
    Ok(ExitCode::from(if changes.is_empty() { 0 } else { 1 }))
}

/// `kura serve`: serves the built site `site` on `port` until stopped.
fn serve(site: &Path, port: u16) -> Result<ExitCode, Error> {
    kura::serve::ready(site)?;
    let (listener, url) = kura::serve::bind(port)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "serving {} at {url} (Ctrl-C to stop)", shown(site));
    let _ = out.flush();
    drop(out);
    kura::serve::serve(site, listener)?;
    Ok(ExitCode::SUCCESS)
}

/// `kura keygen`: writes a key pair named `output` and prints the public
/// key's signed-note verifier key.
fn keygen(output: &Path) -> Result<ExitCode, Error> {
    let (public, secret, id) = kura::publish::sign::write_keypair(output)?;
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

/// `kura witness`: co-signs a site's checkpoint with the witness's key,
/// writing the co-signature to --output (or standard output).
fn witness(args: WitnessArgs) -> Result<ExitCode, Error> {
    let Some(state) = args.state.or_else(kura::transparency::default_state_dir) else {
        return usage(
            "no home folder: give --state DIR, where this witness remembers what it co-signed",
        );
    };
    let sk = kura::publish::sign::read_secret(&args.key)?;
    let pk = args
        .log_key
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
        &args.site,
        &sk,
        pk.as_ref(),
        &kura::transparency::State::new(state),
        std::time::Duration::from_secs(args.timeout.max(1)),
    )?;
    match &args.output {
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

/// `kura checkpoint`: signs a published site's checkpoint again with the
/// publisher's key, adding the checked co-signatures.
fn checkpoint(args: CheckpointArgs) -> Result<ExitCode, Error> {
    if !args.cosignature.is_empty() && args.witness.is_empty() {
        return usage(
            "--cosignature needs --witness PUBKEY for each witness: a co-signature is \
             checked against its key before it is published",
        );
    }
    let witnesses = match read_witnesses(&args.witness, None)? {
        Ok(w) => w,
        Err(why) => return usage(&why),
    };
    let sk = kura::publish::sign::read_secret(&args.sign)?;
    let time = kura::publish::manifest::publication_time(
        std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
    )?;
    let done = kura::transparency::refresh(
        &args.site,
        &sk,
        &args.cosignature,
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

/// `kura sample`: writes a synthetic input folder and prints its summary.
fn sample(args: &SampleArgs) -> Result<ExitCode, Error> {
    let summary = kura::sample::write(&args.output, args.stations, args.seed, !args.no_scans)?;
    let _ = writeln!(std::io::stderr(), "{summary}");
    Ok(ExitCode::SUCCESS)
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
